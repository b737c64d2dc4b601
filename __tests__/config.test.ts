import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { CONFIG_VARIABLES, ConfigError, loadConfig } from "../config/config.js";
import { gatewayEndpoints } from "../vocabulary/oauth-api.js";

function problems(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return [...error.problems];
    throw error;
  }
  throw new Error(`expected ${JSON.stringify(env)} to be refused`);
}

describe("loadConfig", () => {
  it("applies the documented defaults", () => {
    expect(loadConfig({})).toEqual({
      location: "westeurope",
      environmentName: "mcp",
      resourceGroupName: "mcp-rg",
      apimSku: "BasicV2_1",
      publisherEmail: "apim-admin@example.com",
      publisherName: "MCP Platform",
      appServiceSku: "B1",
      mcpPath: "mcp",
      scopeName: "user_impersonate",
      keyVersion: "1",
      accessTokenLifetimeSeconds: 3600,
      refreshTokenLifetimeSeconds: 604800,
      entraAdminConsent: true,
      apimCache: "builtin",
    });
  });

  it("reads every variable", () => {
    expect(
      loadConfig({
        AZURE_LOCATION: "swedencentral",
        ENVIRONMENT_NAME: "contoso-prod",
        RESOURCE_GROUP_NAME: "rg-mcp.prod",
        APIM_SKU: "StandardV2_2",
        APIM_PUBLISHER_EMAIL: "platform@contoso.com",
        APIM_PUBLISHER_NAME: "Contoso Platform",
        APP_SERVICE_SKU: "P1v3",
        MCP_PATH: "weather/mcp",
        ENTRA_SCOPE_NAME: "mcp.tools",
        OAUTH_KEY_VERSION: "2026-11",
        OAUTH_ACCESS_TOKEN_LIFETIME: "900",
        OAUTH_REFRESH_TOKEN_LIFETIME: "86400",
        ENTRA_ADMIN_CONSENT: "false",
        APIM_CACHE: "redis",
      }),
    ).toEqual({
      location: "swedencentral",
      environmentName: "contoso-prod",
      resourceGroupName: "rg-mcp.prod",
      apimSku: "StandardV2_2",
      publisherEmail: "platform@contoso.com",
      publisherName: "Contoso Platform",
      appServiceSku: "P1v3",
      mcpPath: "weather/mcp",
      scopeName: "mcp.tools",
      keyVersion: "2026-11",
      accessTokenLifetimeSeconds: 900,
      refreshTokenLifetimeSeconds: 86400,
      entraAdminConsent: false,
      apimCache: "redis",
    });
  });

  it("lists every variable in the README's configuration table", () => {
    const readme = readFileSync(join(import.meta.dirname, "..", "README.md"), "utf8");
    const table = readme.slice(readme.indexOf("## Configuration"), readme.indexOf("\n## ", readme.indexOf("## Configuration") + 5));
    expect(CONFIG_VARIABLES.filter((name) => !table.includes(`| \`${name}\` |`))).toEqual([]);
  });

  it("treats empty variables as unset", () => {
    expect(loadConfig({ APIM_SKU: "", ENVIRONMENT_NAME: "" })).toMatchObject({ apimSku: "BasicV2_1", environmentName: "mcp" });
  });

  it("ignores unrelated environment variables and lists the ones it reads", () => {
    expect(loadConfig({ PATH: "/usr/bin", HOME: "/root" }).apimSku).toBe("BasicV2_1");
    expect(CONFIG_VARIABLES).toEqual(expect.arrayContaining(["AZURE_LOCATION", "ENVIRONMENT_NAME", "APIM_SKU", "APIM_PUBLISHER_EMAIL", "APIM_PUBLISHER_NAME", "APP_SERVICE_SKU", "MCP_PATH"]));
  });

  it("accepts classic and v2 API Management tiers", () => {
    for (const sku of ["BasicV2_1", "BasicV2_10", "StandardV2_3", "Developer_1", "Basic_2", "Standard_4", "Premium_3"]) {
      expect(loadConfig({ APIM_SKU: sku }).apimSku).toBe(sku);
    }
  });

  it("fails for Consumption, explaining why it cannot work", () => {
    expect(problems({ APIM_SKU: "Consumption_0" })).toEqual([
      expect.stringMatching(/^APIM_SKU: "Consumption_0" is refused: .*no built-in cache.*server-sent events.*16 KiB/),
    ]);
    expect(problems({ APIM_SKU: "Consumption" })[0]).toMatch(/^APIM_SKU: "Consumption" is refused/);
  });

  it("fails for an unknown API Management SKU", () => {
    expect(problems({ APIM_SKU: "BasicV3_1" })).toEqual([expect.stringMatching(/^APIM_SKU: "BasicV3_1" is not an API Management SKU.*expected <tier>_<units>/)]);
    expect(problems({ APIM_SKU: "basicv2_1" })[0]).toMatch(/"basicv2_1" is not an API Management SKU/);
  });

  it("fails for an environment name that breaks Azure naming rules", () => {
    for (const bad of ["Mcp", "1mcp", "mcp-", "mc--p", "mcp_env", "a".repeat(25)]) {
      expect(problems({ ENVIRONMENT_NAME: bad }), bad).toEqual([expect.stringContaining(`ENVIRONMENT_NAME: ${JSON.stringify(bad)} breaks Azure naming rules`)]);
    }
  });

  it("fails for a malformed e-mail", () => {
    for (const bad of ["admin", "admin@", "@contoso.com", "a b@contoso.com", "admin@contoso"]) {
      expect(problems({ APIM_PUBLISHER_EMAIL: bad }), bad).toEqual([expect.stringContaining(`APIM_PUBLISHER_EMAIL: ${JSON.stringify(bad)} is not an e-mail address`)]);
    }
  });

  it("fails for an unknown region", () => {
    expect(problems({ AZURE_LOCATION: "West Europe" })).toEqual([expect.stringContaining('AZURE_LOCATION: "West Europe" is not an Azure region name')]);
  });

  it("fails for free or unknown App Service plans", () => {
    expect(problems({ APP_SERVICE_SKU: "F1" })[0]).toMatch(/^APP_SERVICE_SKU: "F1" is refused: Free and Shared plans/);
    expect(problems({ APP_SERVICE_SKU: "B9" })[0]).toMatch(/^APP_SERVICE_SKU: "B9" is not a Linux App Service plan SKU/);
  });

  it("fails for an MCP path that is malformed or shadows an OAuth endpoint", () => {
    expect(problems({ MCP_PATH: "/mcp" })[0]).toMatch(/^MCP_PATH: "\/mcp" is not a usable API path/);
    expect(problems({ MCP_PATH: "MCP" })[0]).toMatch(/^MCP_PATH: "MCP" is not a usable API path/);
    expect(problems({ MCP_PATH: "authorize" })[0]).toMatch(/^MCP_PATH: "authorize" would shadow the gateway's OAuth endpoint \/authorize/);
    expect(problems({ MCP_PATH: ".well-known/x" })[0]).toMatch(/is not a usable API path|would shadow/);
  });

  // The OAuth API table decides: a path of the table's next endpoint is refused without a list to edit here.
  it.each(gatewayEndpoints().filter((e) => e.api === "oauth" && /^\/[a-z]/.test(e.path)).map((e) => [e.method, e.path]))("fails for an MCP path under the OAuth endpoint %s %s", (_method, path) => {
    const first = path.split("/")[1]!;
    expect(problems({ MCP_PATH: `${first}/mcp` })[0]).toBe(
      `MCP_PATH: "${first}/mcp" would shadow the gateway's OAuth endpoint /${first}; choose another path (reserved: .well-known, register, authorize, consent, oauth-callback, token, revoke)`,
    );
  });

  it("fails for a bad publisher name, resource group, scope or key version", () => {
    expect(problems({ APIM_PUBLISHER_NAME: "<script>" })[0]).toMatch(/^APIM_PUBLISHER_NAME: "<script>" is not a usable publisher name/);
    expect(problems({ RESOURCE_GROUP_NAME: "rg." })[0]).toMatch(/^RESOURCE_GROUP_NAME: "rg." is not a valid resource group name/);
    expect(problems({ ENTRA_SCOPE_NAME: "a b" })[0]).toMatch(/^ENTRA_SCOPE_NAME: "a b" is not a usable delegated scope name/);
    expect(problems({ OAUTH_KEY_VERSION: "v 2" })[0]).toMatch(/^OAUTH_KEY_VERSION: "v 2" is not a usable key version/);
  });

  it("accepts token lifetimes at the ends of their ranges", () => {
    expect(loadConfig({ OAUTH_ACCESS_TOKEN_LIFETIME: "5", OAUTH_REFRESH_TOKEN_LIFETIME: "6" })).toMatchObject({ accessTokenLifetimeSeconds: 5, refreshTokenLifetimeSeconds: 6 });
    expect(loadConfig({ OAUTH_ACCESS_TOKEN_LIFETIME: "86400", OAUTH_REFRESH_TOKEN_LIFETIME: "7776000" })).toMatchObject({ accessTokenLifetimeSeconds: 86400, refreshTokenLifetimeSeconds: 7776000 });
    // The refresh default (7 days) outlives the longest access token.
    expect(loadConfig({ OAUTH_ACCESS_TOKEN_LIFETIME: "86400" }).refreshTokenLifetimeSeconds).toBe(604800);
  });

  it.each(["4", "86401", "0", "60s", "1.5", "-5", " 60"])("fails for OAUTH_ACCESS_TOKEN_LIFETIME %j, naming it and the range", (value) => {
    expect(problems({ OAUTH_ACCESS_TOKEN_LIFETIME: value })).toEqual([
      `OAUTH_ACCESS_TOKEN_LIFETIME: ${JSON.stringify(value)} is not a usable access token lifetime; expected a whole number of seconds from 5 to 86400`,
    ]);
  });

  it.each(["7776001", "5", "1w"])("fails for OAUTH_REFRESH_TOKEN_LIFETIME %j, naming it and the range", (value) => {
    expect(problems({ OAUTH_REFRESH_TOKEN_LIFETIME: value })).toEqual([
      `OAUTH_REFRESH_TOKEN_LIFETIME: ${JSON.stringify(value)} is not a usable refresh token lifetime; expected a whole number of seconds from 6 to 7776000`,
    ]);
  });

  it("fails for a refresh token lifetime that does not exceed the access token lifetime", () => {
    for (const refresh of ["3600", "600"]) {
      expect(problems({ OAUTH_ACCESS_TOKEN_LIFETIME: "3600", OAUTH_REFRESH_TOKEN_LIFETIME: refresh })).toEqual([
        `OAUTH_REFRESH_TOKEN_LIFETIME: "${refresh}" must exceed OAUTH_ACCESS_TOKEN_LIFETIME (3600 seconds): a refresh token outlives the access tokens it renews`,
      ]);
    }
    expect(problems({ OAUTH_ACCESS_TOKEN_LIFETIME: "86400", OAUTH_REFRESH_TOKEN_LIFETIME: "86400" })[0]).toMatch(/^OAUTH_REFRESH_TOKEN_LIFETIME: "86400" must exceed OAUTH_ACCESS_TOKEN_LIFETIME \(86400 seconds\)/);
  });

  it("fails for an ENTRA_ADMIN_CONSENT that is not true or false", () => {
    for (const bad of ["yes", "TRUE", "1", "False"]) {
      expect(problems({ ENTRA_ADMIN_CONSENT: bad }), bad).toEqual([expect.stringMatching(new RegExp(`^ENTRA_ADMIN_CONSENT: "${bad}" is not a boolean; expected true .* or false`))]);
    }
  });

  it("fails for an unknown APIM_CACHE", () => {
    expect(problems({ APIM_CACHE: "memcached" })).toEqual([expect.stringMatching(/^APIM_CACHE: "memcached" is not a cache kind; expected builtin .* or redis/)]);
    expect(problems({ APIM_CACHE: "Redis" })[0]).toMatch(/^APIM_CACHE: "Redis" is not a cache kind/);
  });

  it("reports every bad variable at once, in one message", () => {
    try {
      loadConfig({ APIM_SKU: "Consumption", ENVIRONMENT_NAME: "BAD" });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      const message = (error as Error).message;
      expect(message).toMatch(/^Invalid configuration:\n/);
      expect(message).toContain('APIM_SKU: "Consumption" is refused');
      expect(message).toContain('ENVIRONMENT_NAME: "BAD" breaks Azure naming rules');
    }
  });
});
