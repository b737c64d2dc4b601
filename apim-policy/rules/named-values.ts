import { isValidNamedValueName, namedValueReferences } from "../named-values.js";
import { lineColumn, parsePolicy } from "../parse.js";
import { violation, type PolicyRule } from "./rule.js";

/** `{{name}}` references, also in documents that are not well-formed (a text scan). */
function references(xml: string): { name: string; line: number }[] {
  return namedValueReferences(xml).map((r) => ({ name: r.name, line: lineColumn(xml, r.offset).line }));
}

/** Every `{{name}}` a document references is a defined named value with a valid name. */
export const namedValuesDefined: PolicyRule = {
  id: "named-values-defined",
  description: "Every {{NamedValue}} referenced in a policy is defined (and validly named).",
  check(set) {
    const defined = new Set(set.namedValues.map((n) => n.name));
    const out = [];
    for (const doc of set.documents) {
      const parsed = parsePolicy(doc);
      const refs = parsed.ok ? parsed.namedValueRefs : references(doc.xml);
      const reported = new Set<string>();
      for (const ref of refs) {
        if (reported.has(ref.name)) continue;
        if (!isValidNamedValueName(ref.name)) {
          reported.add(ref.name);
          out.push(violation(this.id, doc.name, `"{{${ref.name}}}" at line ${ref.line} is not a valid named value reference; names use letters, digits, '.', '-', '_' (1-256 characters)`));
        } else if (!defined.has(ref.name)) {
          reported.add(ref.name);
          out.push(violation(this.id, doc.name, `named value "${ref.name}" referenced at line ${ref.line} is not defined; define it with addNamedValue or fix the reference`));
        }
      }
    }
    return out;
  },
};

/** Every defined named value is referenced by some document, and has a valid name. */
export const namedValuesUsed: PolicyRule = {
  id: "named-values-used",
  description: "Every defined named value is validly named and used by at least one policy.",
  check(set) {
    const used = new Set(set.documents.flatMap((doc) => references(doc.xml).map((r) => r.name)));
    const out = [];
    const seen = new Set<string>();
    for (const nv of set.namedValues) {
      if (seen.has(nv.name)) {
        out.push(violation(this.id, "*", `named value "${nv.name}" is defined more than once`));
        continue;
      }
      seen.add(nv.name);
      if (!isValidNamedValueName(nv.name)) {
        out.push(violation(this.id, "*", `named value name "${nv.name}" is invalid; use letters, digits, '.', '-', '_' (1-256 characters)`));
      } else if (!used.has(nv.name)) {
        out.push(violation(this.id, "*", `named value "${nv.name}" is defined but no policy references {{${nv.name}}}; remove it or use it`));
      }
    }
    return out;
  },
};
