import type { PolicyViolation } from "./rule.js";
import { walkElements } from "../parse.js";
import { expandFragments, fragmentsByName } from "../fragments.js";
import { sections } from "../sections.js";
import { at, violation, wellFormedDocuments, type PolicyRule } from "./rule.js";

/** Policies that read (and so buffer) the response body when used in outbound. */
const BODY_READING_OUTBOUND = new Set([
  "set-body",
  "find-and-replace",
  "json-to-xml",
  "xml-to-json",
  "xsl-transform",
  "redirect-content-urls",
  "validate-content",
  "cache-store",
]);

/** Code that reads the response body: `context.Response.Body` (hence `Body.As<...>` on it). */
const RESPONSE_BODY = /\bcontext\s*\.\s*Response\s*\.\s*Body\b/;

/** How a product names its streaming rule: the id findings are reported under, and what it enforces. */
export interface StreamingContract {
  readonly id: string;
  readonly description: string;
}

/**
 * A streaming API (Server-Sent Events: documents marked `streaming`) never buffers the response. In
 * every document of a streaming API (fragments it includes counted in): no `context.Response.Body`
 * reads, every `forward-request` has `buffer-response="false"`, no body-reading policy (`set-body`,
 * `validate-content`, transformations, `cache-store`) in outbound; and each streaming API has a
 * forward-request.
 */
export function streamingRule(contract: StreamingContract): PolicyRule {
  const ID = contract.id;
  return {
    id: ID,
    description: contract.description,
    check(set) {
      const fragments = fragmentsByName(set);
      const out: PolicyViolation[] = [];
      const forwardsByApi = new Map<string, number>();
      for (const { doc, root } of wellFormedDocuments(set)) {
        if (!doc.streaming) continue;
        const api = doc.apiName ?? doc.name;
        forwardsByApi.set(api, forwardsByApi.get(api) ?? 0);
        const expanded = expandFragments(root, fragments);
        for (const { element } of walkElements(expanded)) {
          if (element.name === "forward-request") {
            forwardsByApi.set(api, (forwardsByApi.get(api) ?? 0) + 1);
            const buffer = element.attributes["buffer-response"];
            if (buffer !== "false") {
              out.push(violation(ID, doc.name, `<forward-request> at ${at(element)} has buffer-response=${buffer === undefined ? "unset (default true)" : `"${buffer}"`}; streaming APIs need buffer-response="false"`));
            }
          }
          for (const value of [...Object.values(element.attributes), ...element.children.flatMap((c) => (c.kind === "text" ? [c.text] : []))]) {
            if (RESPONSE_BODY.test(value)) {
              out.push(violation(ID, doc.name, `<${element.name}> at ${at(element)} reads context.Response.Body ("${value.trim().slice(0, 60)}"); reading the response body buffers the stream`));
            }
          }
        }
        const outbound = sections(expanded).get("outbound");
        if (outbound) {
          for (const { element } of walkElements(outbound)) {
            if (BODY_READING_OUTBOUND.has(element.name) && element !== outbound) {
              out.push(violation(ID, doc.name, `<${element.name}> in outbound at ${at(element)} reads the response body; streaming APIs must not transform, validate or cache responses`));
            }
          }
        }
      }
      for (const [api, count] of forwardsByApi) {
        if (count === 0) {
          out.push(violation(ID, api, `streaming API "${api}" has no <forward-request buffer-response="false"> in any of its policies; the inherited default buffers responses`));
        }
      }
      return out;
    },
  };
}
