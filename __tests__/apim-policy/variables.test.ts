import { describe, expect, it } from "vitest";
import { parsePolicyXml, type PolicyElement } from "../../apim-policy/parse.js";
import { expressionVariableReads, variableUses } from "../../apim-policy/variables.js";

const root = (xml: string): PolicyElement => {
  const p = parsePolicyXml(xml);
  if (!p.ok) throw new Error(p.error);
  return p.root;
};
const uses = (xml: string) => variableUses(root(xml)).map((u) => `${u.kind} ${u.name} <${u.element.name}>`);

describe("expressionVariableReads", () => {
  it("finds indexer reads and the guarded methods, generic or not", () => {
    expect(expressionVariableReads(`@((string)context.Variables["a"] + context.Variables.GetValueOrDefault<string>("b", "") + context.Variables.GetValueOrDefault<List<string>>("c"))`)).toEqual([
      { name: "a", guarded: false, checksPresence: false },
      { name: "b", guarded: true, checksPresence: false },
      { name: "c", guarded: true, checksPresence: false },
    ]);
  });

  it("treats an indexer read as guarded when the expression checks ContainsKey or TryGetValue of the same name", () => {
    expect(expressionVariableReads(`@(context.Variables.ContainsKey("a") ? (string)context.Variables["a"] : (string)context.Variables["b"])`)).toEqual([
      { name: "a", guarded: true, checksPresence: true },
      { name: "a", guarded: true, checksPresence: false },
      { name: "b", guarded: false, checksPresence: false },
    ]);
  });

  it("ignores names inside string literals and non-literal names", () => {
    expect(expressionVariableReads(`@("context.Variables[\\"x\\"]" + context.Variables[name])`)).toEqual([]);
    expect(expressionVariableReads(`@{ var v = @"context.Variables[""y""]"; return v; }`)).toEqual([]);
  });
});

describe("variableUses", () => {
  it("lists reads before the element's own sets, in evaluation order", () => {
    expect(uses(`<fragment><set-variable name="x" value="@((string)context.Variables["x"] + "1")" /><cache-lookup-value key="@((string)context.Variables["k"])" variable-name="v" default-value="none" /></fragment>`)).toEqual([
      "read x <set-variable>",
      "set x <set-variable>",
      "read k <cache-lookup-value>",
      "set v <cache-lookup-value>",
    ]);
  });

  it("guards reads inside a <when> that checks the variable, and counts the policies that store into variables", () => {
    const xml = `<fragment><choose><when condition="@(context.Variables.ContainsKey("r"))"><return-response response-variable-name="r" /></when></choose>`
      + `<send-request response-variable-name="s"><set-url>@((string)context.Variables["u"])</set-url></send-request>`
      + `<authentication-managed-identity resource="x" output-token-variable-name="t" /><set-variable name="@(dynamic)" value="1" /></fragment>`;
    expect(uses(xml)).toEqual([
      "guarded-read r <when>",
      "guarded-read r <return-response>",
      "read u <set-url>",
      "set s <send-request>",
      "set t <authentication-managed-identity>",
    ]);
  });
});
