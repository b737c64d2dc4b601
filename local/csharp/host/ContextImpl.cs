// Builds the read-only `context` for one evaluation from the JSON snapshot the gateway sends.
using System;
using System.Collections.Generic;
using System.Collections.ObjectModel;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Net;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Xml.Linq;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;
using ApimLocal.Context;

namespace ApimLocal.Host
{
    /// <summary>What an evaluation did besides returning a value (body consumption, traces).</summary>
    internal sealed class EvaluationEffects
    {
        public bool RequestBodyConsumed;
        public bool ResponseBodyConsumed;
        public readonly List<string> VariableBodiesConsumed = new List<string>();
        public readonly List<string> Traces = new List<string>();
    }

    internal sealed class MessageBody : IMessageBody
    {
        private readonly byte[] content;
        private readonly Action onConsumed;
        private bool consumed;

        public MessageBody(byte[] content, Action onConsumed)
        {
            this.content = content;
            this.onConsumed = onConsumed;
        }

        public T As<T>(bool preserveContent = false)
        {
            var target = typeof(T);
            if (consumed) return default(T);
            object value = Convert(target);
            if (!preserveContent) Consume();
            return (T)value;
        }

        public IDictionary<string, IList<string>> AsFormUrlEncodedContent(bool preserveContent = false)
        {
            // As Microsoft's policy toolkit (Azure/azure-api-management-policy-toolkit, MockBody) models API Management:
            // a consumed body cannot be read again; pairs split on '&' (empty ones skipped) and at the first '=';
            // '+' is a space, then percent-escapes are decoded; every value of a repeated name is kept, in order.
            if (consumed) throw new NullReferenceException("Object reference not set to an instance of an object (the body was consumed by an earlier read without preserveContent)");
            var result = new Dictionary<string, IList<string>>(StringComparer.Ordinal);
            foreach (var pair in Text().Split(new[] { '&' }, StringSplitOptions.RemoveEmptyEntries))
            {
                var eq = pair.IndexOf('=');
                var name = FormDecode(eq < 0 ? pair : pair.Substring(0, eq));
                var value = eq < 0 ? "" : FormDecode(pair.Substring(eq + 1));
                IList<string> list;
                if (!result.TryGetValue(name, out list)) { list = new List<string>(); result[name] = list; }
                list.Add(value);
            }
            if (!preserveContent) Consume();
            return result;
        }

        private static string FormDecode(string s)
        {
            return Uri.UnescapeDataString(s.Replace('+', ' '));
        }

        private void Consume()
        {
            consumed = true;
            if (onConsumed != null) onConsumed();
        }

        private string Text()
        {
            var text = new UTF8Encoding(false, false).GetString(content);
            return text.Length > 0 && text[0] == '\uFEFF' ? text.Substring(1) : text;
        }

        private object Convert(Type target)
        {
            if (target == typeof(string)) return Text();
            if (target == typeof(byte[])) return (byte[])content.Clone();
            if (target == typeof(JObject) || target == typeof(JArray) || target == typeof(JToken))
            {
                var reader = new JsonTextReader(new StringReader(Text())) { DateParseHandling = DateParseHandling.None };
                var token = JToken.ReadFrom(reader);
                if (target == typeof(JToken)) return token;
                if (!target.IsInstanceOfType(token))
                    throw new InvalidCastException("The body is a JSON " + token.Type + ", not a " + target.Name);
                return token;
            }
            if (target == typeof(XDocument)) return XDocument.Parse(Text());
            if (target == typeof(XElement) || target == typeof(XNode)) return XElement.Parse(Text());
            throw new InvalidOperationException("Body.As<" + target.FullName + "> is not supported: use string, byte[], JObject, JArray, JToken, XNode, XElement or XDocument");
        }
    }

    internal sealed class Url : IUrl
    {
        private readonly Uri uri;
        public Url(string text)
        {
            if (!Uri.TryCreate(text, UriKind.Absolute, out uri)) throw new ArgumentException("not an absolute URL: " + text);
            var query = new Dictionary<string, string[]>(StringComparer.Ordinal);
            var q = uri.Query.StartsWith("?") ? uri.Query.Substring(1) : uri.Query;
            foreach (var group in q.Split('&').Where(p => p.Length > 0).Select(p =>
            {
                var eq = p.IndexOf('=');
                return new KeyValuePair<string, string>(WebUtility.UrlDecode(eq < 0 ? p : p.Substring(0, eq)), eq < 0 ? "" : WebUtility.UrlDecode(p.Substring(eq + 1)));
            }).GroupBy(kv => kv.Key, StringComparer.Ordinal))
            {
                query[group.Key] = group.Select(kv => kv.Value).ToArray();
            }
            Query = new ReadOnlyDictionary<string, string[]>(query);
        }
        public string Scheme { get { return uri.Scheme; } }
        public string Host { get { return uri.Host; } }
        public int Port { get { return uri.Port; } }
        public string Path { get { return uri.AbsolutePath; } }
        public string QueryString { get { return uri.Query; } }
        public IReadOnlyDictionary<string, string[]> Query { get; private set; }
        public override string ToString()
        {
            return uri.Scheme + "://" + uri.Host + (uri.IsDefaultPort ? "" : ":" + uri.Port) + uri.AbsolutePath + uri.Query;
        }
    }

    internal sealed class Request : IRequest
    {
        public IMessageBody Body { get; set; }
        public X509Certificate2 Certificate { get { return null; } }
        public IReadOnlyDictionary<string, string[]> Headers { get; set; }
        public string IpAddress { get; set; }
        public IReadOnlyDictionary<string, string> MatchedParameters { get; set; }
        public string Method { get; set; }
        public IUrl OriginalUrl { get; set; }
        public IUrl Url { get; set; }
        public IPrivateEndpointConnection PrivateEndpointConnection { get { return null; } }
    }

    internal sealed class Response : IResponse
    {
        public IMessageBody Body { get; set; }
        public IReadOnlyDictionary<string, string[]> Headers { get; set; }
        public int StatusCode { get; set; }
        public string StatusReason { get; set; }
        /// <summary>The snapshot it came from, so an unconsumed variable response round-trips unchanged.</summary>
        internal byte[] RawBody;
        internal bool BodyConsumed;
    }

    internal sealed class Api : IApi
    {
        public string Id { get; set; }
        public bool IsCurrentRevision { get; set; }
        public string Name { get; set; }
        public string Path { get; set; }
        public IEnumerable<string> Protocols { get; set; }
        public string Revision { get; set; }
        public IUrl ServiceUrl { get; set; }
        public ISubscriptionKeyParameterNames SubscriptionKeyParameterNames { get { return null; } }
        public string Version { get; set; }
    }

    internal sealed class Operation : IOperation
    {
        public string Id { get; set; }
        public string Method { get; set; }
        public string Name { get; set; }
        public string UrlTemplate { get; set; }
    }

    internal sealed class Deployment : IDeployment
    {
        public string GatewayId { get; set; }
        public string Region { get; set; }
        public string ServiceName { get; set; }
        public string ServiceId { get; set; }
        public IReadOnlyDictionary<string, X509Certificate2> Certificates { get; set; }
    }

    internal sealed class LastError : ILastError
    {
        public string Source { get; set; }
        public string Reason { get; set; }
        public string Message { get; set; }
        public string Scope { get; set; }
        public string Section { get; set; }
        public string Path { get; set; }
        public string PolicyId { get; set; }
    }

    internal sealed class PolicyContext : IContext
    {
        private readonly EvaluationEffects effects;
        public PolicyContext(EvaluationEffects effects) { this.effects = effects; }
        public IApi Api { get; set; }
        public IDeployment Deployment { get; set; }
        public TimeSpan Elapsed { get { return DateTime.UtcNow - Timestamp; } }
        public ILastError LastError { get; set; }
        public IOperation Operation { get; set; }
        public IProduct Product { get { return null; } }
        public IRequest Request { get; set; }
        public Guid RequestId { get; set; }
        public IResponse Response { get; set; }
        public ISubscription Subscription { get { return null; } }
        public DateTime Timestamp { get; set; }
        public bool Tracing { get; set; }
        public IUser User { get { return null; } }
        public IReadOnlyDictionary<string, object> Variables { get; set; }
        public void Trace(string message) { effects.Traces.Add(message ?? ""); }
    }

    internal static class ContextBuilder
    {
        private static readonly IReadOnlyDictionary<string, X509Certificate2> NoCertificates =
            new ReadOnlyDictionary<string, X509Certificate2>(new Dictionary<string, X509Certificate2>());

        public static PolicyContext Build(JObject json, EvaluationEffects effects)
        {
            var context = new PolicyContext(effects);
            json = json ?? new JObject();
            var request = json["request"] as JObject;
            if (request != null)
            {
                var url = UrlOrNull("request.url", Str(request["url"]));
                context.Request = new Request
                {
                    Method = Str(request["method"]) ?? "GET",
                    Url = url,
                    OriginalUrl = UrlOrNull("request.originalUrl", Str(request["originalUrl"])) ?? url,
                    Headers = Headers(request["headers"]),
                    Body = Body(request["body"], () => effects.RequestBodyConsumed = true),
                    IpAddress = Str(request["ipAddress"]) ?? "127.0.0.1",
                    MatchedParameters = StringMap(request["matchedParameters"]),
                };
            }
            var response = json["response"] as JObject;
            if (response != null) context.Response = BuildResponse(response, () => effects.ResponseBodyConsumed = true);
            var variables = new Dictionary<string, object>(StringComparer.Ordinal);
            var vars = json["variables"] as JObject;
            if (vars != null)
            {
                foreach (var p in vars.Properties())
                {
                    var name = p.Name;
                    try
                    {
                        variables[name] = TypedValues.FromTyped(p.Value as JObject, () => { lock (effects) effects.VariableBodiesConsumed.Add(name); });
                    }
                    catch (Exception e)
                    {
                        throw new ProtocolException("variable '" + name + "': " + e.Message);
                    }
                }
            }
            context.Variables = new ReadOnlyDictionary<string, object>(variables);
            var api = json["api"] as JObject;
            if (api != null)
            {
                var serviceUrl = Str(api["serviceUrl"]);
                context.Api = new Api
                {
                    Id = Str(api["id"]),
                    Name = Str(api["name"]),
                    Path = Str(api["path"]) ?? "",
                    Protocols = api["protocols"] is JArray ? api["protocols"].Select(t => (string)t).ToArray() : new[] { "https" },
                    Revision = Str(api["revision"]) ?? "1",
                    IsCurrentRevision = api["isCurrentRevision"] == null || (bool)api["isCurrentRevision"],
                    Version = Str(api["version"]),
                    ServiceUrl = string.IsNullOrEmpty(serviceUrl) ? null : UrlOrNull("api.serviceUrl", serviceUrl),
                };
            }
            var op = json["operation"] as JObject;
            if (op != null)
            {
                context.Operation = new Operation { Id = Str(op["id"]), Name = Str(op["name"]), Method = Str(op["method"]), UrlTemplate = Str(op["urlTemplate"]) };
            }
            var dep = json["deployment"] as JObject ?? new JObject();
            context.Deployment = new Deployment
            {
                GatewayId = Str(dep["gatewayId"]) ?? "managed",
                Region = Str(dep["region"]) ?? "local",
                ServiceName = Str(dep["serviceName"]) ?? "local-apim",
                ServiceId = Str(dep["serviceId"]),
                Certificates = NoCertificates,
            };
            var err = json["lastError"] as JObject;
            if (err != null)
            {
                context.LastError = new LastError
                {
                    Source = Str(err["source"]), Reason = Str(err["reason"]), Message = Str(err["message"]), Scope = Str(err["scope"]),
                    Section = Str(err["section"]), Path = Str(err["path"]), PolicyId = Str(err["policyId"]),
                };
            }
            var requestId = Str(json["requestId"]);
            Guid id = Guid.Empty;
            if (requestId != null && !Guid.TryParse(requestId, out id))
                throw new ProtocolException("requestId '" + requestId + "' is not a GUID");
            context.RequestId = id;
            var timestamp = Str(json["timestamp"]);
            DateTime when = DateTime.UtcNow;
            if (timestamp != null && !DateTime.TryParse(timestamp, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out when))
                throw new ProtocolException("timestamp '" + timestamp + "' is not an ISO 8601 date-time");
            context.Timestamp = when;
            context.Tracing = json["tracing"] != null && (bool)json["tracing"];
            return context;
        }

        public static Response BuildResponse(JObject json, Action onConsumed)
        {
            var raw = BodyBytes(json["body"]);
            var response = new Response
            {
                StatusCode = json["statusCode"] == null ? 200 : (int)json["statusCode"],
                StatusReason = Str(json["statusReason"]) ?? "",
                Headers = Headers(json["headers"]),
                RawBody = raw,
            };
            response.Body = raw == null ? null : new MessageBody(raw, () => { response.BodyConsumed = true; if (onConsumed != null) onConsumed(); });
            return response;
        }

        private static IMessageBody Body(JToken token, Action onConsumed)
        {
            var bytes = BodyBytes(token);
            return bytes == null ? null : new MessageBody(bytes, onConsumed);
        }

        /// <summary>A body is a UTF-8 string, or { "base64": "..." } for binary content; null/absent = no body.</summary>
        internal static byte[] BodyBytes(JToken token)
        {
            if (token == null || token.Type == JTokenType.Null) return null;
            if (token.Type == JTokenType.String) return new UTF8Encoding(false).GetBytes((string)token);
            var obj = token as JObject;
            if (obj != null && obj["base64"] != null) return Convert.FromBase64String((string)obj["base64"]);
            throw new ProtocolException("a body must be a string or { base64 }, got " + token.Type);
        }

        private static IReadOnlyDictionary<string, string[]> Headers(JToken token)
        {
            var headers = new Dictionary<string, string[]>(StringComparer.OrdinalIgnoreCase);
            var obj = token as JObject;
            if (obj != null)
            {
                foreach (var p in obj.Properties())
                {
                    string[] values = p.Value.Type == JTokenType.Array ? p.Value.Select(v => (string)v).ToArray() : new[] { (string)p.Value };
                    string[] existing;
                    headers[p.Name] = headers.TryGetValue(p.Name, out existing) ? existing.Concat(values).ToArray() : values;
                }
            }
            return new ReadOnlyDictionary<string, string[]>(headers);
        }

        private static IReadOnlyDictionary<string, string> StringMap(JToken token)
        {
            var map = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            var obj = token as JObject;
            if (obj != null) foreach (var p in obj.Properties()) map[p.Name] = (string)p.Value;
            return new ReadOnlyDictionary<string, string>(map);
        }

        private static Url UrlOrNull(string field, string text)
        {
            if (text == null) return null;
            Uri uri;
            if (!Uri.TryCreate(text, UriKind.Absolute, out uri) || (uri.Scheme != "http" && uri.Scheme != "https"))
                throw new ProtocolException(field + " '" + text + "' is not an absolute http(s) URL");
            return new Url(text);
        }

        private static string Str(JToken token)
        {
            return token == null || token.Type == JTokenType.Null ? null : (string)token;
        }
    }

    internal sealed class ProtocolException : Exception
    {
        public ProtocolException(string message) : base(message) { }
    }
}
