import type { PolicyViolation } from "../../policy-set.js";
import { childElements, type PolicyElement } from "../../../apim-policy/parse.js";
import { CHILD_ELEMENTS, POLICY_STATEMENTS, type ElementSpec } from "../../../apim-policy/elements.js";
import { SECTIONS } from "../../../apim-policy/sections.js";
import { at, violation, wellFormedDocuments, type PolicyRule } from "../rule.js";

const ID = "known-policy-elements";
const SECTION_SET: ReadonlySet<string> = new Set(SECTIONS);

/**
 * Only policy elements API Management knows, each in a place it may appear: policy statements in
 * sections, fragments and policy containers (`when`, `otherwise`, `retry`, `wait`,
 * `limit-concurrency`); each policy's own child elements inside it.
 */
export const knownPolicyElements: PolicyRule = {
  id: ID,
  description: "Only policy elements API Management knows, each where it may appear.",
  check(set) {
    const out: PolicyViolation[] = [];
    for (const { doc, root } of wellFormedDocuments(set)) {
      // Root and sections are the structure rules' business; check what they hold.
      const containers =
        root.name === "policies" ? childElements(root).filter((s) => SECTION_SET.has(s.name)) : root.name === "fragment" ? [root] : [];
      for (const container of containers) checkChildren(container, { policies: true }, doc.name, out);
    }
    return out;
  },
};

function checkChildren(parent: PolicyElement, spec: ElementSpec, document: string, out: PolicyViolation[]): void {
  if (spec.anyContent) return;
  for (const child of childElements(parent)) {
    const own = spec.children?.includes(child.name) ? (POLICY_STATEMENTS[child.name] ?? CHILD_ELEMENTS[child.name]) : undefined;
    const policy = spec.policies ? POLICY_STATEMENTS[child.name] : undefined;
    const childSpec = own ?? policy;
    if (childSpec) {
      checkChildren(child, childSpec, document, out);
      continue;
    }
    const known = POLICY_STATEMENTS[child.name] !== undefined || CHILD_ELEMENTS[child.name] !== undefined;
    const expected = [...(spec.children ?? []), ...(spec.policies ? ["policy statements"] : [])];
    out.push(
      violation(
        ID,
        document,
        known
          ? `<${child.name}> at ${at(child)} may not appear inside <${parent.name}>; expected ${expected.join(", ") || "no child elements"}`
          : `unknown policy element <${child.name}> at ${at(child)} inside <${parent.name}>; API Management has no such policy or child element`,
      ),
    );
  }
}
