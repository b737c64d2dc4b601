/**
 * The JSON fields policy expressions read and write on records held in context variables (as
 * JSON text, the only way a record fits in a variable): `JObject.Parse((string)context.Variables["v"])["f"]`,
 * or a local bound to such a parse (`var g = JObject.Parse(...["v"]); g["f"]`, also through a
 * `(JObject)...DeepClone()`), and fields named in `new JProperty("f", ...)` or assigned
 * (`record["f"] = ...`) while building a value. Pattern-based, like the type references of
 * csharp-types.ts: it sees the forms the policies use, not every C# program.
 */
import { expressionTokens, type CSharpToken } from "./csharp-lexer.js";

export interface FieldAccess {
  /** The context variable whose JSON the field belongs to; undefined for fields of a value being built (JProperty, assignments). */
  readonly variable?: string;
  readonly field: string;
  readonly write: boolean;
}

function literal(t: CSharpToken | undefined): string | undefined {
  if (!t || t.kind !== "string" || !t.text.startsWith('"')) return undefined;
  try {
    return JSON.parse(t.text) as string;
  } catch {
    return undefined;
  }
}

/** Index of the bracket closing the one at `open`. */
function closing(t: readonly CSharpToken[], open: number): number {
  const pairs: Record<string, string> = { "(": ")", "[": "]", "{": "}" };
  const want = pairs[t[open]!.text]!;
  let depth = 0;
  for (let i = open; i < t.length; i++) {
    if (t[i]!.kind !== "punct") continue;
    if (t[i]!.text === t[open]!.text) depth++;
    else if (t[i]!.text === want && --depth === 0) return i;
  }
  return t.length - 1;
}

/** The variable a span of tokens reads with `context.Variables["v"]` or `GetValueOrDefault...("v"`, if exactly one. */
function variableIn(t: readonly CSharpToken[], from: number, to: number): string | undefined {
  const names = new Set<string>();
  for (let i = from; i + 2 <= to; i++) {
    if (t[i]?.text !== "Variables" || t[i - 1]?.text !== "." || t[i - 2]?.text !== "context") continue;
    if (t[i + 1]?.text === "[") {
      const n = literal(t[i + 2]);
      if (n !== undefined) names.add(n);
    } else if (t[i + 1]?.text === "." && t[i + 2]?.text === "GetValueOrDefault") {
      for (let j = i + 3; j <= to; j++) {
        if (t[j]?.text === "(") {
          const n = literal(t[j + 1]);
          if (n !== undefined) names.add(n);
          break;
        }
      }
    }
  }
  return names.size === 1 ? [...names][0] : undefined;
}

const isAssignment = (t: CSharpToken | undefined) => t?.kind === "punct" && t.text === "=";

const cache = new Map<string, readonly FieldAccess[]>();

/** The field accesses of one expression (`@(...)` or `@{...}` as written). */
export function fieldAccesses(code: string): readonly FieldAccess[] {
  let found = cache.get(code);
  if (!found) {
    found = scan(code);
    if (cache.size > 2000) cache.clear();
    cache.set(code, found);
  }
  return found;
}

function scan(code: string): FieldAccess[] {
  const t = expressionTokens(code);
  const out: FieldAccess[] = [];
  const bound = new Map<string, string>();
  const at = (i: number, text: string) => t[i]?.text === text;
  for (let i = 0; i < t.length; i++) {
    // JObject.Parse( ... context.Variables["v"] ... )
    if (at(i, "JObject") && at(i + 1, ".") && at(i + 2, "Parse") && at(i + 3, "(")) {
      const end = closing(t, i + 3);
      const variable = variableIn(t, i + 4, end);
      if (variable === undefined) continue;
      // Bound to a local: `name = JObject.Parse(...)`, `name = (JObject)(JObject.Parse(...)).DeepClone()`.
      let k = i - 1;
      while (k >= 0 && (at(k, "(") || at(k, ")") || at(k, "JObject"))) k--;
      if (isAssignment(t[k]) && t[k - 1]?.kind === "identifier") bound.set(t[k - 1]!.text, variable);
      // Chained: `JObject.Parse(...)["f"]`, `(JObject.Parse(...))["f"]`.
      let j = end + 1;
      while (at(j, ")")) j++;
      if (at(j, "[")) {
        const field = literal(t[j + 1]);
        if (field !== undefined && at(j + 2, "]")) out.push({ variable, field, write: isAssignment(t[j + 3]) });
      }
      continue;
    }
    // new JProperty("f", ...)
    if (at(i, "new") && at(i + 1, "JProperty") && at(i + 2, "(")) {
      const field = literal(t[i + 3]);
      if (field !== undefined) out.push({ field, write: true });
      continue;
    }
    // name["f"] on a bound local, or an assignment to any local's field while building a value.
    if (t[i]?.kind === "identifier" && at(i + 1, "[") && !at(i - 1, ".")) {
      const field = literal(t[i + 2]);
      if (field === undefined || !at(i + 3, "]")) continue;
      // A write goes to the value being built (a parsed record is a copy), a read to the record the local was parsed from.
      if (isAssignment(t[i + 4])) out.push({ field, write: true });
      else {
        const variable = bound.get(t[i]!.text);
        if (variable !== undefined) out.push({ variable, field, write: false });
      }
    }
  }
  return out;
}
