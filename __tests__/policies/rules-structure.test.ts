import { describe, expect, it } from "vitest";
import { fragmentStructure, policyStructure } from "../../apim-policy/rules/index.js";
import { cleanPolicySet, fragmentXml, withXml } from "../../test-support/policy-fixtures.js";

const sectionsXml = (...sections: string[]) =>
  `<policies>\n${sections.map((s) => `  <${s}><base /></${s}>`).join("\n")}\n</policies>`;

describe("rule policy-structure", () => {
  it("passes the clean set", () => {
    expect(policyStructure.check(cleanPolicySet())).toEqual([]);
  });

  it("fails a wrong root, naming it", () => {
    const v = policyStructure.check(withXml(cleanPolicySet(), "global", `<policy><inbound /></policy>`));
    expect(v).toEqual([
      { rule: "policy-structure", document: "global", message: "root element is <policy>, expected <policies> (global policy policies/global.xml)" },
    ]);
  });

  it("fails a missing section, naming it", () => {
    const v = policyStructure.check(withXml(cleanPolicySet(), "mcp", sectionsXml("inbound", "backend", "outbound")));
    expect(v).toHaveLength(1);
    expect(v[0]).toMatchObject({ rule: "policy-structure", document: "mcp" });
    expect(v[0]!.message).toContain("section <on-error> is missing");
  });

  it("fails sections out of order", () => {
    const v = policyStructure.check(withXml(cleanPolicySet(), "global", sectionsXml("inbound", "outbound", "backend", "on-error")));
    expect(v).toHaveLength(1);
    expect(v[0]!.message).toBe("sections are in the order inbound, outbound, backend, on-error; expected inbound, backend, outbound, on-error");
  });

  it("fails a repeated section", () => {
    const v = policyStructure.check(withXml(cleanPolicySet(), "global", sectionsXml("inbound", "inbound", "backend", "outbound", "on-error")));
    expect(v.map((x) => x.message)).toContain("section <inbound> appears 2 times; each section appears once");
  });

  it("fails an element that is not a section directly under <policies>", () => {
    const v = policyStructure.check(withXml(cleanPolicySet(), "global", sectionsXml("inbound", "backend", "outbound", "on-error").replace("</policies>", "<set-status code=\"200\" /></policies>")));
    expect(v).toHaveLength(1);
    expect(v[0]!.message).toMatch(/^<set-status> at line 6, column \d+ is not a policy section/);
  });

  it("leaves fragments to fragment-structure", () => {
    expect(policyStructure.check(withXml(cleanPolicySet(), "oauth-cors", fragmentXml("<base />")))).toEqual([]);
  });
});

describe("rule fragment-structure", () => {
  it("passes the clean set", () => {
    expect(fragmentStructure.check(cleanPolicySet())).toEqual([]);
  });

  it("fails a fragment whose root is <policies>", () => {
    const v = fragmentStructure.check(withXml(cleanPolicySet(), "oauth-cors", sectionsXml("inbound", "backend", "outbound", "on-error")));
    expect(v).toEqual([
      { rule: "fragment-structure", document: "oauth-cors", message: "root element is <policies>, expected <fragment> (fragment policies/fragments/oauth-cors.xml)" },
    ]);
  });

  it("fails a section inside a fragment", () => {
    const v = fragmentStructure.check(withXml(cleanPolicySet(), "oauth-cors", fragmentXml("<inbound><set-status code=\"200\" /></inbound>")));
    expect(v).toHaveLength(1);
    expect(v[0]!.message).toMatch(/^fragment contains section <inbound> at line 3/);
  });

  it("fails <base/> inside a fragment, even nested", () => {
    const v = fragmentStructure.check(withXml(cleanPolicySet(), "oauth-cors", fragmentXml("<choose><when condition=\"@(true)\"><base /></when></choose>")));
    expect(v).toHaveLength(1);
    expect(v[0]!.message).toMatch(/^fragment contains <base\/> at line 3/);
  });

  it("fails a fragment including another fragment, naming it", () => {
    const v = fragmentStructure.check(withXml(cleanPolicySet(), "oauth-cors", fragmentXml(`<include-fragment fragment-id="token-hash" />`)));
    expect(v).toHaveLength(1);
    expect(v[0]!.message).toMatch(/^fragment includes fragment "token-hash" at line 3, column 1; fragments cannot nest/);
  });
});
