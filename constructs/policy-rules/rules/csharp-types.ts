import { parsePolicy } from "../parse.js";
import { typeReferences } from "../csharp-types.js";
import { violation, type PolicyRule } from "../rule.js";

/**
 * C# in policy expressions names only types on API Management's allow-list
 * (csharp-allowlist.ts); anything else (System.IO.File, HttpClient, Environment, Process,
 * reflection, RandomNumberGenerator...) fails at save time or at run time in the gateway.
 */
export const csharpAllowedTypes: PolicyRule = {
  id: "csharp-allowed-types",
  description: "Policy expressions use only .NET types on API Management's expression allow-list.",
  check(set) {
    const out = [];
    for (const doc of set.documents) {
      const parsed = parsePolicy(doc);
      if (!parsed.ok) continue;
      for (const expr of parsed.expressions) {
        const reported = new Set<string>();
        for (const ref of typeReferences(expr.tokens)) {
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
