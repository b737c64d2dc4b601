import { describe, expect, it } from "vitest";
import { includeFragmentDefined, namedValuesDefined, namedValuesUsed } from "../../apim-policy/rules/index.js";
import { cleanPolicySet, fragmentXml, policiesXml, withNamedValues, withXml } from "../../test-support/policy-fixtures.js";

describe("rule named-values-defined", () => {
  it("passes the clean set", () => {
    expect(namedValuesDefined.check(cleanPolicySet())).toEqual([]);
  });

  it("fails a reference to an undefined named value, naming it and the line", () => {
    const set = withXml(cleanPolicySet(), "global", policiesXml({ inbound: `<base />\n<set-variable name="x" value="{{missing-one}}" />` }));
    expect(namedValuesDefined.check(set)).toEqual([
      {
        rule: "named-values-defined",
        document: "global",
        message: `named value "missing-one" referenced at line 4 is not defined; define it with addNamedValue or fix the reference`,
      },
    ]);
  });

  it("reports each missing name once per document", () => {
    const set = withXml(cleanPolicySet(), "global", policiesXml({ inbound: `<set-variable name="x" value="{{m}}" />`, outbound: `<set-variable name="y" value="{{m}}" />` }));
    expect(namedValuesDefined.check(set)).toHaveLength(1);
  });

  it("fails an invalid reference name", () => {
    const set = withXml(cleanPolicySet(), "global", policiesXml({ inbound: `<set-variable name="x" value="{{bad name!}}" />` }));
    const v = namedValuesDefined.check(set);
    expect(v).toHaveLength(1);
    expect(v[0]!.message).toMatch(/^"\{\{bad name!\}\}" at line 3 is not a valid named value reference/);
  });

  it("fails a defined name written with spaces inside the braces, which API Management does not trim", () => {
    const set = withXml(cleanPolicySet(), "global", policiesXml({ inbound: `<set-variable name="x" value="{{ gateway-url }}" />` }));
    expect(namedValuesDefined.check(set).map((v) => v.message)).toEqual([
      `"{{ gateway-url }}" at line 3 is not a valid named value reference; names use letters, digits, '.', '-', '_' (1-256 characters)`,
    ]);
  });

  it("still checks documents that are not well-formed", () => {
    const set = withXml(cleanPolicySet(), "global", `<policies><inbound>{{nope}}`);
    expect(namedValuesDefined.check(set).map((v) => v.message)).toEqual([
      `named value "nope" referenced at line 1 is not defined; define it with addNamedValue or fix the reference`,
    ]);
  });
});

describe("rule named-values-used", () => {
  it("passes the clean set", () => {
    expect(namedValuesUsed.check(cleanPolicySet())).toEqual([]);
  });

  it("fails a defined named value no policy references, naming it", () => {
    const set = withNamedValues(cleanPolicySet(), [...cleanPolicySet().namedValues, { name: "unused-setting", secret: false }]);
    expect(namedValuesUsed.check(set)).toEqual([
      {
        rule: "named-values-used",
        document: "*",
        message: `named value "unused-setting" is defined but no policy references {{unused-setting}}; remove it or use it`,
      },
    ]);
  });

  it("fails an invalid named value name", () => {
    const set = withNamedValues(cleanPolicySet(), [...cleanPolicySet().namedValues, { name: "has space", secret: false }]);
    expect(namedValuesUsed.check(set).map((v) => v.message)).toEqual([
      `named value name "has space" is invalid; use letters, digits, '.', '-', '_' (1-256 characters)`,
    ]);
  });

  it("fails a named value defined twice", () => {
    const set = withNamedValues(cleanPolicySet(), [...cleanPolicySet().namedValues, { name: "gateway-url", secret: false }]);
    expect(namedValuesUsed.check(set).map((v) => v.message)).toEqual([`named value "gateway-url" is defined more than once`]);
  });
});

describe("rule include-fragment-defined", () => {
  it("passes the clean set", () => {
    expect(includeFragmentDefined.check(cleanPolicySet())).toEqual([]);
  });

  it("fails an include of an undefined fragment, naming it and the defined ones", () => {
    const set = withXml(cleanPolicySet(), "global", policiesXml({ inbound: `<include-fragment fragment-id="no-such-fragment" />` }));
    expect(includeFragmentDefined.check(set)).toEqual([
      {
        rule: "include-fragment-defined",
        document: "global",
        message: `<include-fragment fragment-id="no-such-fragment"> at line 3, column 12 names no defined fragment (defined: oauth-cors, token-hash)`,
      },
    ]);
  });

  it("fails an include without fragment-id", () => {
    const set = withXml(cleanPolicySet(), "oauth-cors", fragmentXml(`<include-fragment />`));
    expect(includeFragmentDefined.check(set).map((v) => v.message)).toEqual([`<include-fragment> at line 3, column 1 has no fragment-id`]);
  });

  it("does not take a non-fragment document's name for a fragment", () => {
    const set = withXml(cleanPolicySet(), "global", policiesXml({ inbound: `<include-fragment fragment-id="mcp" />` }));
    expect(includeFragmentDefined.check(set)).toHaveLength(1);
  });
});
