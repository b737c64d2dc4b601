/** The sample server's table of who may call which tool (mcp-app/tool-scopes.ts), as the server and the gateway's generator read it. */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { APP_ROLES, DELEGATED_SCOPES, TOOL_SCOPES } from "../../mcp-app/tool-scopes.js";
import { tools } from "../../mcp-app/tools/index.js";
import { compileCatalog } from "../../mcp-app/mcp-server.js";
import { resolveToolScopes, toolAccess, toolScopeProblems } from "../../vocabulary/tool-access.js";

describe("TOOL_SCOPES (the sample's table)", () => {
  it("resolves to the base scope for get_cities, get_weather, whoami and forecast.read for get_forecast", () => {
    expect(resolveToolScopes("user_impersonate", TOOL_SCOPES, DELEGATED_SCOPES, APP_ROLES)).toEqual([
      { tool: "get_cities", scope: "user_impersonate", requiredScopes: ["user_impersonate"] },
      { tool: "get_weather", scope: "user_impersonate", requiredScopes: ["user_impersonate"] },
      { tool: "get_forecast", scope: "forecast.read", requiredScopes: ["user_impersonate", "forecast.read"] },
      { tool: "whoami", scope: "user_impersonate", requiredScopes: ["user_impersonate"] },
    ]);
  });

  it("is valid, names exactly the server's tools, and every extra scope has consent texts", () => {
    expect(toolScopeProblems(TOOL_SCOPES, DELEGATED_SCOPES, APP_ROLES)).toEqual([]);
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

  it("finds a tool's entry, and fails for a tool without one, naming the known ones", () => {
    expect(toolAccess("get_forecast", TOOL_SCOPES)).toEqual({ tool: "get_forecast", scope: "forecast.read" });
    expect(() => toolAccess("rm_rf", TOOL_SCOPES)).toThrow('Tool "rm_rf" has no entry in the tool scope table: expected one of get_cities, get_weather, get_forecast, whoami');
  });

  it("is frozen data", () => {
    expect(Object.isFrozen(TOOL_SCOPES)).toBe(true);
    expect(Object.isFrozen(TOOL_SCOPES[0])).toBe(true);
    expect(Object.isFrozen(DELEGATED_SCOPES[0])).toBe(true);
  });

  it("holds only the table: it imports nothing but types and reads no environment (cheap and side-effect free at synth)", () => {
    const source = readFileSync(new URL("../../mcp-app/tool-scopes.ts", import.meta.url), "utf8");
    expect(source).toMatch(/^import type \{[^}]+\} from "\.\.\/vocabulary\/tool-access\.js";$/m);
    expect(source.match(/^\s*import\s(?!type\s)/gm)).toBeNull();
    expect(source).not.toMatch(/process\.|require\(|export function/);
  });
});
