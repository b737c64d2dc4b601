/**
 * Finds the type names a policy expression refers to, from its tokens.
 *
 * Pattern-based, not a compiler: an identifier that is not a member access (`x.Name`), not a
 * keyword, not a local declared in the expression and not lower-case (locals, `context`) is a type
 * reference: `new X(`, `X.Member`, `As<X>`, `(X)y`, `typeof(X)`, `X y = ...`. A dotted name rooted
 * in a namespace (`System.IO.File.ReadAllText`) is resolved against the known namespaces to the
 * type it names (`System.IO.File`).
 */
import {
  ALLOWED_FULL_NAMES,
  ALLOWED_SHORT_NAMES,
  EXCLUDED_MEMBERS,
  FULL_NAME_BY_SHORT_NAME,
  KNOWN_NAMESPACES,
  RESTRICTED_MEMBERS,
} from "./allowlist.js";
import { CSHARP_KEYWORDS, type CSharpToken } from "./csharp-lexer.js";

const NAMESPACES: ReadonlySet<string> = new Set(KNOWN_NAMESPACES);
const NAMESPACE_ROOTS: ReadonlySet<string> = new Set(KNOWN_NAMESPACES.map((n) => n.split(".")[0]!));

/** Keywords that name types, so `string x` declares `x`. */
const TYPE_KEYWORDS: ReadonlySet<string> = new Set([
  "bool", "byte", "char", "decimal", "double", "float", "int", "long", "object", "sbyte", "short", "string", "uint",
  "ulong", "ushort", "var", "dynamic",
]);

export interface TypeReference {
  /** The type as written or resolved (`HttpClient`, `System.IO.File`). */
  readonly name: string;
  /** Whether API Management allows it in expressions. */
  readonly allowed: boolean;
  /** Offset of the reference in the expression code. */
  readonly offset: number;
  /** The static member accessed on it (`Escape` in `Regex.Escape(...)`), if any. */
  readonly member?: string;
}

/**
 * Whether a static member of an allowed type is allowed: false for members outside a restricted
 * type's list or excluded from an "All" type (`Regex.Escape`, `XDocument.Load`).
 */
export function memberAllowed(typeName: string, member: string): boolean {
  const full = ALLOWED_FULL_NAMES.has(typeName) ? typeName : FULL_NAME_BY_SHORT_NAME.get(typeName);
  if (!full) return true;
  const restricted = RESTRICTED_MEMBERS[full];
  if (restricted && !restricted.includes(member)) return false;
  return !(EXCLUDED_MEMBERS[full] ?? []).includes(member);
}

const isIdent = (t: CSharpToken | undefined): t is CSharpToken => t?.kind === "identifier";
const isPunct = (t: CSharpToken | undefined, ...texts: string[]): boolean =>
  t?.kind === "punct" && texts.includes(t.text);

/** Names declared in the expression: locals, `out` variables, foreach/catch variables, lambda parameters. */
export function declaredNames(tokens: readonly CSharpToken[]): Set<string> {
  const declared = new Set<string>();
  tokens.forEach((t, i) => {
    if (!isIdent(t) || CSHARP_KEYWORDS.has(t.text)) return;
    const prev = tokens[i - 1];
    const next = tokens[i + 1];
    if (isPunct(next, "=>")) declared.add(t.text);
    const prevIsType =
      (isIdent(prev) && (!CSHARP_KEYWORDS.has(prev.text) || TYPE_KEYWORDS.has(prev.text))) || isPunct(prev, ">", "]", "?");
    const nextEndsDeclarator = isPunct(next, "=", ";", ",", ")") || (isIdent(next) && next.text === "in");
    if (prevIsType && nextEndsDeclarator && !isPunct(tokens[i - 2], ".", "?.")) declared.add(t.text);
  });
  // (a, b) => ...
  tokens.forEach((t, i) => {
    if (!(isPunct(t, ")") && isPunct(tokens[i + 1], "=>"))) return;
    for (let j = i - 1; j >= 0 && !isPunct(tokens[j], "("); j--) {
      const tj = tokens[j]!;
      if (isIdent(tj) && isPunct(tokens[j + 1], ",", ")")) declared.add(tj.text);
    }
  });
  return declared;
}

/** The type references of an expression's tokens, allowed or not. */
export function typeReferences(tokens: readonly CSharpToken[]): TypeReference[] {
  const declared = declaredNames(tokens);
  const refs: TypeReference[] = [];
  let i = 0;
  while (i < tokens.length) {
    const t = tokens[i]!;
    const prev = tokens[i - 1];
    if (!isIdent(t) || CSHARP_KEYWORDS.has(t.text) || isPunct(prev, ".", "?.")) {
      i++;
      continue;
    }
    // Dotted chain a.b.c (plain member access only).
    const segments = [t.text];
    let j = i + 1;
    while (isPunct(tokens[j], ".") && isIdent(tokens[j + 1])) {
      segments.push(tokens[j + 1]!.text);
      j += 2;
    }
    i = j;
    const first = segments[0]!;
    if (declared.has(first)) continue;
    // Object/anonymous initializer member `{ Name = ... }`, named argument `(name: ...)`.
    if (segments.length === 1 && isPunct(prev, "{", ",") && isPunct(tokens[j], "=")) continue;
    if (segments.length === 1 && isPunct(prev, "(", ",") && isPunct(tokens[j], ":")) continue;
    if (NAMESPACE_ROOTS.has(first) && segments.length > 1) {
      let k = 1;
      for (let n = segments.length - 1; n >= 1; n--) {
        if (NAMESPACES.has(segments.slice(0, n).join("."))) {
          k = n;
          break;
        }
      }
      const name = segments.slice(0, k + 1).join(".");
      refs.push({ name, allowed: ALLOWED_FULL_NAMES.has(name), offset: t.offset, member: segments[k + 1] });
      continue;
    }
    if (!/^[A-Z]/.test(first)) continue; // locals, parameters, `context`
    refs.push({ name: first, allowed: ALLOWED_SHORT_NAMES.has(first), offset: t.offset, member: segments[1] });
  }
  return refs;
}
