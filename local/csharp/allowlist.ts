/**
 * The .NET types (and, where restricted, members) API Management allows in policy expressions, as the expression
 * host enforces them on compiled IL. The type list is the policy language's (apim-policy/allowlist.ts,
 * from Microsoft's "API Management policy expressions" reference), so both agree on types; this module adds the
 * member restrictions of that reference, which the host can check precisely, and the types the C# compiler implies.
 * Names are reflection names without generic arity (`System.Collections.Generic.List`), nested types with `+`.
 */
import { ALLOWED_TYPES, RESTRICTED_MEMBERS } from "../../apim-policy/allowlist.js";

/** Allowed members of one type: every member (`"*"`), or the listed names (`.ctor` for constructors, property names without get_/set_). */
export type AllowedMembers = "*" | readonly string[];

/** Full type name -> allowed members. */
export interface CSharpAllowList {
  readonly types: Readonly<Record<string, AllowedMembers>>;
}

const all = "*" as const;

/**
 * Types whose members Microsoft's reference restricts (every other listed type allows all members): the static
 * checks' table, plus constructors where `new` of the type is allowed (the static rule checks `new` on its own), and
 * XDocument's "All, except of: Load" spelled out as its own members (inherited ones bind to XContainer/XNode).
 */
export const APIM_MEMBER_RESTRICTIONS: Readonly<Record<string, readonly string[]>> = {
  ...Object.fromEntries(Object.entries(RESTRICTED_MEMBERS).map(([type, members]) => [type, [".ctor", ...members]])),
  "System.Xml.Linq.XDocument": [".ctor", "Declaration", "DocumentType", "NodeType", "Root", "Parse", "Save", "WriteTo", "ToString"],
};

/** The documented types with their member restrictions. */
export const APIM_DOCUMENTED_TYPES: Readonly<Record<string, AllowedMembers>> = Object.fromEntries(
  ALLOWED_TYPES.map((t) => [t, APIM_MEMBER_RESTRICTIONS[t] ?? all]),
);

/**
 * Types the C# compiler itself emits for allowed code, or that allowed members return, which an expression cannot
 * avoid: the base of every object, delegates behind lambdas, enumerators behind foreach, IDisposable behind using,
 * array initializers, and the collection/result types of allowed calls. Not a widening of what expressions may do.
 */
export const COMPILER_IMPLIED_TYPES: Readonly<Record<string, AllowedMembers>> = {
  "System.Object": [".ctor", "ToString", "Equals", "GetHashCode", "ReferenceEquals"],
  "System.ValueType": [".ctor", "ToString", "Equals", "GetHashCode"],
  "System.Void": all,
  "System.Enum": ["ToString", "Equals", "GetHashCode", "HasFlag"],
  "System.IDisposable": all,
  "System.IComparable": all,
  "System.IEquatable": all,
  "System.Collections.IEnumerable": all,
  "System.Collections.IEnumerator": all,
  "System.NotSupportedException": [".ctor"],
  "System.Runtime.CompilerServices.RuntimeHelpers": ["InitializeArray"],
  "System.Runtime.CompilerServices.CompilerGeneratedAttribute": [".ctor"],
  "System.RuntimeFieldHandle": all,
  "System.Func": all,
  "System.Action": all,
  "System.Predicate": all,
  "System.Comparison": all,
  "System.Linq.IOrderedEnumerable": all,
  "System.Linq.IGrouping": all,
  "System.Linq.ILookup": all,
  "System.Collections.Generic.IEqualityComparer": all,
  "System.Collections.Generic.IComparer": all,
  "System.Text.RegularExpressions.MatchCollection": ["Count", "Item", "GetEnumerator"],
  // Parameter type only: JToken.ToString(Formatting, params JsonConverter[]) allocates an empty array of it.
  // No member of it may be used.
  "Newtonsoft.Json.JsonConverter": [],
  // Base class of RNGCryptoServiceProvider: the compiler binds its GetBytes here. Create() stays refused
  // (RandomNumberGenerator itself is not on Microsoft's list).
  "System.Security.Cryptography.RandomNumberGenerator": ["GetBytes", "GetNonZeroBytes", "Dispose"],
  "System.Security.Cryptography.ICryptoTransform": all,
};

/** The allow-list the expression host enforces by default: documented types plus what the compiler implies. */
export const APIM_ALLOW_LIST: CSharpAllowList = {
  types: { ...COMPILER_IMPLIED_TYPES, ...APIM_DOCUMENTED_TYPES },
};
