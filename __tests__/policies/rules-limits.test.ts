import { describe, expect, it } from "vitest";
import {
  noTerraformInterpolation,
  POLICY_DOCUMENT_LIMIT_BYTES,
  POLICY_FRAGMENT_LIMIT_BYTES,
  sizeLimits,
  sizeLimitsRule,
} from "../../apim-policy/rules/index.js";
import { cleanPolicySet, fragmentXml, policiesXml, withXml } from "../../test-support/policy-fixtures.js";

/** A comment of n bytes, to grow a document without changing what it does. */
const padding = (n: number) => `<!-- ${"x".repeat(Math.max(0, n - 9))} -->`;

describe("rule size-limits", () => {
  it("uses API Management's limits: 256 KiB documents, 32 KB fragments", () => {
    expect(POLICY_DOCUMENT_LIMIT_BYTES).toBe(262_144);
    expect(POLICY_FRAGMENT_LIMIT_BYTES).toBe(32_000);
  });

  it("passes the clean set", () => {
    expect(sizeLimits.check(cleanPolicySet())).toEqual([]);
  });

  it("fails a fragment over 32 KB, naming its size and the limit", () => {
    const xml = fragmentXml(`<base-padding />`).replace("<base-padding />", padding(POLICY_FRAGMENT_LIMIT_BYTES));
    const size = Buffer.byteLength(xml);
    const v = sizeLimits.check(withXml(cleanPolicySet(), "oauth-cors", xml));
    expect(v).toEqual([
      {
        rule: "size-limits",
        document: "oauth-cors",
        message: `policies/fragments/oauth-cors.xml is ${size} bytes; the policy fragment limit is 32000 bytes`,
      },
    ]);
  });

  it("counts UTF-8 bytes, not characters", () => {
    const xml = fragmentXml(`<!-- ${"é".repeat(16_000)} -->`);
    expect(xml.length).toBeLessThan(POLICY_FRAGMENT_LIMIT_BYTES);
    expect(sizeLimits.check(withXml(cleanPolicySet(), "oauth-cors", xml))).toHaveLength(1);
  });

  it("fails a policy document over 256 KiB", () => {
    const xml = policiesXml({ inbound: padding(POLICY_DOCUMENT_LIMIT_BYTES) });
    const v = sizeLimits.check(withXml(cleanPolicySet(), "global", xml));
    expect(v).toHaveLength(1);
    expect(v[0]!.message).toMatch(/^policies\/global\.xml is \d+ bytes; the policy document limit is 262144 bytes$/);
  });

  it("fails a document whose included fragments push it over the limit", () => {
    const rule = sizeLimitsRule({ documentBytes: 2_000, fragmentBytes: 32_000 });
    const fragment = fragmentXml(`<set-status code="200" />\n${padding(1_900)}`);
    const set = withXml(withXml(cleanPolicySet(), "oauth-cors", fragment), "global", policiesXml({ inbound: `<include-fragment fragment-id="oauth-cors" />` }));
    const v = rule.check(set).filter((x) => x.document === "global");
    expect(v).toHaveLength(1);
    expect(v[0]!.message).toMatch(/^policies\/global\.xml with its included fragments \(oauth-cors\) is \d+ bytes; the policy document limit is 2000 bytes$/);
  });
});

describe("rule no-terraform-interpolation", () => {
  it("passes the clean set, whose C# uses $\"...{x}\" interpolated strings", () => {
    expect(cleanPolicySet().documents.some((d) => d.xml.includes('$"'))).toBe(true);
    expect(noTerraformInterpolation.check(cleanPolicySet())).toEqual([]);
  });

  it("fails ${ with its position", () => {
    const set = withXml(cleanPolicySet(), "global", policiesXml({ inbound: `<set-variable name="a" value="\${var.x}" />` }));
    expect(noTerraformInterpolation.check(set)).toEqual([
      {
        rule: "no-terraform-interpolation",
        document: "global",
        message: `"\${" at line 3, column 42 ("\${var.x}" /></inbound>") would be interpolated by Terraform; rewrite it (e.g. "$" + "{" or string.Format)`,
      },
    ]);
  });

  it("fails an unresolved cdktf token, saying to use a named value", () => {
    const set = withXml(cleanPolicySet(), "global", policiesXml({ inbound: `<set-backend-service base-url="https://\${TfToken[TOKEN.12]}.azurewebsites.net" />` }));
    const v = noTerraformInterpolation.check(set);
    expect(v).toHaveLength(1);
    expect(v[0]!.message).toMatch(/^a cdktf token \("\$\{TfToken\[TOKEN\.12\]\}[^"]*"\) at line 3, column \d+ puts a Terraform expression into the policy XML; pass values to policies through named values$/);
  });

  it("fails %{ (template directive), also inside a comment", () => {
    const set = withXml(cleanPolicySet(), "oauth-cors", `<!-- %{ if x } -->\n<fragment><base-not-here /></fragment>`);
    const v = noTerraformInterpolation.check(set);
    expect(v).toHaveLength(1);
    expect(v[0]!.message).toMatch(/^"%\{" at line 1, column 6/);
  });

  it("fails Terraform-escaped $${ too (APIM would receive the unescaped text only if Terraform unescapes it)", () => {
    const set = withXml(cleanPolicySet(), "global", policiesXml({ inbound: `<set-variable name="a" value="$\${x}" />` }));
    expect(noTerraformInterpolation.check(set)).toHaveLength(1);
  });
});
