import { describe, expect, it } from "vitest";
import { SINGLE_SERVER_NAME, serverNaming } from "../../constructs/server-naming.js";

/** The plain fields of a naming and its display names for one title and prefix. */
function names(naming: ReturnType<typeof serverNaming>) {
  const { apiDisplayName, entraDisplayName, appServiceStem, ...ids } = naming;
  return { ...ids, api: apiDisplayName("Tickets"), entra: entraDisplayName("prod", "Tickets"), stem: appServiceStem("prod") };
}

describe("serverNaming", () => {
  it("gives every id and named value the server's name by default", () => {
    expect(names(serverNaming("tickets"))).toEqual({
      server: "tickets",
      singleServerNames: false,
      entraId: "entra_tickets",
      appId: "app_tickets",
      serverId: "server_tickets",
      apiId: "mcp_api_tickets",
      apiName: "mcp-tickets",
      suffix: "-tickets",
      api: "MCP server Tickets",
      entra: "prod Tickets",
      stem: "tickets",
    });
  });

  it("keeps the single-server stack's names for the sample server weather, so that upgrading it replaces nothing", () => {
    expect(SINGLE_SERVER_NAME).toBe("weather");
    expect(names(serverNaming("weather", { sample: true }))).toEqual({
      server: "weather",
      singleServerNames: true,
      entraId: "entra",
      appId: "mcp_app",
      serverId: "server_weather",
      apiId: "mcp_api",
      apiName: "mcp",
      suffix: "",
      api: "MCP server",
      entra: "prod MCP server",
      stem: "app",
    });
  });

  it("names a sample server of another name, and a non-sample weather, like any other server", () => {
    expect(serverNaming("demo", { sample: true })).toMatchObject({ singleServerNames: false, entraId: "entra_demo", apiName: "mcp-demo", suffix: "-demo" });
    expect(serverNaming("weather")).toMatchObject({ singleServerNames: false, entraId: "entra_weather", appId: "app_weather", apiId: "mcp_api_weather", suffix: "-weather" });
  });

  it("turns hyphens into underscores in construct ids only", () => {
    expect(serverNaming("team-tickets")).toMatchObject({ entraId: "entra_team_tickets", serverId: "server_team_tickets", apiId: "mcp_api_team_tickets", apiName: "mcp-team-tickets", suffix: "-team-tickets" });
  });

  it("cuts the App Service stem so that <prefix>-<stem>-<13 characters> fits 60 characters, without a trailing hyphen", () => {
    const prefix = "a".repeat(24);
    const stem = serverNaming("reports-and-dashboards-eu").appServiceStem(prefix);
    expect(stem).toBe("reports-and-dashboard");
    expect(`${prefix}-${stem}-${"x".repeat(13)}`.length).toBeLessThanOrEqual(60);
    expect(serverNaming("reports-and-x").appServiceStem("b".repeat(36))).toBe("reports-a");
    expect(serverNaming("ab-cdefghi").appServiceStem("c".repeat(43))).toBe("ab");
  });

  it.each(["", "Tickets", "1st", "a--b", "a-", "has space", "a".repeat(31)])("fails on the server name %j", (name) => {
    expect(() => serverNaming(name)).toThrow(`McpServer: name ${JSON.stringify(name)} is invalid; expected a DNS label of 1-30 lowercase letters, digits and single hyphens, starting with a letter`);
  });
});
