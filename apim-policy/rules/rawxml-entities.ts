import { violation, wellFormedDocuments, type PolicyRule } from "./rule.js";

const ENTITY = /&(?:amp|lt|gt|quot|apos|#[0-9]+|#x[0-9a-fA-F]+);/g;

/**
 * No XML entities (`&amp;&amp;`, `&lt;`, `&quot;`...) in the code of a policy expression. Policies
 * are sent in `rawxml` format, where expressions are raw C#: API Management XML-encodes them itself,
 * so an entity written by hand reaches the C# compiler verbatim (`&amp;&amp;` is not `&&`) and the
 * save fails. Entities inside C# string literals are left alone (they may be meant as HTML).
 */
export const rawxmlExpressionEntities: PolicyRule = {
  id: "rawxml-expression-entities",
  description: "Policy expressions hold raw C# (rawxml): no XML entities in their code outside string literals.",
  check(set) {
    const out = [];
    for (const { doc, expressions } of wellFormedDocuments(set)) {
      for (const expr of expressions) {
        // Blank out string and char literals, keep offsets.
        let code = expr.code;
        for (const t of expr.tokens) {
          if (t.kind === "string" || t.kind === "char") {
            code = code.slice(0, t.offset) + " ".repeat(t.text.length) + code.slice(t.offset + t.text.length);
          }
        }
        const found = [...new Set([...code.matchAll(ENTITY)].map((m) => m[0]))];
        if (found.length > 0) {
          out.push(
            violation(this.id, doc.name, `XML entit${found.length > 1 ? "ies" : "y"} ${found.map((e) => `"${e}"`).join(", ")} in the policy expression at line ${expr.line}, column ${expr.column}: policies are sent as rawxml, so expressions are raw C# and the entity reaches the compiler verbatim; write the character itself (&&, <, >, ")`),
          );
        }
      }
    }
    return out;
  },
};
