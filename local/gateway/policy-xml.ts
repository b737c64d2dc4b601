/**
 * Policy XML for the local gateway: parsed with the policy language's own parser
 * (apim-policy/parse.ts, the one the static checks use, so both read a document the same way);
 * every element remembers the document it was written in, for messages.
 */
import { parsePolicyXml, type PolicyElement } from "../../apim-policy/parse.js";

export type { PolicyElement } from "../../apim-policy/parse.js";

export class PolicyXmlError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "PolicyXmlError";
  }
}

/** Parses a policy document or fragment; `document` (e.g. `api mcp`, `fragment x`) names it in messages. */
export function parsePolicyDocument(xml: string, document: string): PolicyElement {
  const parsed = parsePolicyXml(xml, document);
  if (!parsed.ok) throw new PolicyXmlError(`policy ${document}: not well-formed policy XML: ${parsed.error}`);
  return parsed.root;
}

/** Where an element is, for messages: `policy <document> line N <name>`. */
export function where(el: PolicyElement): string {
  return `policy ${el.source ?? "?"} line ${el.line} <${el.name}>`;
}
