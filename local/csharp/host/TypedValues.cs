// Tagged JSON <-> .NET values, so the gateway can keep context.Variables with their .NET types between evaluations.
using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;
using ApimLocal.Context;

namespace ApimLocal.Host
{
    internal static class TypedValues
    {
        private static readonly Dictionary<string, Type> NumberTypes = new Dictionary<string, Type>
        {
            { "System.Byte", typeof(byte) }, { "System.SByte", typeof(sbyte) }, { "System.Int16", typeof(short) },
            { "System.UInt16", typeof(ushort) }, { "System.UInt32", typeof(uint) }, { "System.UInt64", typeof(ulong) },
            { "System.Single", typeof(float) },
        };

        private static readonly Dictionary<string, Type> ElementTypes = new Dictionary<string, Type>
        {
            { "System.String", typeof(string) }, { "System.Int32", typeof(int) }, { "System.Int64", typeof(long) },
            { "System.Boolean", typeof(bool) }, { "System.Double", typeof(double) }, { "System.Object", typeof(object) },
            { "System.DateTime", typeof(DateTime) }, { "System.Guid", typeof(Guid) },
            { "Newtonsoft.Json.Linq.JToken", typeof(JToken) }, { "Newtonsoft.Json.Linq.JObject", typeof(JObject) },
        };

        public static JObject ToTyped(object value)
        {
            if (value == null) return new JObject { { "type", "null" } };
            if (value is string) return Tag("string", (string)value);
            if (value is int) return Tag("int", (int)value);
            if (value is long) return Tag("long", ((long)value).ToString(CultureInfo.InvariantCulture));
            if (value is bool) return Tag("bool", (bool)value);
            if (value is double) return DoubleTag((double)value);
            if (value is decimal) return Tag("decimal", ((decimal)value).ToString(CultureInfo.InvariantCulture));
            if (value is DateTime) return Tag("datetime", ((DateTime)value).ToString("o", CultureInfo.InvariantCulture));
            if (value is DateTimeOffset) return Tag("datetimeoffset", ((DateTimeOffset)value).ToString("o", CultureInfo.InvariantCulture));
            if (value is TimeSpan) return Tag("timespan", ((TimeSpan)value).ToString("c", CultureInfo.InvariantCulture));
            if (value is Guid) return Tag("guid", ((Guid)value).ToString("D"));
            if (value is char) return Tag("char", value.ToString());
            if (value is Uri) return Tag("uri", ((Uri)value).OriginalString);
            if (value is byte[]) return Tag("bytes", Convert.ToBase64String((byte[])value));
            if (value is JToken) return new JObject { { "type", "json" }, { "value", ((JToken)value).DeepClone() } };
            if (value is Jwt) return Tag("jwt", value.ToString());
            if (value is Response) return ResponseTag((Response)value);
            Type numberType;
            if (NumberTypes.TryGetValue(value.GetType().FullName, out numberType))
                return new JObject { { "type", "number" }, { "clrType", value.GetType().FullName }, { "value", Convert.ToString(value, CultureInfo.InvariantCulture) } };
            var array = value as Array;
            if (array != null && array.Rank == 1 && ElementTypes.ContainsKey(array.GetType().GetElementType().FullName))
            {
                var items = new JArray();
                foreach (var item in array) items.Add(ToTyped(item));
                return new JObject { { "type", "array" }, { "elementType", array.GetType().GetElementType().FullName }, { "value", items } };
            }
            return new JObject { { "type", "unsupported" }, { "clrType", value.GetType().FullName }, { "value", ToText(value) } };
        }

        public static object FromTyped(JObject typed, Action onResponseBodyConsumed)
        {
            if (typed == null) throw new ProtocolException("expected a typed value { type, value }");
            var type = (string)typed["type"];
            var value = typed["value"];
            switch (type)
            {
                case "null": return null;
                case "string": return (string)value;
                case "int": return (int)value;
                case "long": return long.Parse((string)value, CultureInfo.InvariantCulture);
                case "bool": return (bool)value;
                case "double": return value.Type == JTokenType.String ? double.Parse((string)value, CultureInfo.InvariantCulture) : (double)value;
                case "decimal": return decimal.Parse((string)value, CultureInfo.InvariantCulture);
                case "datetime": return ParseDateTime((string)value);
                case "datetimeoffset": return DateTimeOffset.Parse((string)value, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind);
                case "timespan": return TimeSpan.ParseExact((string)value, "c", CultureInfo.InvariantCulture);
                case "guid": return Guid.Parse((string)value);
                case "char": return ((string)value)[0];
                case "uri": return new Uri((string)value, UriKind.RelativeOrAbsolute);
                case "bytes": return Convert.FromBase64String((string)value);
                case "json": return value == null ? JValue.CreateNull() : value.DeepClone();
                case "jwt": return PolicyExpressionExtensions.AsJwt((string)value);
                case "response":
                    var obj = value as JObject;
                    if (obj == null) throw new ProtocolException("a response value must be { statusCode, statusReason, headers, body }");
                    return ContextBuilder.BuildResponse(obj, onResponseBodyConsumed);
                case "number":
                    Type numberType;
                    var clr = (string)typed["clrType"];
                    if (clr == null || !NumberTypes.TryGetValue(clr, out numberType)) throw new ProtocolException("unknown number clrType '" + clr + "'");
                    return Convert.ChangeType((string)value, numberType, CultureInfo.InvariantCulture);
                case "array":
                    Type elementType;
                    var element = (string)typed["elementType"];
                    if (element == null || !ElementTypes.TryGetValue(element, out elementType)) throw new ProtocolException("unsupported array elementType '" + element + "'");
                    var items = value as JArray ?? new JArray();
                    var array = Array.CreateInstance(elementType, items.Count);
                    for (var i = 0; i < items.Count; i++) array.SetValue(FromTyped(items[i] as JObject, onResponseBodyConsumed), i);
                    return array;
                case "unsupported":
                    throw new ProtocolException("a value of .NET type " + (string)typed["clrType"] + " cannot be restored into context.Variables");
                default:
                    throw new ProtocolException("unknown value type '" + type + "' (expected string, int, long, bool, double, decimal, datetime, datetimeoffset, timespan, guid, char, uri, bytes, json, jwt, response, number, array or null)");
            }
        }

        /// <summary>The string APIM would put into a header, attribute or body: .NET ToString() with invariant culture.</summary>
        public static string ToText(object value)
        {
            if (value == null) return null;
            if (value is string) return (string)value;
            if (value is bool) return (bool)value ? "True" : "False";
            if (value is JToken) return ((JToken)value).ToString();
            var formattable = value as IFormattable;
            if (formattable != null) return formattable.ToString(null, CultureInfo.InvariantCulture);
            return value.ToString();
        }

        public static DateTime ParseDateTime(string text)
        {
            return DateTime.Parse(text, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind);
        }

        private static JObject Tag(string type, JToken value)
        {
            return new JObject { { "type", type }, { "value", value } };
        }

        private static JObject DoubleTag(double d)
        {
            // NaN and infinities are not JSON numbers: send them as strings.
            if (double.IsNaN(d) || double.IsInfinity(d)) return Tag("double", d.ToString("R", CultureInfo.InvariantCulture));
            return Tag("double", d);
        }

        private static JObject ResponseTag(Response response)
        {
            var headers = new JObject();
            foreach (var h in response.Headers) headers[h.Key] = new JArray(h.Value);
            JToken body = JValue.CreateNull();
            if (!response.BodyConsumed && response.RawBody != null)
            {
                string text;
                try { text = new UTF8Encoding(false, true).GetString(response.RawBody); body = text; }
                catch (ArgumentException) { body = new JObject { { "base64", Convert.ToBase64String(response.RawBody) } }; }
            }
            return Tag("response", new JObject
            {
                { "statusCode", response.StatusCode },
                { "statusReason", response.StatusReason },
                { "headers", headers },
                { "body", body },
            });
        }
    }
}
