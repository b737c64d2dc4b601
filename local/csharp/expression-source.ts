/**
 * The C# the expression host compiles for each policy expression: `@(...)` / `@{...}` split into
 * kind and code, wrapped in a class of its own with the namespaces APIM puts in scope, and the
 * compiler's refusals turned into messages that name the type an expression may not use.
 */
import { createHash } from "node:crypto";
import type { ExpressionFailure } from "./types.js";

/** Namespaces in scope in every expression, as in APIM (plus the local context API). */
export const EXPRESSION_USINGS = [
  "System",
  "System.Collections.Generic",
  "System.IO",
  "System.Linq",
  "System.Net",
  "System.Security.Cryptography",
  "System.Security.Cryptography.X509Certificates",
  "System.Text",
  "System.Text.RegularExpressions",
  "System.Xml.Linq",
  "Newtonsoft.Json",
  "Newtonsoft.Json.Linq",
  "ApimLocal.Context",
];
/** Well-known types that are not even referenced by the expression compiler, named so the refusal is clear. */
const UNREFERENCED_FORBIDDEN: Readonly<Record<string, string>> = {
  HttpClient: "System.Net.Http.HttpClient",
  HttpRequestMessage: "System.Net.Http.HttpRequestMessage",
  HttpClientHandler: "System.Net.Http.HttpClientHandler",
};

export interface ParsedExpression {
  readonly source: string;
  readonly key: string;
  readonly className: string;
  readonly kind: "expression" | "block";
  readonly code: string;
}

/** Splits `@(...)` / `@{...}` into kind and code; anything else is a syntax failure. */
export function parseExpression(source: string): ParsedExpression | { failure: ExpressionFailure } {
  const text = source.trim();
  let kind: ParsedExpression["kind"];
  if (text.startsWith("@(") && text.endsWith(")")) kind = "expression";
  else if (text.startsWith("@{") && text.endsWith("}")) kind = "block";
  else {
    return {
      failure: {
        expression: source,
        reason: "syntax",
        messages: ["a policy expression must be @(expression) or @{ statements; return value; }"],
      },
    };
  }
  const code = text.slice(2, -1);
  if (code.trim() === "") {
    return { failure: { expression: source, reason: "syntax", messages: ["the policy expression is empty"] } };
  }
  const key = createHash("sha256").update(kind).update("\n").update(code).digest("hex").slice(0, 24);
  return { source, key, className: `E_${key}`, kind, code };
}

/** The C# source of one expression; `#line` makes compiler positions relative to the expression text. */
export function wrap(item: ParsedExpression): string {
  const usings = EXPRESSION_USINGS.map((u) => `using ${u};`).join("\n");
  const body =
    item.kind === "expression"
      ? `return (\n#line 1 "${item.className}"\n${item.code}\n#line default\n);`
      : `\n#line 1 "${item.className}"\n${item.code}\n#line default\n`;
  return `${usings}\nnamespace ApimPolicyExpressions {\npublic static class ${item.className} {\npublic static object Run(IContext context) {\n${body}\n}\n}\n}\n`;
}

/** Forbidden types named in "type or namespace not found" errors: the compiler is not even given their assemblies. */
export function unreferencedForbidden(messages: readonly string[]): string[] {
  const found = new Set<string>();
  for (const m of messages) {
    if (!/CS0246|CS0234|CS0103/.test(m)) continue;
    for (const [name, full] of Object.entries(UNREFERENCED_FORBIDDEN)) if (m.includes(`\`${name}'`)) found.add(full);
    if (/`Http' does not exist in the namespace `System.Net'/.test(m)) found.add("System.Net.Http (namespace)");
  }
  return [...found];
}

export function dedupeFailures(failures: ExpressionFailure[]): ExpressionFailure[] {
  const seen = new Set<string>();
  return failures.filter((f) => {
    const k = `${f.expression}\u0000${f.reason}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

export function abbreviate(expression: string): string {
  const oneLine = expression.replace(/\s+/g, " ").trim();
  return oneLine.length > 160 ? `${oneLine.slice(0, 157)}...` : oneLine;
}
