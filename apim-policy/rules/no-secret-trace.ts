import type { PolicySet } from "../policy-set.js";
import type { PolicyViolation } from "./rule.js";
import { namedValueReferences } from "../named-values.js";
import { childElements, ownText, walkElements, type PolicyElement } from "../parse.js";
import { at, violation, wellFormedDocuments, words, type PolicyRule } from "./rule.js";

const ID = "no-secret-trace";

/** Words that mark sensitive material (after splitting camelCase, snake_case, kebab-case). */
export const SENSITIVE_WORDS: ReadonlySet<string> = new Set([
  "token", "tokens", "code", "codes", "verifier", "cookie", "cookies", "authorization", "assertion", "refresh",
  "secret", "secrets", "password", "bearer", "jwt", "credential", "credentials",
]);

/** Reads of a request or response body: bodies carry codes, verifiers, tokens. */
const BODY_READ = /\bcontext\s*\.\s*(Request|Response)\s*\.\s*Body\b/;

/** Context variables an expression reads: `Variables["x"]`, `Variables.GetValueOrDefault<T>("x", ...)`. */
export function variablesRead(content: string): string[] {
  const names: string[] = [];
  for (const m of content.matchAll(/Variables\s*(?:\[\s*"([^"]+)"|\.\s*(?:GetValueOrDefault|ContainsKey|TryGetValue)\s*(?:<[^>]*>)?\s*\(\s*"([^"]+)")/g)) {
    names.push(m[1] ?? m[2]!);
  }
  return names;
}

/**
 * Why `content` must not be traced, or undefined when it is harmless. `sensitiveVariables` maps
 * context variables known to hold sensitive values to the reason.
 */
export function sensitiveReason(
  content: string,
  secretNamedValues: ReadonlySet<string>,
  sensitiveVariables: ReadonlyMap<string, string> = new Map(),
): string | undefined {
  for (const { name } of namedValueReferences(content)) {
    if (secretNamedValues.has(name)) return `secret named value "{{${name}}}"`;
  }
  if (BODY_READ.test(content)) return `a message body ("${BODY_READ.exec(content)![0]}")`;
  const w = words(content);
  for (let i = 0; i < w.length; i++) {
    const word = w[i]!;
    if (!SENSITIVE_WORDS.has(word)) continue;
    if ((word === "code" || word === "codes") && w[i - 1] === "status") continue; // HTTP status code
    return `"${word}"`;
  }
  for (const name of variablesRead(content)) {
    const why = sensitiveVariables.get(name);
    if (why) return `variable "${name}", which holds ${why}`;
  }
  return undefined;
}

/**
 * Context variables that hold sensitive values, across the set: those set (`set-variable`) from a
 * sensitive source or under a sensitive name, and `send-request` responses (upstream replies carry
 * tokens). Propagated until stable, so a variable copied from a sensitive one is sensitive too.
 * `loggable` variables are exempt (a product's contract names them, each with why it is safe).
 */
export function sensitiveVariables(set: PolicySet, secretNamedValues: ReadonlySet<string>, loggable: ReadonlySet<string> = new Set()): Map<string, string> {
  const assignments: { name: string; value: string }[] = [];
  const sensitive = new Map<string, string>();
  for (const { root } of wellFormedDocuments(set)) {
    for (const { element } of walkElements(root)) {
      if (element.name === "set-variable" && element.attributes["name"]) {
        assignments.push({ name: element.attributes["name"], value: element.attributes["value"] ?? ownText(element) });
      }
      const response = element.attributes["response-variable-name"];
      if (element.name === "send-request" && response) sensitive.set(response, "an upstream send-request response");
    }
  }
  for (let changed = true; changed; ) {
    changed = false;
    for (const { name, value } of assignments) {
      if (sensitive.has(name) || loggable.has(name)) continue;
      const reason = sensitiveReason(name, secretNamedValues) ?? sensitiveReason(value, secretNamedValues, sensitive);
      if (reason) {
        sensitive.set(name, reason.startsWith("variable ") ? `a value derived from ${reason}` : reason);
        changed = true;
      }
    }
  }
  return sensitive;
}

/** What a trace or log element would write: message text and metadata names/values, or the text. */
function loggedContent(element: PolicyElement): string[] {
  if (element.name !== "trace") return [ownText(element)];
  const parts: string[] = [];
  for (const child of childElements(element)) {
    if (child.name === "message") parts.push(ownText(child));
    if (child.name === "metadata") parts.push(child.attributes["name"] ?? "", child.attributes["value"] ?? "");
  }
  return parts;
}

/** The argument source of each `context.Trace(...)` call in an expression's code. */
function traceCalls(code: string): string[] {
  const calls: string[] = [];
  for (const m of code.matchAll(/\bcontext\s*\.\s*Trace\s*\(/g)) {
    let depth = 1;
    let i = m.index + m[0].length;
    const start = i;
    for (; i < code.length && depth > 0; i++) {
      if (code[i] === "(") depth++;
      else if (code[i] === ")") depth--;
    }
    calls.push(code.slice(start, i - 1));
  }
  return calls;
}

/**
 * Nothing sensitive reaches traces or logs: no `<trace>` (message or metadata), `<log-to-eventhub>`
 * or `context.Trace(...)` that mentions tokens, codes, verifiers, cookies, Authorization,
 * assertions, refresh, secrets or passwords, reads a message body, references a secret named value,
 * or reads a context variable holding any of these (see `sensitiveVariables`; the `loggableVariables`
 * are exempt).
 */
export function noSecretTraceRule(options: { readonly loggableVariables: ReadonlySet<string> }): PolicyRule {
  return {
    id: ID,
    description: "No trace or log of tokens, codes, verifiers, cookies, secrets, bodies or secret named values.",
    check(set: PolicySet) {
      const secrets = new Set(set.namedValues.filter((n) => n.secret).map((n) => n.name));
      const variables = sensitiveVariables(set, secrets, options.loggableVariables);
      const out: PolicyViolation[] = [];
      for (const { doc, root, expressions } of wellFormedDocuments(set)) {
        for (const { element } of walkElements(root)) {
          if (element.name !== "trace" && element.name !== "log-to-eventhub") continue;
          for (const content of loggedContent(element)) {
            const reason = sensitiveReason(content, secrets, variables);
            if (reason) {
              out.push(violation(ID, doc.name, `<${element.name}> at ${at(element)} logs ${reason}: "${content.trim().slice(0, 60)}"; never trace tokens, codes, verifiers, cookies, bodies or secrets`));
              break;
            }
          }
        }
        for (const expr of expressions) {
          for (const args of traceCalls(expr.code)) {
            const reason = sensitiveReason(args, secrets, variables);
            if (reason) {
              out.push(violation(ID, doc.name, `context.Trace(...) in the expression at line ${expr.line}, column ${expr.column} logs ${reason}: "${args.trim().slice(0, 60)}"; never trace tokens, codes, verifiers, cookies, bodies or secrets`));
            }
          }
        }
      }
      return out;
    },
  };
}
