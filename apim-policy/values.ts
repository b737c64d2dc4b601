/**
 * The value of an attribute or of an element's text: a literal, or a policy expression
 * (`@(...)`, `@{...}`) that API Management evaluates at run time. A value is one or the other: an
 * expression with text around it (`x@(1)`, `@(1) x`) is not a policy expression.
 */
import { ownText, type PolicyElement } from "./parse.js";

export type PolicyValue = { readonly kind: "literal"; readonly text: string } | { readonly kind: "expression"; readonly code: string };

/** A value that starts like a policy expression but has text around it. */
export class PolicyValueError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "PolicyValueError";
  }
}

function isExpression(s: string): boolean {
  return (s.startsWith("@(") && s.endsWith(")")) || (s.startsWith("@{") && s.endsWith("}"));
}

/** XML entities in an expression are decoded, as an XML reader does before the code is compiled. */
function decodeEntities(s: string): string {
  return s.replace(/&(lt|gt|amp|quot|apos|#\d+|#x[0-9a-fA-F]+);/g, (_m, e: string) => {
    const named: Record<string, string> = { lt: "<", gt: ">", amp: "&", quot: '"', apos: "'" };
    if (e in named) return named[e]!;
    return String.fromCodePoint(e.startsWith("#x") ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10));
  });
}

/**
 * Classifies a raw attribute value or text. `context` names it in the error thrown for an
 * expression with text around it.
 */
export function policyValue(raw: string, context: string): PolicyValue {
  const t = raw.trim();
  if (isExpression(t)) return { kind: "expression", code: decodeEntities(t) };
  if (/@[({]/.test(t) && /^\s*@[({]/.test(raw)) {
    throw new PolicyValueError(`${context}: a policy expression must be the whole value; found extra text around ${JSON.stringify(t.slice(0, 40))}`);
  }
  return { kind: "literal", text: raw };
}

/** An element's text as a value; undefined when it holds only whitespace. */
export function textValue(element: PolicyElement, context: string): PolicyValue | undefined {
  const text = ownText(element);
  return text.trim() === "" ? undefined : policyValue(text, context);
}

/** Every policy expression of an element tree (attribute values and texts), decoded, in document order. */
export function treeExpressions(root: PolicyElement, into: Set<string> = new Set()): Set<string> {
  for (const [name, raw] of Object.entries(root.attributes)) {
    const v = policyValue(raw, `<${root.name}> attribute ${name}`);
    if (v.kind === "expression") into.add(v.code);
  }
  const text = textValue(root, `<${root.name}> text`);
  if (text?.kind === "expression") into.add(text.code);
  for (const c of root.children) if (c.kind === "element") treeExpressions(c, into);
  return into;
}
