import { describe, expect, it } from "vitest";
import { rawxmlExpressionEntities } from "../../apim-policy/rules/index.js";
import { cleanPolicySet, policiesXml, withXml } from "../../test-support/policy-fixtures.js";

describe("rule rawxml-expression-entities", () => {
  it("passes the clean set, whose expressions are raw C# (&&, <, \" unescaped)", () => {
    expect(cleanPolicySet().documents.some((d) => d.xml.includes("||"))).toBe(true);
    expect(rawxmlExpressionEntities.check(cleanPolicySet())).toEqual([]);
  });

  it("fails XML-escaped operators in an expression, naming each entity and the position", () => {
    const set = withXml(cleanPolicySet(), "global", policiesXml({ inbound: `<set-variable name="a" value='@(1 &gt; 0 &amp;&amp; true)' />` }));
    expect(rawxmlExpressionEntities.check(set)).toEqual([
      {
        rule: "rawxml-expression-entities",
        document: "global",
        message: `XML entities "&gt;", "&amp;" in the policy expression at line 3, column 42: policies are sent as rawxml, so expressions are raw C# and the entity reaches the compiler verbatim; write the character itself (&&, <, >, ")`,
      },
    ]);
  });

  it("fails &quot; used as a C# quote, in element text", () => {
    const set = withXml(cleanPolicySet(), "global", policiesXml({ inbound: `<set-body>@(context.Variables.GetValueOrDefault&lt;string&gt;(&quot;x&quot;))</set-body>` }));
    const v = rawxmlExpressionEntities.check(set);
    expect(v).toHaveLength(1);
    expect(v[0]!.message).toMatch(/^XML entities "&lt;", "&gt;", "&quot;" in the policy expression at line 3/);
  });

  it("leaves entities inside C# string literals alone (HTML output) and entities outside expressions", () => {
    const set = withXml(cleanPolicySet(), "global", policiesXml({ inbound: `<set-body>@("&lt;p&gt;a &amp;amp; b&lt;/p&gt;")</set-body>\n<set-header name="a&amp;b" exists-action="override"><value>x &lt; y</value></set-header>` }));
    expect(rawxmlExpressionEntities.check(set)).toEqual([]);
  });
});
