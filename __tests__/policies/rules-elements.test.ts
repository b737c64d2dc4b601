import { describe, expect, it } from "vitest";
import { knownPolicyElements } from "../../constructs/policy-rules/index.js";
import { cleanPolicySet, fragmentXml, policiesXml, withXml } from "../../test-support/policy-fixtures.js";

describe("rule known-policy-elements", () => {
  it("passes the clean set", () => {
    expect(knownPolicyElements.check(cleanPolicySet())).toEqual([]);
  });

  it("passes the policies this product uses, with their child elements", () => {
    const xml = policiesXml({
      inbound: [
        `<base />`,
        `<check-header name="Content-Type" failed-check-httpcode="415" failed-check-error-message="x" ignore-case="true"><value>application/json</value></check-header>`,
        `<validate-jwt header-name="Authorization"><openid-config url="https://login.microsoftonline.com/x/v2.0/.well-known/openid-configuration" /><audiences><audience>api://x</audience></audiences><issuers><issuer>https://x</issuer></issuers><required-claims><claim name="scp" match="any"><value>user_impersonate</value></claim></required-claims></validate-jwt>`,
        `<send-request mode="new" response-variable-name="r" timeout="10" ignore-error="true"><set-url>https://login.microsoftonline.com/x/oauth2/v2.0/token</set-url><set-method>POST</set-method><set-header name="Content-Type" exists-action="override"><value>application/x-www-form-urlencoded</value></set-header><set-body>a=b</set-body><authentication-managed-identity resource="api://AzureADTokenExchange" /></send-request>`,
        `<retry condition="@(false)" count="2" interval="1"><wait for="all"><cache-lookup-value key="k" variable-name="v" /></wait></retry>`,
        `<limit-concurrency key="k" max-count="2"><set-query-parameter name="a" exists-action="delete" /></limit-concurrency>`,
        `<ip-filter action="forbid"><address>1.2.3.4</address><address-range from="1.0.0.0" to="1.0.0.9" /></ip-filter>`,
        `<rate-limit-by-key calls="10" renewal-period="60" counter-key="k" />`,
        `<emit-metric name="m"><dimension name="API ID" /></emit-metric>`,
        `<trace source="s"><message>hello</message><metadata name="a" value="b" /></trace>`,
        `<mock-response status-code="200" content-type="application/json" />`,
        `<rewrite-uri template="/mcp" copy-unmatched-params="false" />`,
      ].join("\n"),
      backend: `<forward-request buffer-response="false" />`,
      outbound: `<base /><set-status code="200" /><cache-remove-value key="k" /><cache-store-value key="k" value="v" duration="1" />`,
      onError: `<base /><return-response><set-status code="500" /><set-header name="a" exists-action="override"><value>b</value></set-header><set-body>{}</set-body></return-response>`,
    });
    expect(knownPolicyElements.check(withXml(cleanPolicySet(), "global", xml))).toEqual([]);
  });

  it("fails an unknown policy element, naming it and the document", () => {
    const set = withXml(cleanPolicySet(), "global", policiesXml({ inbound: `<base />\n<set-headers name="x" />` }));
    expect(knownPolicyElements.check(set)).toEqual([
      {
        rule: "known-policy-elements",
        document: "global",
        message: `unknown policy element <set-headers> at line 4, column 1 inside <inbound>; API Management has no such policy or child element`,
      },
    ]);
  });

  it("fails an unknown element in a fragment", () => {
    const set = withXml(cleanPolicySet(), "oauth-cors", fragmentXml(`<validate-token />`));
    const v = knownPolicyElements.check(set);
    expect(v).toHaveLength(1);
    expect(v[0]).toMatchObject({ rule: "known-policy-elements", document: "oauth-cors" });
    expect(v[0]!.message).toContain("<validate-token>");
  });

  it("fails a known child element in the wrong parent", () => {
    const set = withXml(cleanPolicySet(), "global", policiesXml({ inbound: `<set-header name="a" exists-action="override"><origin>x</origin></set-header>` }));
    expect(knownPolicyElements.check(set).map((v) => v.message)).toEqual([
      `<origin> at line 3, column 58 may not appear inside <set-header>; expected value`,
    ]);
  });

  it("fails a child element used as a policy statement", () => {
    const set = withXml(cleanPolicySet(), "global", policiesXml({ inbound: `<value>x</value>` }));
    expect(knownPolicyElements.check(set)[0]!.message).toMatch(/^<value> at line 3, column 12 may not appear inside <inbound>; expected policy statements$/);
  });

  it("fails unknown elements nested in control flow", () => {
    const set = withXml(cleanPolicySet(), "global", policiesXml({ inbound: `<choose><when condition="@(true)"><frobnicate /></when><otherwise><set-status code="1" /></otherwise></choose>` }));
    expect(knownPolicyElements.check(set).map((v) => v.message)).toEqual([
      `unknown policy element <frobnicate> at line 3, column 46 inside <when>; API Management has no such policy or child element`,
    ]);
  });
});
