/** The one table of who may call which tool (mcp-app/tool-scopes.ts), as the server and the gateway's generator read it. */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  APP_ROLES,
  DELEGATED_SCOPES,
  requiredScopesOf,
  resolveToolScopes,
  TOOL_SCOPES,
  toolAccess,
  toolScopeProblems,
} from "../../mcp-app/tool-scopes.js";
import { tools } from "../../mcp-app/tools/index.js";
import { compileCatalog } from "../../mcp-app/mcp-server.js";

describe("TOOL_SCOPES (the sample's table)", () => {
  it("resolves to the base scope for get_cities, get_weather, whoami and forecast.read for get_forecast", () => {
    expect(resolveToolScopes("user_impersonate")).toEqual([
      { tool: "get_cities", scope: "user_impersonate", requiredScopes: ["user_impersonate"] },
      { tool: "get_weather", scope: "user_impersonate", requiredScopes: ["user_impersonate"] },
      { tool: "get_forecast", scope: "forecast.read", requiredScopes: ["user_impersonate", "forecast.read"] },
      { tool: "whoami", scope: "user_impersonate", requiredScopes: ["user_impersonate"] },
    ]);
  });

  it("is valid, names exactly the server's tools, and every extra scope has consent texts", () => {
    expect(toolScopeProblems()).toEqual([]);
    expect(TOOL_SCOPES.map((e) => e.tool).sort()).toEqual(tools.map((t) => t.name).sort());
    expect(() => compileCatalog(tools)).not.toThrow();
    expect(DELEGATED_SCOPES.map((s) => s.value)).toEqual(["forecast.read"]);
    for (const scope of DELEGATED_SCOPES) {
      for (const text of [scope.adminConsentDisplayName, scope.adminConsentDescription, scope.userConsentDisplayName, scope.userConsentDescription]) {
        expect(text.length).toBeGreaterThan(10);
      }
    }
    expect(APP_ROLES).toEqual([]);
  });

  it("is frozen data", () => {
    expect(Object.isFrozen(TOOL_SCOPES)).toBe(true);
    expect(Object.isFrozen(TOOL_SCOPES[0])).toBe(true);
    expect(Object.isFrozen(DELEGATED_SCOPES[0])).toBe(true);
  });

  it("imports nothing and reads no environment (cheap and side-effect free for constructs/)", () => {
    const source = readFileSync(new URL("../../mcp-app/tool-scopes.ts", import.meta.url), "utf8");
    expect(source).not.toMatch(/^\s*import\s/m);
    expect(source).not.toMatch(/process\.|require\(/);
  });
});

describe("requiredScopesOf / toolAccess", () => {
  it("puts the base scope first and does not repeat it", () => {
    expect(requiredScopesOf({ tool: "x" }, "mcp.access")).toEqual(["mcp.access"]);
    expect(requiredScopesOf({ tool: "x", scope: "forecast.read" }, "mcp.access")).toEqual(["mcp.access", "forecast.read"]);
    expect(requiredScopesOf({ tool: "x", scope: "mcp.access" }, "mcp.access")).toEqual(["mcp.access"]);
  });

  it("resolves with another base scope and keeps app roles", () => {
    const resolved = resolveToolScopes("mcp.access", [{ tool: "a" }, { tool: "b", scope: "forecast.read", appRole: "R" }], DELEGATED_SCOPES, [{ value: "R", displayName: "R", description: "role" }]);
    expect(resolved).toEqual([
      { tool: "a", scope: "mcp.access", requiredScopes: ["mcp.access"] },
      { tool: "b", scope: "forecast.read", requiredScopes: ["mcp.access", "forecast.read"], appRole: "R" },
    ]);
  });

  it("finds a tool's entry", () => {
    expect(toolAccess("get_forecast")).toEqual({ tool: "get_forecast", scope: "forecast.read" });
  });

  it("fails for a tool without an entry, naming it and the known ones", () => {
    expect(() => toolAccess("rm_rf")).toThrow('Tool "rm_rf" has no entry in the tool scope table: expected one of get_cities, get_weather, get_forecast, whoami');
  });
});

describe("toolScopeProblems / resolveToolScopes failures", () => {
  it("fails on a duplicate tool, naming the entry", () => {
    expect(toolScopeProblems([{ tool: "a" }, { tool: "a" }])).toEqual(['tool scope table entry 1 ("a"): the tool is listed twice']);
  });

  it("fails on a scope the application does not expose, naming it and the exposed ones", () => {
    expect(toolScopeProblems([{ tool: "a", scope: "files.write" }])).toEqual([
      'tool scope table entry 0 ("a"): scope "files.write" is not a delegated scope of the application: expected one of forecast.read',
    ]);
  });

  it("fails on an app role the application does not define", () => {
    expect(toolScopeProblems([{ tool: "a", appRole: "Admin" }])).toEqual(['tool scope table entry 0 ("a"): app role "Admin" is not an app role of the application: expected one of (none)']);
  });

  it("fails on a bad tool name and a bad scope value", () => {
    expect(toolScopeProblems([{ tool: "bad name" }], [{ value: "has space", adminConsentDisplayName: "", adminConsentDescription: "", userConsentDisplayName: "", userConsentDescription: "" }])).toEqual([
      `delegated scope "has space" is invalid: expected 1-40 letters, digits, '_', '-' or '.'`,
      `tool scope table entry 0 ("bad name"): tool name is invalid: expected 1-128 letters, digits, '_', '-' or '.'`,
    ]);
  });

  it("resolveToolScopes fails listing every problem, and on a bad base scope", () => {
    expect(() => resolveToolScopes("user_impersonate", [{ tool: "a", scope: "x" }, { tool: "a" }])).toThrow(
      /Invalid tool scope table:\n {2}- tool scope table entry 0 \("a"\): scope "x" is not a delegated scope.*\n {2}- tool scope table entry 1 \("a"\): the tool is listed twice/,
    );
    expect(() => resolveToolScopes("two scopes")).toThrow(`base scope "two scopes" is invalid: expected 1-40 letters, digits, '_', '-' or '.'`);
  });
});
