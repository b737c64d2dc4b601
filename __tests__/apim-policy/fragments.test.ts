import { describe, expect, it } from "vitest";
import { expandFragments, fragmentsByName, inlineFragments } from "../../apim-policy/fragments.js";
import { parsePolicyXml, type PolicyElement } from "../../apim-policy/parse.js";
import { fragmentXml, policyDoc } from "../../test-support/policy-fixtures.js";

const root = (xml: string): PolicyElement => {
  const p = parsePolicyXml(xml);
  if (!p.ok) throw new Error(p.error);
  return p.root;
};
const names = (nodes: readonly { kind: string }[]) => nodes.filter((n): n is PolicyElement => n.kind === "element").map((n) => n.attributes["name"] ?? n.name);

describe("inlineFragments", () => {
  it("replaces each include by the fragment's statements, nested ones too, and shares what it does not change", () => {
    const f = root(`<fragment><set-variable name="f" value="1" /></fragment>`);
    const section = root(`<inbound><set-variable name="a" value="1" /><include-fragment fragment-id="f" /><choose><when condition="@(true)"><include-fragment fragment-id="f" /></when></choose></inbound>`);
    const out = inlineFragments(section.children, (id) => (id === "f" ? f : undefined));
    expect(names(out)).toEqual(["a", "f", "choose"]);
    expect(out[0]).toBe(section.children[0]);
    const when = (out[2] as PolicyElement).children[0] as PolicyElement;
    expect(names(when.children)).toEqual(["f"]);
  });

  it("leaves an unknown fragment and a cycle in place, reporting them", () => {
    const loop = root(`<fragment><include-fragment fragment-id="loop" /></fragment>`);
    const problems: string[] = [];
    const out = inlineFragments(root(`<inbound><include-fragment fragment-id="nope" /><include-fragment fragment-id="loop" /></inbound>`).children, (id) => (id === "loop" ? loop : undefined), {
      onProblem: (p) => problems.push(`${p.kind}: ${p.message}`),
    });
    expect(names(out)).toEqual(["include-fragment", "include-fragment"]);
    expect(problems).toEqual(['unknown-fragment: fragment "nope" is not defined', 'fragment-cycle: fragment "loop" includes itself (loop -> loop)']);
  });
});

describe("expandFragments", () => {
  it("inlines fragment documents by name", () => {
    const set = { documents: [policyDoc("fragment", "f", fragmentXml(`<set-variable name="f" value="1" />`)), policyDoc("fragment", "broken", "<fragment>")], namedValues: [] };
    const expanded = expandFragments(root(`<inbound><include-fragment fragment-id="f" /><include-fragment fragment-id="broken" /></inbound>`), fragmentsByName(set));
    expect(names(expanded.children)).toEqual(["f", "include-fragment"]);
  });
});
