import { describe, expect, it } from "vitest";
import { assemblePipeline, setPipelines, type EffectivePipeline } from "../../apim-policy/effective.js";
import { parsePolicyXml, type PolicyElement } from "../../apim-policy/parse.js";
import type { Section } from "../../apim-policy/sections.js";
import { cleanPolicySet, fragmentXml, policiesXml, policyDoc, withDocument } from "../../test-support/policy-fixtures.js";

function root(xml: string, source: string): PolicyElement {
  const parsed = parsePolicyXml(xml, source);
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.root;
}

/** The statements of a section as `name@source` (or `name:attribute=value` for set-variable). */
function names(pipeline: EffectivePipeline, section: Section): string[] {
  return pipeline.sections[section].map(({ element, scope }) => `${element.attributes["name"] ?? element.name}@${element.source}/${scope}`);
}

const setVar = (name: string) => `<set-variable name="${name}" value="1" />`;

describe("assemblePipeline", () => {
  it("replaces <base/> by the parent scope's statements, section by section", () => {
    const pipeline = assemblePipeline({
      global: root(policiesXml({ inbound: setVar("g") }), "global"),
      api: root(policiesXml({ inbound: `${setVar("a1")}<base />${setVar("a2")}` }), "api"),
      operation: root(policiesXml({ inbound: `<base />${setVar("o")}` }), "op"),
      fragments: new Map(),
    });
    expect(names(pipeline, "inbound")).toEqual(["a1@api/api", "g@global/global", "a2@api/api", "o@op/operation"]);
    expect(pipeline.problems).toEqual([]);
  });

  it("inherits a missing section or document, and uses API Management's default global policy", () => {
    const pipeline = assemblePipeline({ api: root(`<policies><inbound>${setVar("a")}</inbound></policies>`, "api"), fragments: new Map() });
    expect(names(pipeline, "inbound")).toEqual(["a@api/api"]);
    expect(names(pipeline, "backend")).toEqual(["forward-request@API Management's default global policy/global"]);
  });

  it("drops the parent's statements when a section has no <base/>", () => {
    const pipeline = assemblePipeline({ global: root(policiesXml({ outbound: setVar("g") }), "global"), api: root(policiesXml({ outbound: setVar("a") }), "api"), fragments: new Map() });
    expect(names(pipeline, "outbound")).toEqual(["a@api/api"]);
  });

  it("inlines fragments where they are included, nested in control flow too, with the includer's scope", () => {
    const fragments = new Map([["f", root(fragmentXml(`${setVar("f1")}${setVar("f2")}`), "fragment f")]]);
    const pipeline = assemblePipeline({
      api: root(policiesXml({ inbound: `<include-fragment fragment-id="f" /><choose><when condition="@(true)"><include-fragment fragment-id="f" /></when></choose>` }), "api"),
      fragments,
    });
    expect(names(pipeline, "inbound")).toEqual(["f1@fragment f/api", "f2@fragment f/api", "choose@api/api"]);
    const when = pipeline.sections.inbound[2]!.element.children.find((c) => c.kind === "element") as PolicyElement;
    const inWhen = when.children.filter((c): c is PolicyElement => c.kind === "element");
    expect(inWhen.map((c) => c.attributes["name"])).toEqual(["f1", "f2"]);
  });

  it("reports a nested <base/>, an unknown fragment and a fragment cycle, leaving the element in place", () => {
    const fragments = new Map([
      ["loop", root(fragmentXml(`<include-fragment fragment-id="loop" />`), "fragment loop")],
      ["based", root(fragmentXml(`<base />`), "fragment based")],
    ]);
    const pipeline = assemblePipeline({
      api: root(policiesXml({ inbound: `<choose><when condition="@(true)"><base /></when></choose><include-fragment fragment-id="nope" /><include-fragment fragment-id="loop" /><include-fragment fragment-id="based" />` }), "api"),
      fragments,
    });
    expect(pipeline.problems.map((p) => `${p.kind}: ${p.message}`)).toEqual([
      "base-not-in-section: <base/> may only appear directly in a section",
      'unknown-fragment: fragment "nope" is not defined',
      'fragment-cycle: fragment "loop" includes itself (loop -> loop)',
      "base-not-in-section: <base/> may only appear directly in a section",
    ]);
    expect(names(pipeline, "inbound")).toEqual(["choose@api/api", "include-fragment@api/api", "include-fragment@fragment loop/api", "base@fragment based/api"]);
  });
  it("keeps the include-fragment elements when told not to inline, still combining the scopes and reporting a nested <base/>", () => {
    const fragments = new Map([["f", root(fragmentXml(setVar("f1")), "fragment f")]]);
    const docs = {
      api: root(policiesXml({ inbound: `${setVar("a")}<base />` }), "api"),
      operation: root(policiesXml({ inbound: `<base /><include-fragment fragment-id="f" /><choose><when condition="@(true)"><base /><include-fragment fragment-id="nope" /></when></choose>` }), "op"),
      fragments,
    };
    const kept = assemblePipeline(docs, { inlineFragments: false });
    expect(names(kept, "inbound")).toEqual(["a@api/api", "include-fragment@op/operation", "choose@op/operation"]);
    expect(kept.problems.map((p) => p.kind)).toEqual(["base-not-in-section"]);
    expect(names(assemblePipeline(docs), "inbound")).toEqual(["a@api/api", "f1@fragment f/operation", "choose@op/operation"]);
  });
});

describe("setPipelines", () => {
  it("gives each API its own pipeline and each operation one with the API's and the global policy", () => {
    const set = withDocument(cleanPolicySet(), policyDoc("operation", "mcp/get", policiesXml({ inbound: `<base />${setVar("op")}` }), { apiName: "mcp" }));
    const pipelines = setPipelines(set);
    expect(pipelines.map((p) => `${p.name}: ${p.documents.map((d) => d.file).join(" + ")}`)).toEqual([
      "mcp: policies/global.xml + policies/mcp.xml",
      "mcp/get: policies/global.xml + policies/mcp.xml + policies/mcp-get.xml",
      "oauth/token: policies/global.xml + policies/oauth-token.xml",
    ]);
    const op = pipelines[1]!.pipeline.sections.inbound.map((s) => s.element.attributes["name"] ?? s.element.name);
    expect(op.at(-1)).toBe("op");
    expect(op).toContain("token-hash");
  });
});
