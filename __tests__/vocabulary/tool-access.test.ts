/** The rules of a tool access table (vocabulary/tool-access.ts): checks, resolution against a base scope, look-up. */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { requiredScopesOf, resolveToolScopes, toolAccess, toolScopeProblems, type DelegatedScope } from "../../vocabulary/tool-access.js";

const scope = (value: string): DelegatedScope => ({ value, adminConsentDisplayName: value, adminConsentDescription: value, userConsentDisplayName: value, userConsentDescription: value });
const FORECAST = [scope("forecast.read")];

describe("requiredScopesOf / toolAccess", () => {
  it("puts the base scope first and does not repeat it", () => {
    expect(requiredScopesOf({ tool: "x" }, "mcp.access")).toEqual(["mcp.access"]);
    expect(requiredScopesOf({ tool: "x", scope: "forecast.read" }, "mcp.access")).toEqual(["mcp.access", "forecast.read"]);
    expect(requiredScopesOf({ tool: "x", scope: "mcp.access" }, "mcp.access")).toEqual(["mcp.access"]);
  });

  it("resolves with any base scope and keeps app roles", () => {
    const resolved = resolveToolScopes("mcp.access", [{ tool: "a" }, { tool: "b", scope: "forecast.read", appRole: "R" }], FORECAST, [{ value: "R", displayName: "R", description: "role" }]);
    expect(resolved).toEqual([
      { tool: "a", scope: "mcp.access", requiredScopes: ["mcp.access"] },
      { tool: "b", scope: "forecast.read", requiredScopes: ["mcp.access", "forecast.read"], appRole: "R" },
    ]);
    expect(Object.isFrozen(resolved[1])).toBe(true);
  });

  it("finds a tool's entry in a table", () => {
    expect(toolAccess("b", [{ tool: "a" }, { tool: "b", scope: "forecast.read" }])).toEqual({ tool: "b", scope: "forecast.read" });
  });

  it("fails for a tool without an entry, naming it and the known ones", () => {
    expect(() => toolAccess("rm_rf", [{ tool: "a" }, { tool: "b" }])).toThrow('Tool "rm_rf" has no entry in the tool scope table: expected one of a, b');
  });
});

describe("toolScopeProblems / resolveToolScopes failures", () => {
  it("fails on a duplicate tool, naming the entry", () => {
    expect(toolScopeProblems([{ tool: "a" }, { tool: "a" }], FORECAST, [])).toEqual(['tool scope table entry 1 ("a"): the tool is listed twice']);
  });

  it("fails on a scope the application does not expose, naming it and the exposed ones", () => {
    expect(toolScopeProblems([{ tool: "a", scope: "files.write" }], FORECAST, [])).toEqual([
      'tool scope table entry 0 ("a"): scope "files.write" is not a delegated scope of the application: expected one of forecast.read',
    ]);
  });

  it("fails on an app role the application does not define", () => {
    expect(toolScopeProblems([{ tool: "a", appRole: "Admin" }], FORECAST, [])).toEqual(['tool scope table entry 0 ("a"): app role "Admin" is not an app role of the application: expected one of (none)']);
  });

  it("fails on a bad tool name and a bad scope value", () => {
    expect(toolScopeProblems([{ tool: "bad name" }], [scope("has space")], [])).toEqual([
      `delegated scope "has space" is invalid: expected 1-40 letters, digits, '_', '-' or '.'`,
      `tool scope table entry 0 ("bad name"): tool name is invalid: expected 1-128 letters, digits, '_', '-' or '.'`,
    ]);
  });

  it("resolveToolScopes fails listing every problem, and on a bad base scope", () => {
    expect(() => resolveToolScopes("user_impersonate", [{ tool: "a", scope: "x" }, { tool: "a" }], FORECAST, [])).toThrow(
      /Invalid tool scope table:\n {2}- tool scope table entry 0 \("a"\): scope "x" is not a delegated scope.*\n {2}- tool scope table entry 1 \("a"\): the tool is listed twice/,
    );
    expect(() => resolveToolScopes("two scopes", [], FORECAST, [])).toThrow(`base scope "two scopes" is invalid: expected 1-40 letters, digits, '_', '-' or '.'`);
  });
});

describe("the module", () => {
  it("imports only the name rules beside it and reads no environment", () => {
    const source = readFileSync(new URL("../../vocabulary/tool-access.ts", import.meta.url), "utf8");
    expect([...source.matchAll(/^import .* from "([^"]+)";$/gm)].map((m) => m[1])).toEqual(["./azure-names.js", "./mcp-names.js"]);
    expect(source.match(/^\s*import\s/gm)).toHaveLength(2);
    expect(source).not.toMatch(/process\.|require\(/);
  });
});
