import { walkElements } from "../parse.js";
import { fragmentsByName } from "../fragments.js";
import { at, violation, wellFormedDocuments, type PolicyRule } from "./rule.js";

/** Every `<include-fragment fragment-id="x">` names a fragment document of the set. */
export const includeFragmentDefined: PolicyRule = {
  id: "include-fragment-defined",
  description: "Every include-fragment fragment-id refers to a defined policy fragment.",
  check(set) {
    const fragments = fragmentsByName(set);
    const out = [];
    for (const { doc, root } of wellFormedDocuments(set)) {
      for (const { element } of walkElements(root)) {
        if (element.name !== "include-fragment") continue;
        const id = element.attributes["fragment-id"];
        if (id === undefined || id === "") {
          out.push(violation(this.id, doc.name, `<include-fragment> at ${at(element)} has no fragment-id`));
        } else if (!fragments.has(id)) {
          const known = [...fragments.keys()].sort().join(", ") || "none";
          out.push(violation(this.id, doc.name, `<include-fragment fragment-id="${id}"> at ${at(element)} names no defined fragment (defined: ${known})`));
        }
      }
    }
    return out;
  },
};
