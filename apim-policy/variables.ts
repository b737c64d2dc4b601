/**
 * Context variables: what a policy tree reads from `context.Variables` and what it sets, in the
 * order API Management evaluates it (an element's attributes and text, then its children, then
 * what the element itself stores: `<set-variable name="x" value="@(...x...)"/>` reads x before
 * it sets it).
 *
 * A read is `guarded` when it cannot fail on an unset variable: `ContainsKey("x")`,
 * `TryGetValue("x", ...)`, `GetValueOrDefault("x", ...)`, an indexer `Variables["x"]` in an
 * expression that also asks `ContainsKey("x")`, or anything inside a `<when>` whose condition (or
 * an enclosing one's) asks it. An unguarded read of a variable nothing has set throws
 * KeyNotFoundException at run time.
 */
import { expressionTokens, type CSharpToken } from "./csharp-lexer.js";
import type { PolicyElement } from "./parse.js";
import { policyValue, textValue } from "./values.js";

export type VariableUseKind = "set" | "read" | "guarded-read";

export interface VariableUse {
  readonly name: string;
  readonly kind: VariableUseKind;
  /** The element whose attribute, text or own storing does it. */
  readonly element: PolicyElement;
}

/** Attributes that store into a context variable, by element (Microsoft Learn, each policy's attributes). */
export const VARIABLE_SETTING_ATTRIBUTES: Readonly<Record<string, readonly string[]>> = {
  "set-variable": ["name"],
  "cache-lookup-value": ["variable-name"],
  "send-request": ["response-variable-name"],
  "authentication-managed-identity": ["output-token-variable-name"],
  "validate-jwt": ["output-token-variable-name"],
  "validate-azure-ad-token": ["output-token-variable-name"],
  "get-authorization-context": ["context-variable-name"],
  "rate-limit": ["retry-after-variable-name", "remaining-calls-variable-name"],
  "rate-limit-by-key": ["retry-after-variable-name", "remaining-calls-variable-name"],
  "validate-content": ["errors-variable-name"],
  "validate-parameters": ["errors-variable-name"],
  "validate-headers": ["errors-variable-name"],
  "validate-status-code": ["errors-variable-name"],
  "validate-graphql-request": ["error-variable-name"],
  "validate-odata-request": ["error-variable-name"],
  "azure-openai-token-limit": ["retry-after-variable-name", "remaining-quota-tokens-variable-name", "remaining-tokens-variable-name", "tokens-consumed-variable-name"],
  "llm-token-limit": ["retry-after-variable-name", "remaining-quota-tokens-variable-name", "remaining-tokens-variable-name", "tokens-consumed-variable-name"],
};

/** Attributes that read a context variable by name (unguarded: the policy fails when it is not set). */
export const VARIABLE_READING_ATTRIBUTES: Readonly<Record<string, readonly string[]>> = {
  "return-response": ["response-variable-name"],
};

const GUARDING_METHODS = new Set(["ContainsKey", "TryGetValue", "GetValueOrDefault"]);

/** The value of a C# string literal token (regular or verbatim, no interpolation); undefined otherwise. */
function stringLiteral(t: CSharpToken | undefined): string | undefined {
  if (!t || t.kind !== "string") return undefined;
  if (t.text.startsWith('@"')) return t.text.slice(2, -1).replace(/""/g, '"');
  if (!t.text.startsWith('"')) return undefined;
  try {
    return JSON.parse(t.text.replace(/\\'/g, "'")) as string;
  } catch {
    return undefined;
  }
}

/** One access to `context.Variables` in an expression. */
export interface ExpressionVariableRead {
  readonly name: string;
  /** True for ContainsKey / TryGetValue / GetValueOrDefault. */
  readonly guarded: boolean;
  /** True for the guard methods that test presence (ContainsKey, TryGetValue): they guard indexer reads of the same name. */
  readonly checksPresence: boolean;
}

const readsCache = new Map<string, readonly ExpressionVariableRead[]>();

/** The variables an expression (`@(...)` or `@{...}`, as written) reads, with literal names only, in order. */
export function expressionVariableReads(code: string): readonly ExpressionVariableRead[] {
  let reads = readsCache.get(code);
  if (!reads) {
    reads = scanReads(code);
    if (readsCache.size > 2000) readsCache.clear();
    readsCache.set(code, reads);
  }
  return reads;
}

function scanReads(code: string): ExpressionVariableRead[] {
  const t = expressionTokens(code);
  const out: ExpressionVariableRead[] = [];
  const punct = (i: number, text: string) => t[i]?.kind === "punct" && t[i]!.text === text;
  const ident = (i: number, text: string) => t[i]?.kind === "identifier" && t[i]!.text === text;
  for (let i = 0; i < t.length; i++) {
    if (!(ident(i, "context") && (punct(i + 1, ".") || punct(i + 1, "?.")) && ident(i + 2, "Variables"))) continue;
    let j = i + 3;
    if (punct(j, "[")) {
      const name = stringLiteral(t[j + 1]);
      if (name !== undefined && punct(j + 2, "]")) out.push({ name, guarded: false, checksPresence: false });
      continue;
    }
    if (!(punct(j, ".") || punct(j, "?.")) || t[j + 1]?.kind !== "identifier" || !GUARDING_METHODS.has(t[j + 1]!.text)) continue;
    const method = t[j + 1]!.text;
    j += 2;
    if (punct(j, "<")) {
      // Generic argument: GetValueOrDefault<string>(...), GetValueOrDefault<List<string>>(...).
      let depth = 0;
      for (; j < t.length; j++) {
        if (punct(j, "<")) depth++;
        else if (punct(j, ">")) depth--;
        else if (punct(j, ">>")) depth -= 2;
        if (depth <= 0) break;
      }
      j++;
    }
    if (!punct(j, "(")) continue;
    const name = stringLiteral(t[j + 1]);
    if (name !== undefined) out.push({ name, guarded: true, checksPresence: method !== "GetValueOrDefault" });
  }
  const present = new Set(out.filter((r) => r.checksPresence).map((r) => r.name));
  return out.map((r) => (r.guarded || !present.has(r.name) ? r : { ...r, guarded: true }));
}

/** The expressions of an element's own attributes (in order) and text. */
function ownExpressions(el: PolicyElement): string[] {
  const out: string[] = [];
  for (const [name, raw] of Object.entries(el.attributes)) {
    try {
      const v = policyValue(raw, name);
      if (v.kind === "expression") out.push(v.code);
    } catch {
      /* not a valid value: the value rules report it */
    }
  }
  try {
    const text = textValue(el, "text");
    if (text?.kind === "expression") out.push(text.code);
  } catch {
    /* same */
  }
  return out;
}

interface OwnUses {
  readonly reads: readonly ExpressionVariableRead[];
  readonly readByName: readonly string[];
  readonly sets: readonly string[];
}

const ownCache = new WeakMap<PolicyElement, OwnUses>();

/** What the element itself reads (its attributes and text) and stores. */
function ownUses(el: PolicyElement): OwnUses {
  let own = ownCache.get(el);
  if (!own) {
    const literalNames = (attributes: readonly string[]) =>
      attributes.map((a) => el.attributes[a]).filter((n): n is string => n !== undefined && !n.startsWith("@"));
    own = {
      reads: ownExpressions(el).flatMap((code) => expressionVariableReads(code)),
      readByName: literalNames(VARIABLE_READING_ATTRIBUTES[el.name] ?? []),
      sets: literalNames(VARIABLE_SETTING_ATTRIBUTES[el.name] ?? []),
    };
    ownCache.set(el, own);
  }
  return own;
}

const unguardedCache = new WeakMap<PolicyElement, VariableUse[]>();

/**
 * Every use of a context variable in `el` and below, in evaluation order. `guards` are the names an
 * enclosing `<when>` condition checks with ContainsKey / TryGetValue.
 */
export function variableUses(el: PolicyElement, guards: ReadonlySet<string> = new Set()): readonly VariableUse[] {
  if (guards.size === 0) {
    const cached = unguardedCache.get(el);
    if (cached) return cached;
  }
  const out: VariableUse[] = [];
  const own = ownUses(el);
  for (const r of own.reads) out.push({ name: r.name, kind: r.guarded || guards.has(r.name) ? "guarded-read" : "read", element: el });
  for (const name of own.readByName) out.push({ name, kind: guards.has(name) ? "guarded-read" : "read", element: el });
  const inner = el.name === "when" ? new Set([...guards, ...own.reads.filter((r) => r.checksPresence).map((r) => r.name)]) : guards;
  for (const child of el.children) if (child.kind === "element") out.push(...variableUses(child, inner));
  for (const name of own.sets) out.push({ name, kind: "set", element: el });
  if (guards.size === 0) unguardedCache.set(el, out);
  return out;
}
