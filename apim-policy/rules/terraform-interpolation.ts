import { lineColumn } from "../parse.js";
import { violation, type PolicyRule } from "./rule.js";

/**
 * No `${` or `%{` anywhere: the XML lands in a Terraform JSON string, where Terraform would read
 * them as an interpolation or a template directive. C# interpolated strings (`$"...{x}"`) are fine:
 * only the two-character sequences matter.
 */
export const noTerraformInterpolation: PolicyRule = {
  id: "no-terraform-interpolation",
  description: "Policy XML contains no ${ or %{ sequences, which Terraform would interpolate.",
  check(set) {
    const out = [];
    for (const doc of set.documents) {
      for (const m of doc.xml.matchAll(/[$%]\{/g)) {
        const { line, column } = lineColumn(doc.xml, m.index);
        const context = doc.xml.slice(m.index, m.index + 30).split("\n")[0];
        const message = doc.xml.startsWith("${TfToken[", m.index)
          ? `a cdktf token ("${context}") at line ${line}, column ${column} puts a Terraform expression into the policy XML; pass values to policies through named values`
          : `"${m[0]}" at line ${line}, column ${column} ("${context}") would be interpolated by Terraform; rewrite it (e.g. "$" + "{" or string.Format)`;
        out.push(violation(this.id, doc.name, message));
      }
    }
    return out;
  },
};
