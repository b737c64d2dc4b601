import { describe, expect, it } from "vitest";
import { observedContract, openingComment, parseContract } from "../../apim-policy/contracts.js";
import { parsePolicyXml, type PolicyElement } from "../../apim-policy/parse.js";

const root = (xml: string): PolicyElement => {
  const p = parsePolicyXml(xml);
  if (!p.ok) throw new Error(p.error);
  return p.root;
};

describe("parseContract", () => {
  it("reads the three lines of the opening comment, names without their notes", () => {
    const xml = [
      "<!-- /token, step 2: checks the grant.",
      "     Reads: form, oauth-error (set by an earlier step, when the form is bad)",
      "     Sets: tk-grant-type, tk-client-id,",
      "       oauth-error",
      "     Answers: 400 invalid_request (JSON), 401 invalid_client -->",
      "<fragment />",
    ].join("\n");
    const c = parseContract(xml);
    expect(c.reads).toEqual(["form", "oauth-error"]);
    expect(c.sets).toEqual(["tk-grant-type", "tk-client-id", "oauth-error"]);
    expect(c.answers).toEqual([400, 401]);
    expect(c.lines.Reads).toEqual({ items: ["form", "oauth-error (set by an earlier step, when the form is bad)"], line: 2 });
    expect(c.lines.Answers?.line).toBe(5);
  });

  it("reads none and nothing as empty lists, and a missing line as absent", () => {
    const c = parseContract("<!-- x\n Reads: none\n Answers: nothing. -->\n<fragment />");
    expect(c.reads).toEqual([]);
    expect(c.answers).toEqual([]);
    expect(c.sets).toBeUndefined();
    expect(c.lines.Sets).toBeUndefined();
  });

  it("reads only the comment before the root, and only keywords at the start of a line", () => {
    expect(openingComment("<fragment><!-- Reads: a --></fragment>")).toBeUndefined();
    expect(parseContract("<!-- it reads: a and Sets: b -->\n<fragment />").lines).toEqual({});
    expect(openingComment("<?xml version='1.0'?>\n<!-- c -->\n<fragment />")).toEqual({ text: " c ", line: 2 });
  });
});

describe("observedContract", () => {
  it("collects reads, sets and the literal status codes of return-response", () => {
    const o = observedContract(
      root(`<fragment><set-variable name="a" value="@((string)context.Variables["b"])" /><choose><when condition="@(context.Variables.ContainsKey("c"))"><return-response><set-status code="401" reason="x" /></return-response></when></choose><set-status code="200" reason="not in a return-response" /></fragment>`),
    );
    expect(o).toEqual({ reads: ["b", "c"], sets: ["a"], answers: [401], computedAnswer: false, answersAtAll: true });
  });

  it("marks computed answers: an expression status or a response variable", () => {
    expect(observedContract(root(`<fragment><return-response response-variable-name="r" /></fragment>`)).computedAnswer).toBe(true);
    expect(observedContract(root(`<fragment><return-response><set-status code="@(1)" reason="x" /></return-response></fragment>`)).computedAnswer).toBe(true);
    expect(observedContract(root(`<fragment><set-variable name="a" value="1" /></fragment>`))).toMatchObject({ answersAtAll: false, computedAnswer: false });
  });
});
