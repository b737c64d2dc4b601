import { memberAllowed, typeReferences } from "../csharp-types.js";
import { violation, wellFormedDocuments, type PolicyRule } from "./rule.js";

/**
 * C# in policy expressions names only types on API Management's allow-list
 * (csharp-allowlist.ts), and only the allowed static members of types the list restricts
 * (`Regex.Escape`, `XDocument.Load`, `DateTime.TryParse` are refused); anything else (System.IO.File, HttpClient, Environment, Process,
 * reflection, RandomNumberGenerator...) fails at save time or at run time in the gateway.
 */
export const csharpAllowedTypes: PolicyRule = {
  id: "csharp-allowed-types",
  description: "Policy expressions use only .NET types on API Management's expression allow-list.",
  check(set) {
    const out = [];
    for (const { doc, expressions } of wellFormedDocuments(set)) {
      for (const expr of expressions) {
        const reported = new Set<string>();
        for (const ref of typeReferences(expr.tokens)) {
          if (ref.allowed && ref.member !== undefined && !memberAllowed(ref.name, ref.member)) {
            const key = `${ref.name}.${ref.member}`;
            if (reported.has(key)) continue;
            reported.add(key);
            out.push(
              violation(this.id, doc.name, `member "${key}" in the policy expression at line ${expr.line}, column ${expr.column} is not among the members API Management allows on ${ref.name}`),
            );
            continue;
          }
          if (ref.allowed || reported.has(ref.name)) continue;
          reported.add(ref.name);
          out.push(
            violation(this.id, doc.name, `type "${ref.name}" in the policy expression at line ${expr.line}, column ${expr.column} is not on API Management's allow-list of .NET types for policy expressions`),
          );
        }
      }
    }
    return out;
  },
};
