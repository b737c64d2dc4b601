import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../mcp-app/config.js";

const TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47";
const CLIENT = "3f1c6a52-0b5e-4d8e-9a57-8c2f3e6b1d90";
const AUTH = { ENTRA_TENANT_ID: TENANT, ENTRA_CLIENT_ID: CLIENT };

function problems(env: Record<string, string>): readonly string[] {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error("expected a ConfigError");
}

describe("loadConfig", () => {
  it("default case: Entra settings derive issuer, JWKS URI and both audience forms", () => {
    expect(loadConfig(AUTH)).toEqual({
      auth: {
        tenantId: TENANT,
        clientId: CLIENT,
        requiredScope: "user_impersonate",
        issuer: `https://login.microsoftonline.com/${TENANT}/v2.0`,
        jwksUri: `https://login.microsoftonline.com/${TENANT}/discovery/v2.0/keys`,
        audiences: [CLIENT, `api://${CLIENT}`],
      },
      host: "0.0.0.0",
      port: 8000,
      bodyLimitBytes: 262144,
      responseMode: "json",
      logLevel: "info",
    });
  });

  it("takes PORT from App Service, HOST, overrides and tuning", () => {
    const config = loadConfig({
      ...AUTH,
      PORT: "8080",
      HOST: "::",
      MCP_REQUIRED_SCOPE: "mcp.tools",
      ENTRA_ISSUER: "http://127.0.0.1:9999/t/v2.0",
      ENTRA_JWKS_URI: "http://localhost:9999/keys",
      MCP_BODY_LIMIT_BYTES: "1024",
      MCP_RESPONSE_MODE: "sse",
      MCP_LOG_LEVEL: "warn",
    });
    expect(config).toMatchObject({ port: 8080, host: "::", bodyLimitBytes: 1024, responseMode: "sse", logLevel: "warn" });
    expect(config.auth).toMatchObject({ requiredScope: "mcp.tools", issuer: "http://127.0.0.1:9999/t/v2.0", jwksUri: "http://localhost:9999/keys" });
  });

  it("normalizes GUID case (Entra issues lower-case ids)", () => {
    expect(loadConfig({ ENTRA_TENANT_ID: TENANT.toUpperCase(), ENTRA_CLIENT_ID: CLIENT.toUpperCase() }).auth).toMatchObject({ tenantId: TENANT, clientId: CLIENT });
  });

  it("treats empty variables as unset", () => {
    expect(loadConfig({ ...AUTH, PORT: "", MCP_REQUIRED_SCOPE: "" })).toMatchObject({ port: 8000, auth: { requiredScope: "user_impersonate" } });
  });

  it("local mode: MCP_AUTH=off needs no Entra settings and defaults to 127.0.0.1", () => {
    expect(loadConfig({ MCP_AUTH: "off" })).toMatchObject({ auth: undefined, host: "127.0.0.1" });
    for (const host of ["localhost", "::1", "[::1]", "127.0.0.2"]) expect(loadConfig({ MCP_AUTH: "off", HOST: host }).host).toBe(host);
  });

  it("fails without ENTRA_TENANT_ID and ENTRA_CLIENT_ID, naming both", () => {
    expect(problems({})).toEqual([expect.stringMatching(/^ENTRA_TENANT_ID is required/), expect.stringMatching(/^ENTRA_CLIENT_ID is required/)]);
  });
  it("fails MCP_AUTH=off on a non-loopback HOST", () => {
    expect(problems({ MCP_AUTH: "off", HOST: "0.0.0.0" })).toEqual([expect.stringContaining('MCP_AUTH=off is refused with HOST="0.0.0.0"')]);
  });
  it("fails MCP_AUTH=off on a host name that merely starts with localhost", () => {
    expect(problems({ MCP_AUTH: "off", HOST: "localhost.example.com" })[0]).toContain("refused");
  });
  it.each([
    ["MCP_AUTH", "maybe", /MCP_AUTH="maybe" is not valid: expected "on" or "off"/],
    ["ENTRA_TENANT_ID", "contoso.onmicrosoft.com", /ENTRA_TENANT_ID="contoso.onmicrosoft.com" is not valid: expected the tenant id, a GUID/],
    ["ENTRA_CLIENT_ID", "api://x", /ENTRA_CLIENT_ID="api:\/\/x" is not valid: expected the application \(client\) id/],
    ["MCP_REQUIRED_SCOPE", "a b", /MCP_REQUIRED_SCOPE="a b" is not valid: expected one scope name without spaces/],
    ["ENTRA_ISSUER", "http://login.example.com/v2.0", /ENTRA_ISSUER="http:\/\/login.example.com\/v2.0" is not valid: expected an https URL/],
    ["ENTRA_JWKS_URI", "not a url", /ENTRA_JWKS_URI="not a url" is not valid: expected an https URL/],
    ["PORT", "http", /PORT="http" is not valid: expected an integer port 0-65535/],
    ["PORT", "70000", /PORT="70000" is not valid: expected an integer port 0-65535/],
    ["PORT", "-1", /PORT="-1" is not valid/],
    ["HOST", "my host", /HOST="my host" is not valid: expected a host name or IP address/],
    ["MCP_BODY_LIMIT_BYTES", "10", /MCP_BODY_LIMIT_BYTES="10" is not valid: expected an integer number of bytes from 1024 to 4194304/],
    ["MCP_BODY_LIMIT_BYTES", "1e6", /MCP_BODY_LIMIT_BYTES="1e6" is not valid/],
    ["MCP_BODY_LIMIT_BYTES", "99999999", /MCP_BODY_LIMIT_BYTES="99999999" is not valid/],
    ["MCP_RESPONSE_MODE", "xml", /MCP_RESPONSE_MODE="xml" is not valid: expected "sse" or "json"/],
    ["MCP_LOG_LEVEL", "verbose", /MCP_LOG_LEVEL="verbose" is not valid: expected one of debug, info, warn, error, silent/],
  ])("fails %s=%s with a message naming the value and what is expected", (name, value, message) => {
    const found = problems({ ...AUTH, [name]: value });
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(message);
  });
  it("fails with every problem listed at once", () => {
    expect(() => loadConfig({ PORT: "x", MCP_LOG_LEVEL: "loud" })).toThrow(/PORT="x"[\s\S]*MCP_LOG_LEVEL="loud"[\s\S]*ENTRA_TENANT_ID is required/);
  });
});
