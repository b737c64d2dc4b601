import type { PolicyViolation } from "../../policy-set.js";
import { at, violation, wellFormedDocuments, type PolicyRule } from "../rule.js";
import { tableCheck } from "./known-elements.js";

/**
 * Every `<when>` and `<otherwise>` of a `<choose>` holds at least one policy statement (comments do
 * not count): the choose page describes each as holding "one or more policy statements", so an empty
 * branch used only to stop the branches after it may be refused on deploy. The element table marks
 * them (`statementRequired`, apim-policy/elements.ts) and the local gateway refuses them too.
 */
export const whenNotEmpty: PolicyRule = {
  id: "when-not-empty",
  description: "Each <when> and <otherwise> of a <choose> holds at least one policy statement.",
  check(set) {
    const out: PolicyViolation[] = [];
    for (const doc of wellFormedDocuments(set)) {
      for (const p of tableCheck(doc).problems) {
        if (p.kind === "empty-element") out.push(violation(this.id, doc.doc.name, `${p.describe(`at ${at(p.element)}`)} (${doc.doc.file})`));
      }
    }
    return out;
  },
};
