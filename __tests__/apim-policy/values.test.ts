import { describe, expect, it } from "vitest";
import { parsePolicyXml, type PolicyElement } from "../../apim-policy/parse.js";
import { policyValue, PolicyValueError, textValue, treeExpressions } from "../../apim-policy/values.js";

const root = (xml: string): PolicyElement => {
  const p = parsePolicyXml(xml);
  if (!p.ok) throw new Error(p.error);
  return p.root;
};

describe("policy values", () => {
  it("tells literals from expressions, decoding entities in expressions only", () => {
    expect(policyValue("plain &amp; text", "x")).toEqual({ kind: "literal", text: "plain &amp; text" });
    expect(policyValue(" @(1 &lt; 2) ", "x")).toEqual({ kind: "expression", code: "@(1 < 2)" });
    expect(policyValue("@{ return 1; }", "x")).toEqual({ kind: "expression", code: "@{ return 1; }" });
    expect(policyValue("mail@(x)", "x")).toEqual({ kind: "literal", text: "mail@(x)" });
  });

  it("fails an expression with text after it, naming the value", () => {
    expect(() => policyValue("@(1) and more", "<a> attribute b")).toThrow(PolicyValueError);
    expect(() => policyValue("@(1) and more", "<a> attribute b")).toThrow(/^<a> attribute b: a policy expression must be the whole value; found extra text around "@\(1\) and more"$/);
  });

  it("reads an element's text, undefined when it is only whitespace", () => {
    const el = root(`<set-body>\n  @("x")\n</set-body>`);
    expect(textValue(el, "t")).toEqual({ kind: "expression", code: '@("x")' });
    expect(textValue(root("<set-body>  </set-body>"), "t")).toBeUndefined();
  });

  it("collects every expression of a tree, attributes and texts", () => {
    const el = root(`<fragment><set-variable name="a" value="@(1)" /><set-header name="h" exists-action="override"><value>@(2)</value></set-header><set-body>@(1)</set-body></fragment>`);
    expect([...treeExpressions(el)]).toEqual(["@(1)", "@(2)"]);
  });
});
