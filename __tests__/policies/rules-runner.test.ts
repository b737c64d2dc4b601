import { describe, expect, it } from "vitest";
import {
  includeFragmentDefined,
  namedValuesDefined,
  runPolicyRules,
  uniqueDocumentNames,
} from "../../apim-policy/rules/index.js";
import { policyRules } from "../../constructs/policy-checks.js";
import { cleanPolicySet, fragmentXml, policiesXml, policyDoc, withDocument, withXml } from "../../test-support/policy-fixtures.js";

describe("policyRules", () => {
  it("lists every rule once, with a kebab-case id and a description", () => {
    const ids = policyRules.map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const rule of policyRules) {
      expect(rule.id).toMatch(/^[a-z]+(-[a-z]+)*$/);
      expect(rule.description.length).toBeGreaterThan(10);
    }
    expect(ids).toEqual([
      "unique-document-names",
      "xml-well-formed",
      "policy-structure",
      "fragment-structure",
      "named-values-defined",
      "named-values-used",
      "include-fragment-defined",
      "size-limits",
      "no-terraform-interpolation",
      "known-policy-elements",
      "policy-attributes",
      "policy-sections",
      "policy-tiers",
      "when-not-empty",
      "rawxml-expression-entities",
      "csharp-allowed-types",
      "mcp-streaming",
      "no-secret-trace",
      "cache-values",
      "regex-anchors",
      "variable-flow",
      "fragment-contracts",
      "cache-records",
      "record-field-lists",
    ]);
  });
});

describe("runPolicyRules", () => {
  it("finds nothing in the clean set", () => {
    expect(runPolicyRules(cleanPolicySet(), policyRules)).toEqual([]);
  });

  it("finds nothing in an empty set", () => {
    expect(runPolicyRules({ documents: [], namedValues: [] }, policyRules)).toEqual([]);
  });

  it("reports every rule's findings, in rule order", () => {
    let set = withXml(cleanPolicySet(), "global", policiesXml({ inbound: `<include-fragment fragment-id="nope" />\n<set-variable name="x" value="{{undefined-nv}}" />` }));
    set = withDocument(set, policyDoc("fragment", "extra", fragmentXml("<base />")));
    expect(runPolicyRules(set, policyRules).map((v) => `${v.rule} ${v.document}`)).toEqual([
      "fragment-structure extra",
      "named-values-defined global",
      "include-fragment-defined global",
      // x is set and never read; the extra fragment's header has no Reads:, Sets: or Answers: line.
      "variable-flow global",
      "fragment-contracts extra",
      "fragment-contracts extra",
      "fragment-contracts extra",
    ]);
  });

  it("runs only the rules it is given", () => {
    const set = withXml(cleanPolicySet(), "global", policiesXml({ inbound: `<include-fragment fragment-id="nope" />\n<set-variable name="x" value="{{undefined-nv}}" />` }));
    expect(runPolicyRules(set, [includeFragmentDefined]).map((v) => v.rule)).toEqual(["include-fragment-defined"]);
    expect(runPolicyRules(set, [namedValuesDefined]).map((v) => v.rule)).toEqual(["named-values-defined"]);
  });
});

describe("rule unique-document-names", () => {
  it("passes the clean set", () => {
    expect(uniqueDocumentNames.check(cleanPolicySet())).toEqual([]);
  });

  it("fails two fragments with the same name, naming it", () => {
    const set = cleanPolicySet();
    const twice = { ...set, documents: [...set.documents, policyDoc("fragment", "oauth-cors", fragmentXml(`<set-status code="200" />`))] };
    expect(uniqueDocumentNames.check(twice)).toEqual([
      {
        rule: "unique-document-names",
        document: "oauth-cors",
        message: `two fragment documents are named "oauth-cors" (policies/fragments/oauth-cors.xml); names must be unique per scope`,
      },
    ]);
  });

  it("allows the same name in different scopes", () => {
    const both = { ...cleanPolicySet(), documents: [...cleanPolicySet().documents, policyDoc("fragment", "mcp", fragmentXml(`<set-status code="200" />`))] };
    expect(uniqueDocumentNames.check(both)).toEqual([]);
  });
});
