// Extension methods APIM adds for policy expressions: GetValueOrDefault on headers/query/claims/variables,
// AsJwt/TryParseJwt, AsBasic/TryParseBasic, Encrypt/Decrypt, VerifyNoRevocation.
using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;

namespace ApimLocal.Context
{
    public static class PolicyExpressionExtensions
    {
        /// <summary>Comma-joined values of a header / query parameter / claim, or defaultValue when absent.</summary>
        public static string GetValueOrDefault(this IReadOnlyDictionary<string, string[]> values, string name, string defaultValue = null)
        {
            string[] found;
            if (values == null || name == null || !values.TryGetValue(name, out found) || found == null) return defaultValue;
            return string.Join(",", found);
        }

        public static string GetValueOrDefault(this IReadOnlyDictionary<string, string> values, string name, string defaultValue = null)
        {
            string found;
            if (values == null || name == null || !values.TryGetValue(name, out found)) return defaultValue;
            return found;
        }

        /// <summary>A variable cast to T (InvalidCastException when it holds another type), or defaultValue when absent.</summary>
        public static T GetValueOrDefault<T>(this IReadOnlyDictionary<string, object> variables, string name, T defaultValue = default(T))
        {
            object found;
            if (variables == null || name == null || !variables.TryGetValue(name, out found)) return defaultValue;
            return (T)found;
        }

        public static Jwt AsJwt(this string input)
        {
            Jwt jwt;
            return TryParseJwt(input, out jwt) ? jwt : null;
        }

        public static bool TryParseJwt(this string input, out Jwt result)
        {
            result = null;
            if (string.IsNullOrWhiteSpace(input)) return false;
            var text = input.Trim();
            if (text.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)) text = text.Substring(7).Trim();
            var parts = text.Split('.');
            if (parts.Length != 3 || parts[0].Length == 0 || parts[1].Length == 0) return false;
            JObject header, payload;
            try
            {
                header = ParseJsonObject(Base64UrlDecode(parts[0]));
                payload = ParseJsonObject(Base64UrlDecode(parts[1]));
            }
            catch (Exception)
            {
                return false;
            }
            if (header == null || payload == null) return false;
            var claims = new Dictionary<string, string[]>(StringComparer.Ordinal);
            foreach (var p in payload.Properties()) claims[p.Name] = ClaimValues(p.Value);
            result = new Jwt
            {
                Raw = text,
                Algorithm = (string)StringOrNull(header["alg"]),
                Type = (string)StringOrNull(header["typ"]),
                Claims = claims,
                Audiences = claims.ContainsKey("aud") ? claims["aud"] : new string[0],
                Id = StringOrNull(payload["jti"]),
                Issuer = StringOrNull(payload["iss"]),
                Subject = StringOrNull(payload["sub"]),
                ExpirationTime = EpochOrNull(payload["exp"]),
                IssuedAt = EpochOrNull(payload["iat"]),
                NotBefore = EpochOrNull(payload["nbf"]),
            };
            return true;
        }

        public static BasicAuthCredentials AsBasic(this string input)
        {
            BasicAuthCredentials credentials;
            return TryParseBasic(input, out credentials) ? credentials : null;
        }

        public static bool TryParseBasic(this string input, out BasicAuthCredentials result)
        {
            result = null;
            if (string.IsNullOrWhiteSpace(input)) return false;
            var text = input.Trim();
            if (text.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase)) text = text.Substring(6).Trim();
            string decoded;
            try { decoded = new UTF8Encoding(false, true).GetString(Convert.FromBase64String(text)); }
            catch (Exception) { return false; }
            var colon = decoded.IndexOf(':');
            if (colon < 0) return false;
            result = new BasicAuthCredentials(decoded.Substring(0, colon), decoded.Substring(colon + 1));
            return true;
        }

        public static byte[] Encrypt(this byte[] input, string alg, byte[] key, byte[] iv)
        {
            using (var algorithm = CreateAlgorithm(alg)) return Encrypt(input, algorithm, key, iv);
        }

        public static byte[] Encrypt(this byte[] input, SymmetricAlgorithm alg)
        {
            if (alg == null) throw new ArgumentNullException("alg");
            return Transform(input, alg.CreateEncryptor());
        }

        public static byte[] Encrypt(this byte[] input, SymmetricAlgorithm alg, byte[] key, byte[] iv)
        {
            if (alg == null) throw new ArgumentNullException("alg");
            return Transform(input, alg.CreateEncryptor(key, iv));
        }

        public static byte[] Decrypt(this byte[] input, string alg, byte[] key, byte[] iv)
        {
            using (var algorithm = CreateAlgorithm(alg)) return Decrypt(input, algorithm, key, iv);
        }

        public static byte[] Decrypt(this byte[] input, SymmetricAlgorithm alg)
        {
            if (alg == null) throw new ArgumentNullException("alg");
            return Transform(input, alg.CreateDecryptor());
        }

        public static byte[] Decrypt(this byte[] input, SymmetricAlgorithm alg, byte[] key, byte[] iv)
        {
            if (alg == null) throw new ArgumentNullException("alg");
            return Transform(input, alg.CreateDecryptor(key, iv));
        }

        /// <summary>Json.NET 11+ API that the Debian package (Json.NET 6) lacks; APIM's Json.NET has it.</summary>
        public static bool ContainsKey(this JObject jObject, string propertyName)
        {
            if (jObject == null) throw new ArgumentNullException("jObject");
            return jObject.Property(propertyName) != null;
        }

        /// <summary>X.509 chain validation without revocation checks.</summary>
        public static bool VerifyNoRevocation(this X509Certificate2 input)
        {
            if (input == null) return false;
            using (var chain = new X509Chain())
            {
                chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                return chain.Build(input);
            }
        }

        private static SymmetricAlgorithm CreateAlgorithm(string alg)
        {
            if (string.IsNullOrEmpty(alg)) throw new ArgumentException("alg must name a symmetric algorithm such as Aes, Rijndael or TripleDES", "alg");
            var algorithm = SymmetricAlgorithm.Create(alg);
            if (algorithm == null) throw new ArgumentException("Unknown symmetric algorithm '" + alg + "' (expected e.g. Aes, Rijndael, TripleDES)", "alg");
            return algorithm;
        }

        private static byte[] Transform(byte[] input, ICryptoTransform transform)
        {
            if (input == null) throw new ArgumentNullException("input");
            using (transform)
            using (var output = new MemoryStream())
            {
                using (var crypto = new CryptoStream(output, transform, CryptoStreamMode.Write))
                {
                    crypto.Write(input, 0, input.Length);
                    crypto.FlushFinalBlock();
                }
                return output.ToArray();
            }
        }

        internal static byte[] Base64UrlDecode(string text)
        {
            var s = text.Replace('-', '+').Replace('_', '/');
            switch (s.Length % 4)
            {
                case 2: s += "=="; break;
                case 3: s += "="; break;
                case 1: throw new FormatException("invalid base64url");
            }
            return Convert.FromBase64String(s);
        }

        private static JObject ParseJsonObject(byte[] utf8)
        {
            var reader = new JsonTextReader(new StringReader(new UTF8Encoding(false, true).GetString(utf8))) { DateParseHandling = DateParseHandling.None };
            return JToken.ReadFrom(reader) as JObject;
        }

        private static string StringOrNull(JToken token)
        {
            if (token == null || token.Type == JTokenType.Null) return null;
            return token.Type == JTokenType.String ? (string)token : token.ToString(Formatting.None);
        }

        private static string[] ClaimValues(JToken token)
        {
            if (token == null || token.Type == JTokenType.Null) return new string[0];
            if (token.Type == JTokenType.Array) return token.Children().Select(t => StringOrNull(t)).ToArray();
            if (token.Type == JTokenType.Boolean) return new[] { ((bool)token) ? "true" : "false" };
            if (token.Type == JTokenType.Integer || token.Type == JTokenType.Float)
                return new[] { Convert.ToString(((JValue)token).Value, CultureInfo.InvariantCulture) };
            return new[] { StringOrNull(token) };
        }

        private static DateTime? EpochOrNull(JToken token)
        {
            if (token == null || (token.Type != JTokenType.Integer && token.Type != JTokenType.Float)) return null;
            var seconds = (double)token;
            return new DateTime(1970, 1, 1, 0, 0, 0, DateTimeKind.Utc).AddSeconds(seconds);
        }
    }
}
