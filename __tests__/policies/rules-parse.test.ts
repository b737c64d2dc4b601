import { describe, expect, it } from "vitest";
import { policyRules } from "../../constructs/policy-checks.js";
import { runPolicyRules, xmlWellFormed } from "../../apim-policy/rules/index.js";
import { parsePolicyXml, type PolicyElement } from "../../apim-policy/parse.js";
import { cleanPolicySet, policiesXml, policyDoc, singleDocumentSet, withXml } from "../../test-support/policy-fixtures.js";

describe("parsePolicyXml", () => {
  it("parses rawxml: raw C# with quotes and < in expressions, restored verbatim", () => {
    const xml = policiesXml({
      inbound: `<set-variable name="a" value="@(context.Request.Headers.GetValueOrDefault("x", "") == "y")" />\n<set-body>@{ return 1 < 2 && true ? "a<b" : "c"; }</set-body>`,
    });
    const parsed = parsePolicyXml(xml);
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    const inbound = parsed.root.children.find((c): c is PolicyElement => c.kind === "element" && c.name === "inbound")!;
    const [setVariable, setBody] = inbound.children.filter((c): c is PolicyElement => c.kind === "element");
    expect(setVariable!.attributes["value"]).toBe(`@(context.Request.Headers.GetValueOrDefault("x", "") == "y")`);
    expect(setBody!.children).toEqual([{ kind: "text", text: `@{ return 1 < 2 && true ? "a<b" : "c"; }` }]);
    expect(parsed.expressions.map((e) => e.code)).toEqual([
      `context.Request.Headers.GetValueOrDefault("x", "") == "y"`,
      ` return 1 < 2 && true ? "a<b" : "c"; `,
    ]);
  });

  it("keeps line and column of elements and expressions exact around multi-line expressions", () => {
    const xml = `<policies>\n<inbound>\n<set-body>@{\n  return "x";\n}</set-body>\n  <base />\n</inbound>\n</policies>`;
    const parsed = parsePolicyXml(xml);
    if (!parsed.ok) throw new Error(parsed.error);
    const inbound = parsed.root.children.find((c): c is PolicyElement => c.kind === "element")!;
    const base = inbound.children.filter((c): c is PolicyElement => c.kind === "element")[1]!;
    expect(base).toMatchObject({ name: "base", line: 6, column: 3 });
    expect(parsed.expressions[0]).toMatchObject({ line: 3, column: 11 });
  });

  it("ignores expression-like text in comments and decodes entities outside expressions", () => {
    const parsed = parsePolicyXml(`<!-- @( unbalanced -->\n<fragment><set-header name="a&amp;b" exists-action="override"><value>x &lt; y</value></set-header></fragment>`);
    if (!parsed.ok) throw new Error(parsed.error);
    const setHeader = parsed.root.children.find((c): c is PolicyElement => c.kind === "element")!;
    expect(setHeader.attributes["name"]).toBe("a&b");
    expect(parsed.expressions).toEqual([]);
  });

  it("accepts an XML declaration and keeps CDATA text as text", () => {
    const parsed = parsePolicyXml(`<?xml version="1.0" encoding="utf-8"?>\n<fragment><set-body><![CDATA[<p>a & b</p>]]></set-body></fragment>`);
    if (!parsed.ok) throw new Error(parsed.error);
    const setBody = parsed.root.children.find((c): c is PolicyElement => c.kind === "element")!;
    expect(setBody.children).toEqual([{ kind: "text", text: "<p>a & b</p>" }]);
  });

  it("collects {{named value}} references with their lines", () => {
    const parsed = parsePolicyXml(`<fragment>\n<set-variable name="k" value="{{key-one}}" />\n</fragment>`);
    if (!parsed.ok) throw new Error(parsed.error);
    expect(parsed.namedValueRefs).toEqual([{ name: "key-one", line: 2, column: 31 }]);
  });

  it("fails on mismatched tags with line and column", () => {
    const parsed = parsePolicyXml(`<policies>\n<inbound>\n<base></inbound>\n</policies>`);
    expect(parsed).toMatchObject({ ok: false, line: 3 });
    if (!parsed.ok) expect(parsed.error).toMatch(/closing tag.*line 3, column \d+/);
  });

  it("fails on an unterminated expression, naming it", () => {
    const parsed = parsePolicyXml(`<fragment>\n<set-variable name="a" value="@(foo(&quot;x)" />\n</fragment>`);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.error).toMatch(/policy expression starting "@\(foo\(.*does not end: .*\(line 2, column 31\)$/);
  });

  it("fails on two root elements", () => {
    const parsed = parsePolicyXml(`<fragment /><fragment />`);
    expect(parsed.ok).toBe(false);
  });
});

describe("rule xml-well-formed", () => {
  it("passes the clean set", () => {
    expect(xmlWellFormed.check(cleanPolicySet())).toEqual([]);
  });

  it("fails a document that is not well-formed, naming the document, file, line and column", () => {
    const set = withXml(cleanPolicySet(), "global", `<policies>\n  <inbound>\n    <base />\n  </outbound>\n</policies>`);
    const v = xmlWellFormed.check(set);
    expect(v).toHaveLength(1);
    expect(v[0]).toMatchObject({ rule: "xml-well-formed", document: "global" });
    expect(v[0]!.message).toMatch(/policies\/global\.xml is not well-formed: .*'inbound'.*'outbound'.*\(line 4, column \d+\)/);
  });

  it("fails an unquoted attribute", () => {
    const v = xmlWellFormed.check(singleDocumentSet(policyDoc("global", "g", `<policies><inbound><set-status code=401 /></inbound></policies>`)));
    expect(v).toHaveLength(1);
    expect(v[0]!.message).toMatch(/code/);
  });

  it("is the only rule to report a broken document (tree rules skip it)", () => {
    const set = withXml(cleanPolicySet(), "global", `<policies><inbound>`);
    expect(runPolicyRules(set, policyRules).map((x) => x.rule)).toEqual(["xml-well-formed"]);
  });
});
