/**
 * What the interpreter needs from a policy-expression evaluator: the Mono C# expression host
 * (local/csharp/expression-host.ts) in real runs; tests of the interpreter may use a small fake
 * (test-support/local-fake-expressions.ts) that knows literal expressions only. The wire types
 * (context snapshot, tagged values, results) are the expression host's.
 */
import type { ExpressionContext, ExpressionResult, TypedValue } from "../csharp/types.js";

export type { ExpressionContext, ExpressionResult, TypedValue, LastErrorSnapshot, ResponseSnapshot, BodySnapshot } from "../csharp/types.js";

export interface ExpressionEvaluator {
  compile(expressions: readonly string[]): Promise<void>;
  evaluate(expression: string, ctx: ExpressionContext): Promise<ExpressionResult>;
}

/** A value produced for a policy attribute or text: the typed value and its APIM text rendering. */
export interface PolicyResult {
  readonly value: TypedValue;
  /** How APIM renders it into an attribute, header or body; null for null. */
  readonly text: string | null;
}

export class ExpressionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ExpressionError";
  }
}

/** A policy condition's value; only booleans are accepted, as in APIM. */
export function resultToBool(r: PolicyResult, where: string): boolean {
  if (r.value.type === "bool") return r.value.value;
  throw new ExpressionError(`${where}: condition evaluated to ${r.value.type} ${JSON.stringify(r.text)}, expected bool`);
}

export const stringValue = (s: string): TypedValue => ({ type: "string", value: s });
export const nullValue: TypedValue = { type: "null" };

/** The text of a stored value, for values the interpreter itself renders (literals, cache). */
export function renderValue(v: TypedValue): string | null {
  switch (v.type) {
    case "null":
      return null;
    case "bool":
      return v.value ? "True" : "False";
    case "json":
      return JSON.stringify(v.value);
    case "response":
      return "Microsoft.Azure.ApiManagement.Proxy.Gateway.MessageResponse";
    case "array":
      return v.elementType + "[]";
    default:
      return String(v.value);
  }
}
