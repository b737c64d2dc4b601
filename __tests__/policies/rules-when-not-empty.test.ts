import { describe, expect, it } from "vitest";
import { whenNotEmpty } from "../../apim-policy/rules/index.js";
import { cleanPolicySet, fragmentXml, policiesXml, withXml } from "../../test-support/policy-fixtures.js";
import { productPolicySet } from "../../test-support/contract-fixtures.js";

const filled = `<set-variable name="x" value="1" />`;

describe("rule when-not-empty", () => {
  it("passes the clean set", () => {
    expect(whenNotEmpty.check(cleanPolicySet())).toEqual([]);
  });

  it("passes the product's policies, every fragment included", () => {
    const set = productPolicySet();
    expect(set.documents.filter((d) => d.scope === "fragment").length).toBeGreaterThan(10);
    expect(whenNotEmpty.check(set)).toEqual([]);
  });

  it("passes branches that hold a statement, nested choose included", () => {
    const xml = fragmentXml(`<choose>\n<when condition="@(true)"><choose><when condition="@(false)">${filled}</when></choose></when>\n<otherwise>${filled}</otherwise>\n</choose>`);
    expect(whenNotEmpty.check(withXml(cleanPolicySet(), "oauth-cors", xml))).toEqual([]);
  });

  it("fails an empty self-closing <when>, naming the file and line", () => {
    const xml = fragmentXml(`<choose>\n<when condition="@(context.Variables.ContainsKey(&quot;oauth-error&quot;))" />\n<when condition="@(true)">${filled}</when>\n</choose>`);
    expect(whenNotEmpty.check(withXml(cleanPolicySet(), "oauth-cors", xml))).toEqual([
      {
        rule: "when-not-empty",
        document: "oauth-cors",
        message:
          "<when> at line 4, column 1 inside <choose> holds no policy statement; API Management expects one or more in each <when>, so restructure the <choose> (negate the condition into the branches that follow, or nest them) instead of leaving a branch empty (policies/fragments/oauth-cors.xml)",
      },
    ]);
  });

  it("fails a <when> or <otherwise> holding only a comment or whitespace, in a policy document too", () => {
    const xml = policiesXml({ inbound: `<base />\n<choose>\n<when condition="@(true)">\n  <!-- nothing to do -->\n</when>\n<otherwise> </otherwise>\n</choose>` });
    const found = whenNotEmpty.check(withXml(cleanPolicySet(), "global", xml));
    expect(found.map((v) => [v.document, v.message.slice(0, v.message.indexOf(" holds"))])).toEqual([
      ["global", "<when> at line 5, column 1 inside <choose>"],
      ["global", "<otherwise> at line 8, column 1 inside <choose>"],
    ]);
    expect(found[0]!.message).toContain("(policies/global.xml)");
  });

  it("fails an empty <when> nested in another branch", () => {
    const xml = fragmentXml(`<choose><when condition="@(true)">${filled}<choose>\n<when condition="@(false)"></when>\n</choose></when></choose>`);
    const found = whenNotEmpty.check(withXml(cleanPolicySet(), "oauth-cors", xml));
    expect(found).toHaveLength(1);
    expect(found[0]!.message).toMatch(/^<when> at line 4, column 1 inside <choose> holds no policy statement/);
  });
});
