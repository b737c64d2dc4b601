/** The names of an MCP server (vocabulary/mcp-names.ts) and the ranges of its settings (vocabulary/limits.ts). */
import { describe, expect, it } from "vitest";
import { MCP_PATH, SERVER_NAME, TOOL_NAME, isApiPath } from "../../vocabulary/mcp-names.js";
import { SERVER_LIMITS, TOKEN_LIFETIMES } from "../../vocabulary/limits.js";

describe("MCP server names", () => {
  it("takes a DNS label of 1-30 characters as a server name", () => {
    expect(["a", "tickets", "team-tickets-2", "a".repeat(30)].filter((n) => !SERVER_NAME.test(n))).toEqual([]);
    expect(["", "Tickets", "1st", "a-", "a--b", "a_b", "a".repeat(31)].filter((n) => SERVER_NAME.test(n))).toEqual([]);
  });

  it("takes lowercase segments as a configured path, and what API Management accepts as an API path", () => {
    expect(["mcp", "tickets/mcp", "a_b-c/d", "a".repeat(80)].filter((p) => !MCP_PATH.test(p))).toEqual([]);
    expect(["", "/mcp", "mcp/", "a//b", "MCP", "a.b", "a".repeat(81)].filter((p) => MCP_PATH.test(p))).toEqual([]);
    expect(["mcp", "Tools/Weather", "a.b~c/d"].filter((p) => !isApiPath(p))).toEqual([]);
    expect(["", "/mcp", "mcp/", "a//b", "m cp", ".well-known/x", ".well-known"].filter((p) => isApiPath(p))).toEqual([]);
  });

  it("takes the MCP tool-name characters, up to 128 of them", () => {
    expect(["get_weather", "tickets.close-1", "a".repeat(128)].filter((t) => !TOOL_NAME.test(t))).toEqual([]);
    expect(["", "get weather", "tools/call", "a".repeat(129)].filter((t) => TOOL_NAME.test(t))).toEqual([]);
  });

  it("keeps each default inside its range, and the refresh token outliving the access token", () => {
    for (const [name, range] of Object.entries(SERVER_LIMITS)) {
      expect(range.default >= range.min && range.default <= range.max, name).toBe(true);
    }
    expect(TOKEN_LIFETIMES.access.default).toBeGreaterThanOrEqual(TOKEN_LIFETIMES.access.min);
    expect(TOKEN_LIFETIMES.refresh.default).toBeGreaterThan(TOKEN_LIFETIMES.access.default);
    expect(TOKEN_LIFETIMES.refresh.max).toBeGreaterThan(TOKEN_LIFETIMES.access.max);
  });
});
