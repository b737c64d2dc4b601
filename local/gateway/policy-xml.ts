/**
 * Policy XML for the local gateway: parsed with the project's own rawxml-aware parser
 * (apim-policy/parse.ts, the one the static checks use, so both read a document the
 * same way), then turned into a simpler tree whose attribute values and texts are either literals
 * or policy expressions.
 */
import { parsePolicyXml as parseRaw, type PolicyElement as RawElement } from "../../apim-policy/parse.js";

/** A value in the policy document: literal text, or a policy expression (full text incl. `@(`/`@{`). */
export type PolicyValue = { readonly kind: "literal"; readonly text: string } | { readonly kind: "expression"; readonly code: string };

export interface PolicyElement {
  readonly name: string;
  readonly attributes: ReadonlyMap<string, PolicyValue>;
  readonly children: readonly PolicyElement[];
  /** Text content; undefined when the element has only whitespace. */
  readonly text?: PolicyValue;
  /** Where the element is, for messages: `<document> line N <name>`. */
  readonly where: string;
}

export class PolicyXmlError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "PolicyXmlError";
  }
}

function isExpression(s: string): boolean {
  return (s.startsWith("@(") && s.endsWith(")")) || (s.startsWith("@{") && s.endsWith("}"));
}

/** XML entities in an expression are decoded, as APIM's XML reader does before compiling. */
function decodeEntities(s: string): string {
  return s.replace(/&(lt|gt|amp|quot|apos|#\d+|#x[0-9a-fA-F]+);/g, (_m, e: string) => {
    const named: Record<string, string> = { lt: "<", gt: ">", amp: "&", quot: '"', apos: "'" };
    if (e in named) return named[e]!;
    return String.fromCodePoint(e.startsWith("#x") ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10));
  });
}

function toValue(raw: string, trim: boolean, context: string): PolicyValue {
  const t = raw.trim();
  if (isExpression(t)) return { kind: "expression", code: decodeEntities(t) };
  if (/@[({]/.test(t) && /^\s*@[({]/.test(raw)) {
    throw new PolicyXmlError(`${context}: a policy expression must be the whole value; found extra text around ${JSON.stringify(t.slice(0, 40))}`);
  }
  return { kind: "literal", text: trim ? t : raw };
}

/** Parses a policy document or fragment; `document` names it in messages. */
export function parsePolicyDocument(xml: string, document: string): PolicyElement {
  const parsed = parseRaw(xml);
  if (!parsed.ok) throw new PolicyXmlError(`policy ${document}: not well-formed policy XML: ${parsed.error}`);
  const convert = (el: RawElement): PolicyElement => {
    const where = `policy ${document} line ${el.line} <${el.name}>`;
    const attributes = new Map<string, PolicyValue>();
    for (const [k, v] of Object.entries(el.attributes)) attributes.set(k, toValue(v, false, `${where} attribute ${k}`));
    const children: PolicyElement[] = [];
    let text = "";
    for (const c of el.children) {
      if (c.kind === "element") children.push(convert(c));
      else text += c.text;
    }
    return {
      name: el.name,
      attributes,
      children,
      text: text.trim() === "" ? undefined : toValue(text, false, `${where} text`),
      where,
    };
  };
  return convert(parsed.root);
}

/** Every expression in an element tree (attributes and text). */
export function collectExpressions(root: PolicyElement, into: Set<string> = new Set()): Set<string> {
  for (const v of root.attributes.values()) if (v.kind === "expression") into.add(v.code);
  if (root.text?.kind === "expression") into.add(root.text.code);
  for (const c of root.children) collectExpressions(c, into);
  return into;
}
