import type { PolicyViolation } from "../../policy-set.js";
import { walkElements, type PolicyElement } from "../parse.js";
import { expandFragments, fragmentsByName, sections, violation, wellFormedDocuments, type PolicyRule } from "../rule.js";

const ID = "cache-store-value-once-per-section";

const count = (el: PolicyElement): number =>
  [...walkElements(el)].filter(({ element }) => element.name === "cache-store-value").length;

/**
 * API Management: `cache-store-value` "can only be used once in a policy section" (Microsoft
 * Learn, "Store value in cache"). Counted per section with included fragments inlined (a fragment
 * is inserted as-is), and per fragment.
 */
export const cacheStoreValueOncePerSection: PolicyRule = {
  id: ID,
  description: "cache-store-value appears at most once per policy section (included fragments counted in).",
  check(set) {
    const fragments = fragmentsByName(set);
    const out: PolicyViolation[] = [];
    for (const { doc, root } of wellFormedDocuments(set)) {
      if (doc.scope === "fragment") {
        const n = count(root);
        if (n > 1) out.push(violation(ID, doc.name, `fragment has ${n} <cache-store-value> policies; a policy section may hold only one`));
        continue;
      }
      for (const [name, section] of sections(expandFragments(root, fragments))) {
        const n = count(section);
        if (n > 1) {
          out.push(violation(ID, doc.name, `section <${name}> has ${n} <cache-store-value> policies (included fragments counted in); a policy section may hold only one`));
        }
      }
    }
    return out;
  },
};
