import { violation, type PolicyRule } from "./rule.js";

/** Document names are unique per scope: they key fragments (`fragment-id`) and every message. */
export const uniqueDocumentNames: PolicyRule = {
  id: "unique-document-names",
  description: "No two documents of the same scope share a name.",
  check(set) {
    const seen = new Set<string>();
    const out = [];
    for (const doc of set.documents) {
      const key = `${doc.scope}:${doc.name}`;
      if (seen.has(key)) {
        out.push(violation(this.id, doc.name, `two ${doc.scope} documents are named "${doc.name}" (${doc.file}); names must be unique per scope`));
      }
      seen.add(key);
    }
    return out;
  },
};
