import type { PolicySet, PolicyViolation } from "../../policy-set.js";
import { childElements, ownText, parsePolicy, walkElements, type PolicyElement } from "../parse.js";
import { at, violation, words, type PolicyRule } from "../rule.js";

const ID = "no-secret-trace";

/** Words that mark sensitive material (after splitting camelCase, snake_case, kebab-case). */
export const SENSITIVE_WORDS: ReadonlySet<string> = new Set([
  "token", "tokens", "code", "codes", "verifier", "cookie", "cookies", "authorization", "assertion", "refresh",
  "secret", "secrets", "password", "bearer", "jwt", "credential", "credentials",
]);

/** Reads of a request or response body: bodies carry codes, verifiers, tokens. */
const BODY_READ = /\bcontext\s*\.\s*(Request|Response)\s*\.\s*Body\b/;

/** Why `content` must not be traced, or undefined when it is harmless. */
export function sensitiveReason(content: string, secretNamedValues: ReadonlySet<string>): string | undefined {
  for (const m of content.matchAll(/\{\{([^{}]*)\}\}/g)) {
    if (secretNamedValues.has(m[1]!)) return `secret named value "{{${m[1]}}}"`;
  }
  if (BODY_READ.test(content)) return `a message body ("${BODY_READ.exec(content)![0]}")`;
  const w = words(content);
  for (let i = 0; i < w.length; i++) {
    const word = w[i]!;
    if (!SENSITIVE_WORDS.has(word)) continue;
    if ((word === "code" || word === "codes") && w[i - 1] === "status") continue; // HTTP status code
    return `"${word}"`;
  }
  return undefined;
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
 * assertions, refresh, secrets or passwords, reads a message body, or references a secret named value.
 */
export const noSecretTrace: PolicyRule = {
  id: ID,
  description: "No trace or log of tokens, codes, verifiers, cookies, secrets, bodies or secret named values.",
  check(set: PolicySet) {
    const secrets = new Set(set.namedValues.filter((n) => n.secret).map((n) => n.name));
    const out: PolicyViolation[] = [];
    for (const doc of set.documents) {
      const parsed = parsePolicy(doc);
      if (!parsed.ok) continue;
      for (const { element } of walkElements(parsed.root)) {
        if (element.name !== "trace" && element.name !== "log-to-eventhub") continue;
        for (const content of loggedContent(element)) {
          const reason = sensitiveReason(content, secrets);
          if (reason) {
            out.push(violation(ID, doc.name, `<${element.name}> at ${at(element)} logs ${reason}: "${content.trim().slice(0, 60)}"; never trace tokens, codes, verifiers, cookies, bodies or secrets`));
            break;
          }
        }
      }
      for (const expr of parsed.expressions) {
        for (const args of traceCalls(expr.code)) {
          const reason = sensitiveReason(args, secrets);
          if (reason) {
            out.push(violation(ID, doc.name, `context.Trace(...) in the expression at line ${expr.line}, column ${expr.column} logs ${reason}: "${args.trim().slice(0, 60)}"; never trace tokens, codes, verifiers, cookies, bodies or secrets`));
          }
        }
      }
    }
    return out;
  },
};
