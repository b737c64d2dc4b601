import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { joinAttributeLines, joinCSharpLines, PolicyShapeError, shapeFragmentXml, shapePolicyXml } from "../../constructs/policy-shape.js";
import { lexCSharp } from "../../apim-policy/csharp-lexer.js";
import { attributeLineBreaks, fragmentShapeProblems, meaningDifferences, normalizeLikeAzurerm } from "../../test-support/policy-shape.js";
import { platformStack, resourcesOf, synthJson } from "../../test-support/synth.js";

const repoRoot = join(import.meta.dirname, "..", "..");

const FRAGMENT = [
  "<!-- Says what the fragment does. -->",
  "<fragment>",
  '\t<set-variable name="greeting" value="@{',
  '\t\tvar who = context.Variables.GetValueOrDefault<string>("who", "world"); // the caller',
  '\t\treturn "hello " + who;',
  '\t}" />',
  "\t<set-header name=\"X-Greeting\" exists-action=\"override\">",
  "\t\t<value>@{",
  "\t\t\treturn (string)context.Variables[\"greeting\"];",
  "\t\t}</value>",
  "\t</set-header>",
  "</fragment>",
  "",
].join("\n");

describe("shapeFragmentXml", () => {
  it("moves the header comment inside <fragment> as its first child, keeping the line count", () => {
    const shaped = shapeFragmentXml(FRAGMENT, "fragments/greeting.xml");
    const lines = shaped.split("\n");
    expect(lines[0]).toBe("<fragment>");
    expect(lines[1]).toBe("\t<!-- Says what the fragment does. -->");
    expect(lines).toHaveLength(FRAGMENT.split("\n").length);
    expect(fragmentShapeProblems(shaped)).toEqual([]);
    expect(meaningDifferences(FRAGMENT, shaped)).toEqual([]);
  });

  it("joins a multi-line C# attribute onto one line: same tokens, // comment as a block comment, breaks after the quote", () => {
    const shaped = shapeFragmentXml(FRAGMENT, "fragments/greeting.xml");
    const line = shaped.split("\n").find((l) => l.includes('name="greeting"'))!;
    expect(line).toBe(
      '\t<set-variable name="greeting" value="@{ var who = context.Variables.GetValueOrDefault<string>("who", "world"); /* the caller */ return "hello " + who; }"',
    );
    // The three line breaks of the value follow its closing quote, so <set-header> stays on line 7.
    expect(shaped.split("\n")[6]).toBe('\t<set-header name="X-Greeting" exists-action="override">');
  });

  it("leaves element text alone (API Management keeps line breaks in text)", () => {
    expect(shapeFragmentXml(FRAGMENT, "f.xml")).toContain("<value>@{\n\t\t\treturn (string)context.Variables[\"greeting\"];\n\t\t}</value>");
  });

  it("leaves C# in text alone even where it looks like markup (a < then a verbatim string across lines)", () => {
    const xml = '<fragment>\n\t<set-body>@{\n\t\tvar i = 0; if (i < 1) { }\n\t\tvar s = @"line1\nline2";\n\t\treturn s;\n\t}</set-body>\n</fragment>\n';
    expect(shapeFragmentXml(xml, "f.xml")).toBe(xml);
  });

  it("moves a trailing comment inside before </fragment> and drops an XML declaration and a byte order mark", () => {
    const shaped = shapeFragmentXml('\uFEFF<?xml version="1.0"?>\n<!-- a -->\n<fragment>\n\t<base-like />\n</fragment>\n<!-- b -->\n', "f.xml");
    expect(shaped).toBe("<fragment>\n\t<!-- a -->\n\t<base-like />\n\t<!-- b -->\n</fragment>\n");
    expect(fragmentShapeProblems(shaped)).toEqual([]);
  });

  it("reads tabs and line breaks in a plain attribute value as spaces, as XML does", () => {
    expect(joinAttributeLines('<a b="x\ty\r\nz" />', "f.xml")).toBe('<a b="x y z"\n />');
  });

  it("keeps string and char literals byte for byte, also verbatim and interpolated ones on one line", () => {
    const expression = '@{\n  var a = @"x  ""y"""; var b = $"{a}  {1 + 2:D3}";\n  var c = \'\\n\'; var d = "//not a comment";\n  return a + b + c + d; /* x\n y */ }';
    const joined = joinCSharpLines(expression, "here");
    expect(joined).toBe('@{ var a = @"x  ""y"""; var b = $"{a}  {1 + 2:D3}"; var c = \'\\n\'; var d = "//not a comment"; return a + b + c + d; /* x y */ }');
    const tokens = (s: string) => lexCSharp(s, 1, true).tokens.map((t) => t.text);
    expect(tokens(joined)).toEqual(tokens(expression));
  });

  it("fails for a line break inside a verbatim string of an attribute, naming the file and line", () => {
    const xml = '<fragment>\n\t<set-variable name="x" value="@(@"one\ntwo")" />\n</fragment>';
    expect(() => shapeFragmentXml(xml, "fragments/x.xml")).toThrow(PolicyShapeError);
    expect(() => shapeFragmentXml(xml, "fragments/x.xml")).toThrow(/fragments\/x\.xml line 2: a line break inside a C# string literal/);
  });

  it("fails for a // comment that cannot become a block comment", () => {
    expect(() => joinCSharpLines("@{\n return 1; // a */ b\n}", "fragments/y.xml line 3")).toThrow(/fragments\/y\.xml line 3: the \/\/ comment "a \*\/ b" contains "\*\/"/);
  });

  it("fails for content after </fragment> or a missing <fragment> root", () => {
    expect(() => shapeFragmentXml("<fragment></fragment>\n<extra />", "f.xml")).toThrow(/f\.xml line 2: found "<extra \/>" after <\/fragment>/);
    expect(() => shapeFragmentXml("<!-- c -->\n<policies></policies>", "f.xml")).toThrow(/f\.xml line 2: expected the root element <fragment>/);
  });
});

describe("what the gateway sends for the real policies", () => {
  const { stack } = platformStack();
  const json = synthJson(stack);
  const documents = stack.gateway.policySet().documents;
  const fragments = documents.filter((d) => d.scope === "fragment");
  const policies = documents.filter((d) => d.scope !== "fragment");
  const sentFragments = new Map(resourcesOf(json, "azurerm_api_management_policy_fragment").map((r) => [r.name as string, r.value as string]));

  it("covers every fragment", () => {
    expect(fragments.length).toBeGreaterThan(20);
    expect([...sentFragments.keys()].sort()).toEqual(fragments.map((f) => f.name).sort());
  });

  it.each(fragments.map((f) => [f.name, f] as const))("fragment %s: sent as checked, in the shape the provider's diff suppression tolerates, meaning unchanged", (name, doc) => {
    expect(sentFragments.get(name)).toBe(doc.xml);
    expect(fragmentShapeProblems(doc.xml)).toEqual([]);
    const source = doc.source ?? readFileSync(join(repoRoot, doc.file), "utf8");
    expect(meaningDifferences(source, doc.xml)).toEqual([]);
    // The header comment is kept, as the root's first child.
    const header = /^\s*(<!--[\s\S]*?-->)/.exec(source)![1]!;
    expect(doc.xml.startsWith(`<fragment>\n\t${header}`)).toBe(true);
  });

  it("would be refused in the files' own shape (the check can fail)", () => {
    const failing = fragments.filter((f) => fragmentShapeProblems(f.source ?? readFileSync(join(repoRoot, f.file), "utf8")).length > 0);
    expect(failing).toHaveLength(fragments.length);
  });

  it.each(policies.map((p) => [p.name, p] as const))("policy %s: no tab or line break in an attribute value, meaning unchanged", (_name, doc) => {
    expect(attributeLineBreaks(doc.xml)).toEqual([]);
    const source = doc.source ?? readFileSync(join(repoRoot, doc.file), "utf8");
    expect(meaningDifferences(source, doc.xml)).toEqual([]);
    expect(shapePolicyXml(source, doc.file)).toBe(doc.xml);
  });
});

describe("the provider's fallback comparison (azurerm 4.55 XmlWhitespaceDiffSuppress)", () => {
  const shaped = shapeFragmentXml(FRAGMENT, "f.xml");

  it("tolerates API Management's re-serialization: tabs, CRLF, <a/> as <a />", () => {
    const reserialized = shaped.replace(/\n/g, "\r\n").replace(/^\t+/gm, (t) => "\t".repeat(t.length)).replace(/"\/>/g, '" />').trimEnd();
    expect(normalizeLikeAzurerm(reserialized)).toBe(normalizeLikeAzurerm(shaped));
  });

  it("does not tolerate a line break returned as &#xA; nor a dropped comment (why the shape matters)", () => {
    const withEntity = FRAGMENT.replace('value="@{\n', 'value="@{&#xA;');
    expect(normalizeLikeAzurerm(withEntity)).not.toBe(normalizeLikeAzurerm(FRAGMENT));
    const withoutComment = FRAGMENT.replace("<!-- Says what the fragment does. -->\n", "");
    expect(normalizeLikeAzurerm(withoutComment)).not.toBe(normalizeLikeAzurerm(FRAGMENT));
  });
});
