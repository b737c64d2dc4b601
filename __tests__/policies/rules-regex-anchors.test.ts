import { describe, expect, it } from "vitest";
import { regexAnchors } from "../../apim-policy/rules/index.js";
import { hasDollarAnchor, literalValue } from "../../apim-policy/rules/regex-anchors.js";
import { cleanPolicySet, policiesXml, withXml } from "../../test-support/policy-fixtures.js";

/** The clean set with one set-variable holding `expression` in the global policy. */
const withExpression = (expression: string) => withXml(cleanPolicySet(), "global", policiesXml({ inbound: `<set-variable name="v" value="${expression}" />` }));
const messages = (expression: string) => regexAnchors.check(withExpression(expression)).map((v) => v.message);

describe("rule regex-anchors", () => {
  it("passes the clean set and patterns anchored with \\z", () => {
    expect(regexAnchors.check(cleanPolicySet())).toEqual([]);
    expect(messages(`@(Regex.IsMatch((string)context.Variables["x"], "^[A-Za-z0-9_-]{43}\\\\z"))`)).toEqual([]);
    expect(messages(`@(new Regex(@"^a\\z").IsMatch("a"))`)).toEqual([]);
  });

  it("fails a Regex pattern ending with $, naming the literal, the position and the fix", () => {
    const set = withExpression(`@(Regex.IsMatch((string)context.Variables["code"], "^[A-Za-z0-9_-]{43}$"))`);
    expect(regexAnchors.check(set)).toEqual([
      {
        rule: "regex-anchors",
        document: "global",
        message: `Regex pattern "^[A-Za-z0-9_-]{43}$" in the policy expression at line 3, column 42 uses $ as an anchor: in .NET, $ also matches before a final "\\n", so a value with a trailing newline passes; end the pattern with \\z`,
      },
    ]);
  });

  it("checks every Regex method, new Regex, verbatim literals, both branches of a conditional and a $ before | or )", () => {
    expect(messages(`@(Regex.Match("a", "a$").Success)`)).toHaveLength(1);
    expect(messages(`@(Regex.Matches("a", "(a$)").Count)`)).toHaveLength(1);
    expect(messages(`@(Regex.Split("a", "b$|c").Length)`)).toHaveLength(1);
    expect(messages(`@(Regex.Replace("a", @"a$", "b"))`)).toHaveLength(1);
    expect(messages(`@(new System.Text.RegularExpressions.Regex("a$").IsMatch("a"))`)).toHaveLength(1);
    expect(messages(`@(Regex.IsMatch("a", 1 > 0 ? "^a$" : "^b\\\\z"))`)).toEqual([expect.stringContaining(`Regex pattern "^a$"`)]);
    expect(messages(`@(Regex.IsMatch("a", "a\\\\\\\\$"))`)).toHaveLength(1);
  });

  it("leaves escaped dollars, dollars in a character class, replacement strings and other strings alone", () => {
    expect(messages(`@(Regex.IsMatch("a", "^\\\\$[0-9]+\\\\z"))`)).toEqual([]);
    expect(messages(`@(Regex.IsMatch("a", @"^\\$\\z"))`)).toEqual([]);
    expect(messages(`@(Regex.IsMatch("a", "^[$]\\\\z"))`)).toEqual([]);
    expect(messages(`@(Regex.IsMatch("a", "^[]$]\\\\z"))`)).toEqual([]);
    expect(messages(`@(Regex.Replace("price", "(price)\\\\z", "$1 in $"))`)).toEqual([]);
    expect(messages(`@(Regex.IsMatch((string)context.Variables["a$"], "^a\\\\z"))`)).toEqual([]);
    expect(messages(`@("total: $".EndsWith("$"))`)).toEqual([]);
  });
});

describe("literalValue and hasDollarAnchor", () => {
  it("decode C# literals as the compiler does", () => {
    expect(literalValue(String.raw`"a\\$"`)).toBe("a\\$");
    expect(literalValue(String.raw`"a\u0024"`)).toBe("a$");
    expect(literalValue(String.raw`@"a\$"""`)).toBe('a\\$"');
    expect(literalValue(`$"a{b}$"`)).toBeUndefined();
  });

  it("tell an anchor from a literal dollar", () => {
    expect(hasDollarAnchor("^a$")).toBe(true);
    expect(hasDollarAnchor("^a\\$")).toBe(false);
    expect(hasDollarAnchor("^a\\\\$")).toBe(true);
    expect(hasDollarAnchor("[^$]+")).toBe(false);
    expect(hasDollarAnchor("[\\]$]")).toBe(false);
  });
});
