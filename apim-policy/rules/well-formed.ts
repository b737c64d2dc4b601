import { parsePolicy } from "../parse.js";
import { violation, type PolicyRule } from "./rule.js";

/**
 * Every document is well-formed XML once its policy expressions are set aside (API Management's
 * `rawxml` format lets expressions hold raw C#). Expressions must close (balanced brackets, closed
 * literals). The message carries the line and column.
 */
export const xmlWellFormed: PolicyRule = {
  id: "xml-well-formed",
  description: "Each policy document is well-formed XML (policy expressions in rawxml form allowed).",
  check(set) {
    return set.documents.flatMap((doc) => {
      const parsed = parsePolicy(doc);
      return parsed.ok ? [] : [violation(this.id, doc.name, `${doc.file} is not well-formed: ${parsed.error}`)];
    });
  },
};
