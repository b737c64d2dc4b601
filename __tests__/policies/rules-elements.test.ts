import { describe, expect, it } from "vitest";
import { knownPolicyElements, policyAttributes, policySections, policyTiers } from "../../apim-policy/rules/index.js";
import { cleanPolicySet, fragmentXml, policiesXml, policyDoc, withDocument, withXml } from "../../test-support/policy-fixtures.js";

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

describe("rule policy-attributes", () => {
  it("passes the clean set", () => {
    expect(policyAttributes.check(cleanPolicySet())).toEqual([]);
  });

  it("fails an attribute the element does not have, naming the ones it has", () => {
    const set = withXml(cleanPolicySet(), "global", policiesXml({ inbound: `<set-variable name="a" value="b" colour="red" />` }));
    expect(policyAttributes.check(set)).toEqual([
      {
        rule: "policy-attributes",
        document: "global",
        message: `attribute "colour" of <set-variable> at line 3, column 12 is not one API Management knows for it; expected name, value`,
      },
    ]);
  });

  it("fails a missing required attribute, in a child element too", () => {
    const set = withXml(
      cleanPolicySet(),
      "global",
      policiesXml({ inbound: `<cache-lookup-value key="k" />`, outbound: `<trace source="s"><metadata name="a" /></trace>` }),
    );
    expect(policyAttributes.check(set).map((v) => v.message)).toEqual([
      `<cache-lookup-value> at line 3, column 12 has no attribute "variable-name", which API Management requires`,
      `<metadata> at line 5, column 31 has no attribute "value", which API Management requires`,
    ]);
  });

  it("fails attributes on the root and on sections", () => {
    const set = withXml(cleanPolicySet(), "global", `<policies id="x">\n<inbound order="1"><base /></inbound><backend><base /></backend><outbound><base /></outbound><on-error><base /></on-error></policies>`);
    expect(policyAttributes.check(set).map((v) => v.message)).toEqual([
      `attribute "id" of <policies> at line 1, column 1 is not one API Management knows for it; expected no attributes`,
      `attribute "order" of <inbound> at line 2, column 1 is not one API Management knows for it; expected no attributes`,
    ]);
  });
});

describe("rule policy-sections", () => {
  it("passes the clean set", () => {
    expect(policySections.check(cleanPolicySet())).toEqual([]);
  });

  it("fails a policy in a section its page does not allow, naming the file", () => {
    const set = withXml(cleanPolicySet(), "global", policiesXml({ outbound: `<base /><rewrite-uri template="/x" />` }));
    expect(policySections.check(set)).toEqual([
      {
        rule: "policy-sections",
        document: "global",
        message: `<rewrite-uri> at line 5, column 21 may not appear in <outbound>; API Management allows it in inbound (policies/global.xml)`,
      },
    ]);
  });

  it("checks a fragment in each section that includes it, nested in control flow, once per section", () => {
    let set = withDocument(cleanPolicySet(), policyDoc("fragment", "forward", fragmentXml(`<choose><when condition="@(true)"><forward-request /></when></choose>`)));
    set = withXml(set, "global", policiesXml({ inbound: `<include-fragment fragment-id="forward" />`, outbound: `<include-fragment fragment-id="forward" />`, backend: `<include-fragment fragment-id="forward" />` }));
    expect(policySections.check(set).map((v) => `${v.document}: ${v.message}`)).toEqual([
      `forward: <forward-request> at line 3, column 35 may not appear in <inbound>; API Management allows it in backend (policies/fragments/forward.xml)`,
      `forward: <forward-request> at line 3, column 35 may not appear in <outbound>; API Management allows it in backend (policies/fragments/forward.xml)`,
    ]);
  });

  it("does not apply the section rules to a policy's own parts (set-method inside send-request in outbound)", () => {
    const set = withXml(cleanPolicySet(), "global", policiesXml({ outbound: `<base /><send-request response-variable-name="r"><set-url>https://x.example</set-url><set-method>GET</set-method></send-request>` }));
    expect(policySections.check(set)).toEqual([]);
  });
});

describe("rule policy-tiers", () => {
  it("passes the clean set", () => {
    expect(policyTiers.check(cleanPolicySet())).toEqual([]);
  });

  it("fails a policy the v2 gateway does not support", () => {
    const set = withXml(cleanPolicySet(), "global", policiesXml({ inbound: `<quota-by-key counter-key="k" renewal-period="60" calls="10" />` }));
    expect(policyTiers.check(set)).toEqual([
      {
        rule: "policy-tiers",
        document: "global",
        message: `<quota-by-key> at line 3, column 12 is not supported on the v2 gateway; API Management supports it on classic, self-hosted`,
      },
    ]);
  });
});
