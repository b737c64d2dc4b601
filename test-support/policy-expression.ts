/**
 * One policy expression of a real policy file, and a way to evaluate it on Mono with chosen
 * context variables: tests compare a policy's own C# with its TypeScript restatement.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parsePolicyXml, walkElements } from "../apim-policy/parse.js";
import type { ExpressionHost, TypedValue } from "../local/csharp/expression-host.js";

const POLICIES = join(import.meta.dirname, "..", "policies");

/** The `value` expression of `<set-variable name="variable">` in `policies/<file>` (exactly one). */
export function setVariableExpression(file: string, variable: string): string {
  const parsed = parsePolicyXml(readFileSync(join(POLICIES, file), "utf8"));
  if (!parsed.ok) throw new Error(`${file}: ${parsed.error}`);
  const found = [...walkElements(parsed.root)].filter(({ element }) => element.name === "set-variable" && element.attributes.name === variable);
  if (found.length !== 1) throw new Error(`${file}: expected one <set-variable name="${variable}">, found ${found.length}`);
  return found[0]!.element.attributes.value!;
}

/** Evaluates `expression` with string, bool or int variables; returns its value (throws on an exception). */
export async function evaluateWith(host: ExpressionHost, expression: string, variables: Record<string, string | boolean | number>): Promise<unknown> {
  const typed: Record<string, TypedValue> = {};
  for (const [k, v] of Object.entries(variables)) {
    typed[k] = typeof v === "string" ? { type: "string", value: v } : typeof v === "boolean" ? { type: "bool", value: v } : { type: "int", value: v };
  }
  const result = await host.evaluate(expression, { request: { method: "GET", url: "https://gateway.example/authorize" }, variables: typed });
  if (!result.ok) throw new Error(`${expression.slice(0, 80)}...: ${result.error.type}: ${result.error.message}`);
  return "value" in result.value ? result.value.value : null;
}
