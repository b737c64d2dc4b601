import { describe, expect, it } from "vitest";
import { POLICY_STATEMENTS, STATEMENT_CONTAINER } from "../../apim-policy/elements.js";
import { parsePolicyXml, type PolicyElement } from "../../apim-policy/parse.js";
import { attributeProblems, checkContent, sectionProblem, tierProblem } from "../../apim-policy/validate.js";

const root = (xml: string): PolicyElement => {
  const p = parsePolicyXml(xml);
  if (!p.ok) throw new Error(p.error);
  return p.root;
};

describe("checkContent", () => {
  it("finds placement and attribute problems at any depth, and visits what may stand", () => {
    const fragment = root(`<fragment><choose><when><frobnicate /></when></choose><set-header name="a"><origin /></set-header><value /></fragment>`);
    const visited: string[] = [];
    const problems = checkContent(fragment, STATEMENT_CONTAINER, (found) => visited.push(`${found.element.name}${found.statement ? "" : "(part)"}`));
    expect(problems.map((p) => `${p.kind}: ${p.describe("here")}`)).toEqual([
      `missing-attribute: <when> here has no attribute "condition", which API Management requires`,
      "empty-element: <when> here inside <choose> holds no policy statement; API Management expects one or more in each <when>, so restructure the <choose> (negate the condition into the branches that follow, or nest them) instead of leaving a branch empty",
      "unknown-element: unknown policy element <frobnicate> here inside <when>; API Management has no such policy or child element",
      "misplaced-element: <origin> here may not appear inside <set-header>; expected value",
      "misplaced-element: <value> here may not appear inside <fragment>; expected policy statements",
    ]);
    expect(visited).toEqual(["choose", "when(part)", "set-header"]);
  });

  it("finds a <when> or <otherwise> without a policy statement, comments not counted, and accepts one with a statement", () => {
    const fragment = root(`<fragment><choose><when condition="@(true)" /><when condition="@(false)"><!-- nothing --></when><otherwise><set-variable name="a" value="1" /></otherwise></choose><choose><when condition="@(true)"><base /></when><otherwise>  </otherwise></choose></fragment>`);
    expect(checkContent(fragment, STATEMENT_CONTAINER).map((p) => `${p.kind}: ${p.element.name} ${p.element.column}`)).toEqual([
      "empty-element: when 19",
      "empty-element: when 47",
      "empty-element: otherwise 213",
    ]);
  });

  it("does not look into free-form content", () => {
    expect(checkContent(root(`<fragment><xsl-transform><xsl:stylesheet xmlns:xsl="x"><anything /></xsl:stylesheet></xsl-transform></fragment>`), STATEMENT_CONTAINER)).toEqual([]);
  });
});

describe("attributeProblems", () => {
  it("names unknown attributes with the known ones, and missing required ones", () => {
    const el = root(`<cache-lookup-value key="k" colour="red" />`);
    expect(attributeProblems(el, POLICY_STATEMENTS["cache-lookup-value"]!).map((p) => p.describe())).toEqual([
      `attribute "colour" of <cache-lookup-value> is not one API Management knows for it; expected key, variable-name, default-value, caching-type`,
      `<cache-lookup-value> has no attribute "variable-name", which API Management requires`,
    ]);
  });
});

describe("sectionProblem and tierProblem", () => {
  it("refuses a policy outside its sections", () => {
    expect(sectionProblem(root(`<forward-request />`), "inbound")?.describe()).toBe("<forward-request> may not appear in <inbound>; API Management allows it in backend");
    expect(sectionProblem(root(`<forward-request />`), "backend")).toBeUndefined();
    expect(sectionProblem(root(`<set-variable name="a" value="b" />`), "on-error")).toBeUndefined();
  });

  it("refuses a policy the product's gateways do not support", () => {
    expect(tierProblem(root(`<quota-by-key />`))?.describe()).toBe("<quota-by-key> is not supported on the v2 gateway; API Management supports it on classic, self-hosted");
    expect(tierProblem(root(`<rate-limit-by-key />`))).toBeUndefined();
    expect(tierProblem(root(`<rate-limit-by-key />`), ["consumption"])?.kind).toBe("tier");
  });
});
