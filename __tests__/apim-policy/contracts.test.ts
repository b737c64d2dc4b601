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

  it("separates named values and context paths from the variables of Reads", () => {
    const c = parseContract("<!-- x\n Reads: form, {{gateway-url}}, context.Request.Headers (Authorization), context.LastError\n Sets: none (headers only)\n Answers: nothing itself (a later step answers) -->\n<fragment />");
    expect(c.reads).toEqual(["form"]);
    expect(c.namedValues).toEqual(["gateway-url"]);
    expect(c.contextReads).toEqual(["context.Request.Headers", "context.LastError"]);
    expect(c.sets).toEqual([]);
    expect(c.answers).toEqual([]);
  });

  it("keeps the fields of a JSON value in braces or brackets with its name, like a note in parentheses", () => {
    const c = parseContract("<!-- x\n Reads: grant-base {cid, res, scope}, form\n Sets: parts [handle, access secret], record (a {nested, list}), done\n Answers: nothing -->\n<fragment />");
    expect(c.reads).toEqual(["grant-base", "form"]);
    expect(c.sets).toEqual(["parts", "record", "done"]);
  });

  it("reads none and nothing as empty lists, and a missing line as absent", () => {
    const c = parseContract("<!-- x\n Reads: none\n Answers: nothing. -->\n<fragment />");
    expect(c.reads).toEqual([]);
    expect(c.answers).toEqual([]);
    expect(c.sets).toBeUndefined();
    expect(c.lines.Sets).toBeUndefined();
  });

  it("reads only the comment before the root or opening its content (where synth moves a fragment's header), and only keywords at the start of a line", () => {
    expect(openingComment("<fragment>\n\t<!-- Reads: a --></fragment>")).toEqual({ text: " Reads: a ", line: 2 });
    expect(parseContract("<fragment>\n\t<!-- x\nReads: a\nSets: none -->\n<set-variable name=\"b\" value=\"1\" /></fragment>").reads).toEqual(["a"]);
    expect(openingComment("<fragment><set-variable name=\"a\" value=\"1\" /><!-- Reads: a --></fragment>")).toBeUndefined();
    expect(openingComment("<fragment>text<!-- Reads: a --></fragment>")).toBeUndefined();
    expect(openingComment("<fragment /><!-- Reads: a -->")).toBeUndefined();
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

  it("counts as reads only the variables read before the fragment sets them itself (its inputs)", () => {
    const o = observedContract(root(`<fragment><set-variable name="t" value="@((string)context.Variables.GetValueOrDefault<string>("in", ""))" /><set-variable name="out" value="@((string)context.Variables["t"] + (string)context.Variables["in"])" /></fragment>`));
    expect(o.reads).toEqual(["in"]);
    expect(o.sets).toEqual(["t", "out"]);
  });

  it("marks computed answers: an expression status or a response variable", () => {
    expect(observedContract(root(`<fragment><return-response response-variable-name="r" /></fragment>`)).computedAnswer).toBe(true);
    expect(observedContract(root(`<fragment><return-response><set-status code="@(1)" reason="x" /></return-response></fragment>`)).computedAnswer).toBe(true);
    expect(observedContract(root(`<fragment><set-variable name="a" value="1" /></fragment>`))).toMatchObject({ answersAtAll: false, computedAnswer: false });
  });
});
