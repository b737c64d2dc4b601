/**
 * The .NET types API Management lets policy expressions use.
 *
 * Source: Microsoft Learn, "API Management policy expressions", section ".NET Framework types
 * allowed in policy expressions" (the table of types and supported members), and the "Context
 * variable" section of the same page for the gateway's own types (IUrl, Jwt, BasicAuthCredentials...),
 * plus `IResponse`, the type of a `send-request` response variable (Microsoft Learn, "Send request").
 * Member-level restrictions of that table (e.g. only some members of Regex or DateTime) are not
 * modelled: a type on this list is allowed with all its members.
 *
 * Note: `System.Security.Cryptography.RandomNumberGenerator` is NOT on the list; random bytes come
 * from `RNGCryptoServiceProvider` (or `System.Random`, which is not cryptographic).
 */

/** Fully qualified names, generic arity dropped (`List` for `List<T>`). */
export const ALLOWED_TYPES: readonly string[] = [
  "Newtonsoft.Json.Formatting",
  "Newtonsoft.Json.JsonConvert",
  "Newtonsoft.Json.Linq.Extensions",
  "Newtonsoft.Json.Linq.JArray",
  "Newtonsoft.Json.Linq.JConstructor",
  "Newtonsoft.Json.Linq.JContainer",
  "Newtonsoft.Json.Linq.JObject",
  "Newtonsoft.Json.Linq.JProperty",
  "Newtonsoft.Json.Linq.JRaw",
  "Newtonsoft.Json.Linq.JToken",
  "Newtonsoft.Json.Linq.JTokenType",
  "Newtonsoft.Json.Linq.JValue",
  "System.Array",
  "System.BitConverter",
  "System.Boolean",
  "System.Byte",
  "System.Char",
  "System.Collections.Generic.Dictionary",
  "System.Collections.Generic.HashSet",
  "System.Collections.Generic.ICollection",
  "System.Collections.Generic.IDictionary",
  "System.Collections.Generic.IEnumerable",
  "System.Collections.Generic.IEnumerator",
  "System.Collections.Generic.IList",
  "System.Collections.Generic.IReadOnlyCollection",
  "System.Collections.Generic.IReadOnlyDictionary",
  "System.Collections.Generic.ISet",
  "System.Collections.Generic.KeyValuePair",
  "System.Collections.Generic.List",
  "System.Collections.Generic.Queue",
  "System.Collections.Generic.Stack",
  "System.Convert",
  "System.DateTime",
  "System.DateTimeKind",
  "System.DateTimeOffset",
  "System.Decimal",
  "System.Double",
  "System.Enum",
  "System.Exception",
  "System.Guid",
  "System.Int16",
  "System.Int32",
  "System.Int64",
  "System.IO.StringReader",
  "System.IO.StringWriter",
  "System.Linq.Enumerable",
  "System.Math",
  "System.MidpointRounding",
  "System.Net.IPAddress",
  "System.Net.WebUtility",
  "System.Nullable",
  "System.Random",
  "System.SByte",
  "System.Security.Cryptography.AsymmetricAlgorithm",
  "System.Security.Cryptography.CipherMode",
  "System.Security.Cryptography.HashAlgorithm",
  "System.Security.Cryptography.HashAlgorithmName",
  "System.Security.Cryptography.HMAC",
  "System.Security.Cryptography.HMACMD5",
  "System.Security.Cryptography.HMACSHA1",
  "System.Security.Cryptography.HMACSHA256",
  "System.Security.Cryptography.HMACSHA384",
  "System.Security.Cryptography.HMACSHA512",
  "System.Security.Cryptography.KeyedHashAlgorithm",
  "System.Security.Cryptography.MD5",
  "System.Security.Cryptography.Oid",
  "System.Security.Cryptography.PaddingMode",
  "System.Security.Cryptography.RNGCryptoServiceProvider",
  "System.Security.Cryptography.RSA",
  "System.Security.Cryptography.RSAEncryptionPadding",
  "System.Security.Cryptography.RSASignaturePadding",
  "System.Security.Cryptography.SHA1",
  "System.Security.Cryptography.SHA1Managed",
  "System.Security.Cryptography.SHA256",
  "System.Security.Cryptography.SHA256Managed",
  "System.Security.Cryptography.SHA384",
  "System.Security.Cryptography.SHA384Managed",
  "System.Security.Cryptography.SHA512",
  "System.Security.Cryptography.SHA512Managed",
  "System.Security.Cryptography.SymmetricAlgorithm",
  "System.Security.Cryptography.X509Certificates.PublicKey",
  "System.Security.Cryptography.X509Certificates.RSACertificateExtensions",
  "System.Security.Cryptography.X509Certificates.X500DistinguishedName",
  "System.Security.Cryptography.X509Certificates.X509Certificate",
  "System.Security.Cryptography.X509Certificates.X509Certificate2",
  "System.Security.Cryptography.X509Certificates.X509ContentType",
  "System.Security.Cryptography.X509Certificates.X509NameType",
  "System.Single",
  "System.String",
  "System.StringComparer",
  "System.StringComparison",
  "System.StringSplitOptions",
  "System.Text.Encoding",
  "System.Text.RegularExpressions.Capture",
  "System.Text.RegularExpressions.CaptureCollection",
  "System.Text.RegularExpressions.Group",
  "System.Text.RegularExpressions.GroupCollection",
  "System.Text.RegularExpressions.Match",
  "System.Text.RegularExpressions.Regex",
  "System.Text.RegularExpressions.RegexOptions",
  "System.Text.StringBuilder",
  "System.TimeSpan",
  "System.TimeZone",
  "System.TimeZoneInfo",
  "System.Tuple",
  "System.UInt16",
  "System.UInt32",
  "System.UInt64",
  "System.Uri",
  "System.UriPartial",
  "System.Xml.Linq.Extensions",
  "System.Xml.Linq.XAttribute",
  "System.Xml.Linq.XCData",
  "System.Xml.Linq.XComment",
  "System.Xml.Linq.XContainer",
  "System.Xml.Linq.XDeclaration",
  "System.Xml.Linq.XDocument",
  "System.Xml.Linq.XDocumentType",
  "System.Xml.Linq.XElement",
  "System.Xml.Linq.XName",
  "System.Xml.Linq.XNamespace",
  "System.Xml.Linq.XNode",
  "System.Xml.Linq.XNodeDocumentOrderComparer",
  "System.Xml.Linq.XNodeEqualityComparer",
  "System.Xml.Linq.XObject",
  "System.Xml.Linq.XProcessingInstruction",
  "System.Xml.Linq.XText",
  "System.Xml.XmlNodeType",
];

/**
 * Types the table allows with only some members (same page, "Supported members" column). Checked
 * for static member access (`Regex.Escape`, `XDocument.Load`); instance members cannot be typed by
 * this pattern-based check. `SymmetricAlgorithm`'s parameterless `Create()` is the one exception of
 * its "All" and is not modelled.
 */
export const RESTRICTED_MEMBERS: Readonly<Record<string, readonly string[]>> = {
  "Newtonsoft.Json.JsonConvert": ["SerializeObject", "DeserializeObject"],
  "System.DateTime": [
    "Add", "AddDays", "AddHours", "AddMilliseconds", "AddMinutes", "AddMonths", "AddSeconds", "AddTicks", "AddYears",
    "Date", "Day", "DayOfWeek", "DayOfYear", "DaysInMonth", "Hour", "IsDaylightSavingTime", "IsLeapYear", "MaxValue",
    "Millisecond", "Minute", "MinValue", "Month", "Now", "Parse", "Second", "Subtract", "Ticks", "TimeOfDay", "Today",
    "ToString", "UtcNow", "Year",
  ],
  "System.DateTimeKind": ["Utc"],
  "System.Enum": ["Parse", "TryParse", "ToString"],
  "System.Net.IPAddress": ["AddressFamily", "Equals", "GetAddressBytes", "IsLoopback", "Parse", "TryParse", "ToString"],
  "System.Security.Cryptography.X509Certificates.X500DistinguishedName": ["Name"],
  "System.Text.RegularExpressions.Capture": ["Index", "Length", "Value"],
  "System.Text.RegularExpressions.CaptureCollection": ["Count", "Item"],
  "System.Text.RegularExpressions.Group": ["Captures", "Success"],
  "System.Text.RegularExpressions.GroupCollection": ["Count", "Item"],
  "System.Text.RegularExpressions.Match": ["Empty", "Groups", "Result"],
  "System.Text.RegularExpressions.Regex": ["IsMatch", "Match", "Matches", "Replace", "Unescape", "Split"],
};

/** Members the table excludes from an otherwise "All" type. */
export const EXCLUDED_MEMBERS: Readonly<Record<string, readonly string[]>> = {
  "System.Xml.Linq.XDocument": ["Load"],
};

/** Full name of an allowed type from its short name (first match), for member checks. */
export const FULL_NAME_BY_SHORT_NAME: ReadonlyMap<string, string> = new Map(
  [...ALLOWED_TYPES].reverse().map((t) => [t.slice(t.lastIndexOf(".") + 1), t]),
);

/**
 * Types of the gateway's `context` object model and its extension methods (same page, "Context
 * variable"): they may be named in declarations and casts (`IUrl u = ...`, `Jwt jwt; ...TryParseJwt(out jwt)`).
 */
export const CONTEXT_TYPES: readonly string[] = [
  "BasicAuthCredentials",
  "Jwt",
  "IApi",
  "IGroup",
  "IMessageBody",
  "IRequest",
  "IResponse",
  "IPrivateEndpointConnection",
  "IUrl",
  "IUserIdentity",
  "ISubscriptionKeyParameterNames",
  "IGraphQLDataObject",
];

/**
 * Namespaces: a dotted name starting with one of these (longest match) names a type in it by its
 * next segment. Includes the namespaces of the allowed types and common namespaces an expression
 * must not reach into, so that `System.IO.File.ReadAllText` is reported as `System.IO.File`.
 */
export const KNOWN_NAMESPACES: readonly string[] = [
  ...new Set([
    ...ALLOWED_TYPES.map((t) => t.slice(0, t.lastIndexOf("."))),
    "System",
    "System.Collections",
    "System.Diagnostics",
    "System.IO",
    "System.Net",
    "System.Net.Http",
    "System.Net.Sockets",
    "System.Reflection",
    "System.Runtime",
    "System.Runtime.InteropServices",
    "System.Threading",
    "System.Threading.Tasks",
    "System.Web",
    "System.Xml",
    "Microsoft",
    "Microsoft.Win32",
    "Newtonsoft",
    "Newtonsoft.Json",
  ]),
];

/** Short names usable without a namespace (the gateway imports the allowed types' namespaces). */
export const ALLOWED_SHORT_NAMES: ReadonlySet<string> = new Set([
  ...ALLOWED_TYPES.map((t) => t.slice(t.lastIndexOf(".") + 1)),
  ...CONTEXT_TYPES,
]);

export const ALLOWED_FULL_NAMES: ReadonlySet<string> = new Set(ALLOWED_TYPES);
