/**
 * A stand-in for the C# expression host in interpreter unit tests: it understands literal
 * expressions only (`@("text")`, `@(true)`, `@(42)`, `@(null)`) and refuses everything else, so a
 * test can never pass by accident on an expression it does not really evaluate.
 */
import type { ExpressionContext, ExpressionEvaluator, ExpressionResult, TypedValue } from "../local/gateway/expressions.js";

export class FakeLiteralEvaluator implements ExpressionEvaluator {
  readonly compiled: string[] = [];
  readonly evaluations: { expression: string; ctx: ExpressionContext }[] = [];

  async compile(expressions: readonly string[]): Promise<void> {
    for (const e of expressions) parseLiteral(e);
    this.compiled.push(...expressions);
  }

  async evaluate(expression: string, ctx: ExpressionContext): Promise<ExpressionResult> {
    this.evaluations.push({ expression, ctx });
    const value = parseLiteral(expression);
    const text = value.type === "null" ? null : value.type === "bool" ? (value.value ? "True" : "False") : String(value.value);
    return { ok: true, value, text, requestBodyConsumed: false, responseBodyConsumed: false, variableBodiesConsumed: [], traces: [] };
  }
}

export function parseLiteral(expression: string): TypedValue {
  const m = /^@\((.*)\)$/s.exec(expression.trim());
  if (!m) throw new Error(`fake evaluator: ${JSON.stringify(expression)} is not a literal expression`);
  const body = m[1]!.trim();
  if (body === "true" || body === "false") return { type: "bool", value: body === "true" };
  if (body === "null") return { type: "null" };
  if (/^-?\d+$/.test(body)) return { type: "int", value: Number(body) };
  if (/^"([^"\\]|\\.)*"$/.test(body)) return { type: "string", value: JSON.parse(body) as string };
  throw new Error(`fake evaluator: ${JSON.stringify(expression)} is not a literal expression`);
}
