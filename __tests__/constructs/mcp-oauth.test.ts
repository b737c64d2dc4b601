import { readdirSync } from "node:fs";
import { join } from "node:path";
import { Testing, TerraformStack } from "cdktf";
import { describe, expect, it } from "vitest";
import { AzurermProvider } from "@cdktf/provider-azurerm/lib/provider";
import { AzureadProvider } from "@cdktf/provider-azuread/lib/provider";
import { ResourceGroup } from "@cdktf/provider-azurerm/lib/resource-group";
import { EntraAppRegistration } from "../../constructs/entra-app-registration.js";
import { McpOAuth } from "../../constructs/mcp-oauth.js";
import { serverNaming } from "../../constructs/server-naming.js";
import { OAUTH_FRAGMENTS } from "../../vocabulary/oauth-api.js";
import { fragmentReferences } from "../../constructs/policy-files.js";
import { policyRules } from "../../constructs/policy-checks.js";
import { runPolicyRules } from "../../apim-policy/rules/index.js";
import { gatewayStack } from "../../test-support/gateway.js";
import { resourcesOf, synthJson, unhashed, type SynthJson } from "../../test-support/synth.js";
import { oauthStack, POLICIES_DIR as POLICIES } from "../../test-support/oauth-stack.js";


function namedValues(json: SynthJson): Record<string, { value: unknown; secret: unknown }> {
  return Object.fromEntries(resourcesOf(json, "azurerm_api_management_named_value").map((v) => [v.name as string, { value: v.value, secret: v.secret }]));
}

/** The synthesized resource of a type whose Terraform name starts with `prefix` (cdktf appends a hash). */
function resourceNamed(json: SynthJson, type: string, prefix: string): Record<string, unknown> {
  const found = Object.entries(json.resource[type] ?? {}).filter(([name]) => name.startsWith(prefix));
  if (found.length !== 1) throw new Error(`expected one ${type} named ${prefix}*, found ${found.map(([n]) => n).join(", ") || "none"}`);
  return found[0][1];
}

describe("McpOAuth", () => {
  it("creates a named value for every setting and key the policies read, keys secret", () => {
    const json = synthJson(oauthStack().stack);
    const values = namedValues(json);
    expect(Object.keys(values).sort()).toEqual([
      "apim-identity-client-id",
      "consent-cookie-key",
      "entra-authorize-url",
      "entra-client-id",
      "entra-token-url",
      "entra-upstream-scope",
      "gateway-url",
      "mcp-backend-auth",
      "mcp-backend-path",
      "mcp-backend-timeout",
      "mcp-oauth-server",
      "mcp-path",
      "mcp-path-longest",
      "mcp-rate-limit-calls",
      "mcp-rate-limit-period",
      "mcp-scope",
      "mcp-server-name",
      "mcp-server-scopes",
      "mcp-title",
      "mcp-tool-roles",
      "mcp-tool-scopes",
      "oauth-access-token-ttl",
      "oauth-hmac-key",
      "oauth-refresh-token-ttl",
    ]);
    const secrets = Object.entries(values).filter(([, v]) => v.secret === true).map(([name]) => name).sort();
    expect(secrets).toEqual(["consent-cookie-key", "oauth-hmac-key"]);
  });

  it("fills the settings from the gateway, the Entra registration and the props", () => {
    const values = namedValues(synthJson(oauthStack().stack));
    const value = (name: string) => unhashed(values[name].value);
    expect(value("gateway-url")).toBe("https://test-apim.azure-api.net");
    expect(value("mcp-path")).toBe("mcp");
    expect(value("entra-authorize-url")).toBe("https://login.microsoftonline.com/11111111-2222-3333-4444-555555555555/oauth2/v2.0/authorize");
    expect(value("entra-token-url")).toBe("https://login.microsoftonline.com/11111111-2222-3333-4444-555555555555/oauth2/v2.0/token");
    expect(value("entra-client-id")).toBe("${azuread_application_registration.entra_application.client_id}");
    expect(value("mcp-scope")).toBe("api://${azuread_application_registration.entra_application.client_id}/user_impersonate");
    expect(value("entra-upstream-scope")).toBe("api://${azuread_application_registration.entra_application.client_id}/user_impersonate openid profile offline_access");
    expect(value("apim-identity-client-id")).toBe("${azurerm_user_assigned_identity.gateway_identity.client_id}");
    expect(value("mcp-server-scopes")).toBe("api://${azuread_application_registration.entra_application.client_id}/user_impersonate");
    expect(value("mcp-tool-scopes")).toBe("none");
    expect(value("oauth-access-token-ttl")).toBe("3600");
    expect(value("oauth-refresh-token-ttl")).toBe("604800");
    expect(value("mcp-rate-limit-calls")).toBe("120");
    expect(value("mcp-rate-limit-period")).toBe("60");
  });

  it("uses the lifetimes, rate limit and authority host it is given", () => {
    const values = namedValues(
      synthJson(
        oauthStack({
          tokenLifetimeSeconds: 900,
          refreshTokenLifetimeSeconds: 86400,
          rateLimit: { calls: 30, renewalPeriod: 10 },
          entraAuthorityHost: "https://login.microsoftonline.us",
        }).stack,
      ),
    );
    expect(values["oauth-access-token-ttl"].value).toBe("900");
    expect(values["oauth-refresh-token-ttl"].value).toBe("86400");
    expect(values["mcp-rate-limit-calls"].value).toBe("30");
    expect(values["mcp-rate-limit-period"].value).toBe("10");
    expect(values["entra-token-url"].value).toMatch(/^https:\/\/login\.microsoftonline\.us\/[0-9a-f-]+\/oauth2\/v2\.0\/token$/);
  });

  it("generates the two 256-bit keys with Terraform's random provider, kept by keyVersion", () => {
    const json = synthJson(oauthStack().stack);
    const hmac = resourceNamed(json, "random_bytes", "oauth_hmac_key");
    const cookie = resourceNamed(json, "random_bytes", "oauth_consent_cookie_key");
    expect(hmac).toMatchObject({ length: 32, keepers: { version: "1", purpose: "client-registration" } });
    expect(cookie).toMatchObject({ length: 32, keepers: { version: "1", purpose: "consent-cookie" } });
    const values = namedValues(json);
    expect(unhashed(values["oauth-hmac-key"].value)).toBe("${random_bytes.oauth_hmac_key.base64}");
    expect(unhashed(values["consent-cookie-key"].value)).toBe("${random_bytes.oauth_consent_cookie_key.base64}");
  });

  it("rotates both keys when keyVersion changes", () => {
    const json = synthJson(oauthStack({ keyVersion: "2025-11" }).stack);
    const keepers = resourcesOf(json, "random_bytes").map((r) => (r.keepers as Record<string, string>).version);
    expect(keepers).toEqual(["2025-11", "2025-11"]);
  });

  it("never exposes a key in an output and creates no password or client secret", () => {
    const json = synthJson(oauthStack().stack);
    expect(JSON.stringify(json.output ?? {})).not.toMatch(/random_bytes|named_value/);
    const types = Object.keys(json.resource);
    expect(types.filter((t) => /password|secret/.test(t))).toEqual([]);
    const keys = (value: unknown): string[] =>
      Array.isArray(value) ? value.flatMap(keys) : value && typeof value === "object" ? Object.entries(value).flatMap(([k, v]) => [k, ...keys(v)]) : [];
    expect(keys(json.resource).filter((k) => /password|client_secret/.test(k))).toEqual([]);
  });

  it("adds the random provider when the stack has none, and no second one when it has", () => {
    const app = Testing.app();
    const stack = new TerraformStack(app, "bare");
    new AzurermProvider(stack, "azurerm", { features: [{}] });
    new AzureadProvider(stack, "azuread", {});
    const resourceGroup = new ResourceGroup(stack, "rg", { name: "rg", location: "westeurope" });
    const json = synthJson(oauthStack({}, { stack, resourceGroup }).stack);
    expect(Object.keys(json.provider ?? {})).toContain("random");
    expect(json.provider?.random).toHaveLength(1);
    expect(synthJson(oauthStack().stack).provider?.random).toHaveLength(1);
  });

  it("generates each server's tool scope and tool role tables and scopes from its tools, and the consent page's scope names", () => {
    const { stack, gateway, oauth } = oauthStack();
    const tickets = new EntraAppRegistration(stack, "entra_tickets", {
      displayName: "tickets",
      tenantId: "11111111-2222-3333-4444-555555555555",
      redirectUris: ["https://test-apim.azure-api.net/oauth-callback"],
      trustedIdentity: gateway.identity,
      additionalScopes: ["tickets.write", { value: "tickets.read", adminConsentDisplayName: "Read tickets", adminConsentDescription: "Reads tickets.", userConsentDisplayName: "Read your tickets", userConsentDescription: "Reads your tickets." }],
      appRoles: [{ value: "Tickets.Admin", displayName: "Tickets administrator", description: "Closes tickets." }],
    });
    const server = oauth.addServer("tickets", {
      path: "tickets/mcp",
      entra: tickets,
      backendUrl: "https://tickets.contoso.com/mcp",
      tools: [{ tool: "list_tickets" }, { tool: "read_ticket", scope: "tickets.read" }, { tool: "close_ticket", scope: "tickets.write", appRole: "Tickets.Admin" }, { tool: "ping", scope: "user_impersonate" }],
    });
    const json = synthJson(stack);
    const value = (name: string) => unhashed(namedValues(json)[name]!.value);
    const app = "api://${azuread_application_registration.entra_tickets_application.client_id}";
    expect(server.toolScopes.map((t) => t.tool)).toEqual(["read_ticket", "close_ticket"]);
    // By scope value: the policy finds each one's full URI among the server's scopes, so 20 tools fit one named value.
    expect(value("mcp-tool-scopes-tickets")).toBe("read_ticket=tickets.read close_ticket=tickets.write");
    expect(value("mcp-server-scopes-tickets")).toBe(`${app}/user_impersonate ${app}/tickets.write ${app}/tickets.read`);
    expect(server.toolRoles).toEqual([{ tool: "close_ticket", appRole: "Tickets.Admin" }]);
    expect(value("mcp-tool-roles-tickets")).toBe("close_ticket=Tickets.Admin");
    // The default server's tools need no role: its table is "none" (a named value is never empty).
    expect(value("mcp-tool-roles")).toBe("none");
    // The OAuth endpoints' record of the server: name, base scope, client id, upstream scopes, scopes, and the consent page's names (percent-encoded JSON).
    const names = { user_impersonate: "Use the MCP server as you", "tickets.write": "MCP server permission tickets.write", "tickets.read": "Read your tickets" };
    const clientId = "${azuread_application_registration.entra_tickets_application.client_id}";
    const scopes = `${app}/user_impersonate ${app}/tickets.write ${app}/tickets.read`;
    expect(value("mcp-oauth-server-tickets")).toBe(["tickets", `${app}/user_impersonate`, clientId, `${scopes} openid profile offline_access`, scopes, encodeURIComponent(JSON.stringify(names))].join("|"));
    const servers = resourcesOf(json, "azurerm_api_management_policy_fragment").find((f) => f.name === "oauth-servers")!.value as string;
    expect(servers).toContain('<set-variable name="server-record" value="{{mcp-oauth-server-tickets}}" />');
    expect(servers).toContain("{{mcp-path-tickets}}");
    const scopeList = resourcesOf(json, "azurerm_api_management_policy_fragment").find((f) => f.name === "oauth-scopes")!.value as string;
    expect(scopeList).toContain('<set-variable name="scopes-supported" value="{{mcp-server-scopes}} {{mcp-server-scopes-tickets}}" />');
    const permissions = resourcesOf(json, "azuread_application_permission_scope").filter((p) => p.value === "tickets.read");
    expect(permissions).toEqual([expect.objectContaining({ user_consent_display_name: "Read your tickets", admin_consent_display_name: "Read tickets" })]);
  });

  it("fails a tool whose scope the server's application does not expose, naming the server, the tool and the scopes", () => {
    const { stack, gateway, oauth } = oauthStack();
    const tickets = new EntraAppRegistration(stack, "entra_tickets", { displayName: "tickets", tenantId: "11111111-2222-3333-4444-555555555555", redirectUris: ["https://test-apim.azure-api.net/oauth-callback"], trustedIdentity: gateway.identity, additionalScopes: ["tickets.read"] });
    expect(() => oauth.addServer("tickets", { path: "tickets/mcp", entra: tickets, backendUrl: "https://tickets.contoso.com/mcp", tools: [{ tool: "close_ticket", scope: "tickets.write" }] })).toThrow(
      `McpServer "tickets": tools: Invalid tool scope table:\n  - tool scope table entry 0 ("close_ticket"): scope "tickets.write" is not a delegated scope of the application: expected one of tickets.read`,
    );
  });

  it("fails a tool whose app role the server's application does not define, naming the server, the tool and the roles", () => {
    const { stack, gateway, oauth } = oauthStack();
    const tickets = new EntraAppRegistration(stack, "entra_tickets", { displayName: "tickets", tenantId: "11111111-2222-3333-4444-555555555555", redirectUris: ["https://test-apim.azure-api.net/oauth-callback"], trustedIdentity: gateway.identity, appRoles: [{ value: "Tickets.Reader", displayName: "Reader", description: "Reads." }] });
    expect(() => oauth.addServer("tickets", { path: "tickets/mcp", entra: tickets, backendUrl: "https://tickets.contoso.com/mcp", tools: [{ tool: "close_ticket", appRole: "Tickets.Admin" }] })).toThrow(
      `McpServer "tickets": tools: Invalid tool scope table:\n  - tool scope table entry 0 ("close_ticket"): app role "Tickets.Admin" is not an app role of the application: expected one of Tickets.Reader`,
    );
  });

  it("names each added server's resources by its name unless given the sample's single-server naming", () => {
    const { stack, gateway, oauth } = oauthStack();
    const tickets = new EntraAppRegistration(stack, "entra_tickets", { displayName: "tickets", tenantId: "11111111-2222-3333-4444-555555555555", redirectUris: ["https://test-apim.azure-api.net/oauth-callback"], trustedIdentity: gateway.identity });
    const server = oauth.addServer("tickets", { path: "tickets/mcp", entra: tickets, backendUrl: "https://tickets.contoso.com/mcp" });
    expect(server.node.id).toBe("server_tickets");
    expect(server.api.name).toBe("mcp-tickets");
    expect(server.valueName("mcp-path")).toBe("mcp-path-tickets");
    expect(oauth.mcpServers.map((s) => [s.name, s.valueName("mcp-path")])).toEqual([["weather", "mcp-path"], ["tickets", "mcp-path-tickets"]]);
    const operationIds = resourcesOf(synthJson(stack), "azurerm_api_management_api_operation").map((o) => o.operation_id);
    expect(operationIds).toEqual(expect.arrayContaining(["prm-get", "prm-root-get", "prm-get-tickets", "prm-options-tickets"]));
    expect(operationIds).not.toContain("prm-root-get-tickets");
  });

  it("fails on a server added twice, a path that collides with another server's, or another server's naming", () => {
    const { stack, gateway, oauth, entra } = oauthStack();
    const other = new EntraAppRegistration(stack, "entra_other", { displayName: "other", tenantId: "11111111-2222-3333-4444-555555555555", redirectUris: ["https://test-apim.azure-api.net/oauth-callback"], trustedIdentity: gateway.identity });
    const options = { entra: other, backendUrl: "https://other.contoso.com/mcp" };
    expect(() => oauth.addServer("weather", { ...options, path: "weather2" })).toThrow('McpOAuth: server "weather" is added twice; server names must be unique');
    expect(() => oauth.addServer("reports", { ...options, path: "mcp" })).toThrow('McpOAuth: server "reports" has path "mcp", which collides with server "weather" at "mcp"; paths must be unique and may not nest');
    expect(() => oauth.addServer("reports", { ...options, path: "mcp/reports" })).toThrow('McpOAuth: server "reports" has path "mcp/reports", which collides with server "weather" at "mcp"');
    expect(() => oauth.addServer("reports", { ...options, path: "reports", naming: serverNaming("tickets") })).toThrow(
      'McpOAuth: server "reports" is given the naming of server "tickets"; expected serverNaming("reports")',
    );
    expect(() => oauth.addServer("Reports", { ...options, path: "reports" })).toThrow('McpServer: name "Reports" is invalid');
    expect(oauth.mcpServers.map((s) => s.entra)).toEqual([entra]);
  });

  it("fails synth when no server was added", () => {
    const { stack, gateway } = gatewayStack({ policiesDir: POLICIES });
    new McpOAuth(stack, "oauth", { gateway, tenantId: "11111111-2222-3333-4444-555555555555" });
    expect(() => Testing.synth(stack, true)).toThrow("McpOAuth: no MCP server was added; call addServer");
  });

  it("loads every fragment under policies/fragments as rawxml, and every included fragment exists", () => {
    const json = synthJson(oauthStack().stack);
    const fragments = resourcesOf(json, "azurerm_api_management_policy_fragment");
    expect(fragments.every((f) => f.format === "rawxml")).toBe(true);
    const names = fragments.map((f) => f.name as string).sort();
    const files = readdirSync(join(POLICIES, "fragments")).map((f) => f.replace(/\.xml$/, "")).sort();
    // Every file, plus what is generated from the platform: the servers (oauth-servers, oauth-scopes) and the static clients' secrets (oauth-static-secrets).
    expect(names).toEqual([...files, "oauth-scopes", "oauth-servers", "oauth-static-secrets"].sort());
    expect(OAUTH_FRAGMENTS.map((f) => f.name).sort()).toEqual(files);
    const policies = [...resourcesOf(json, "azurerm_api_management_api_policy"), ...resourcesOf(json, "azurerm_api_management_api_operation_policy")];
    const included = new Set(policies.flatMap((p) => fragmentReferences(p.xml_content as string)));
    expect([...included].filter((id) => !names.includes(id))).toEqual([]);
    expect(names.filter((id) => !included.has(id))).toEqual([]);
  });

  it("writes today's client policy into oauth-client-policy by default: registration on, any https document, no static client", () => {
    const fragment = resourcesOf(synthJson(oauthStack().stack), "azurerm_api_management_policy_fragment").find((f) => f.name === "oauth-client-policy")!;
    const value = fragment.value as string;
    expect(value).toContain('<set-variable name="clients-registration" value="@(true)" />');
    expect(value).toContain('<set-variable name="clients-documents-allow" value="@("[\\"https://*\\"]")" />');
    expect(value).toContain('<set-variable name="clients-documents-reviewed" value="@(false)" />');
    expect(value).toContain('<set-variable name="clients-static" value="@("{}")" />');
  });

  it("writes the clients prop into oauth-client-policy", () => {
    const clients = {
      registration: false,
      metadataDocuments: { allow: ["https://vscode.dev/oauth/client-metadata.json", "https://claude.ai/*"] },
      static: [{ client_id: "corp-cli", client_name: "Corp CLI", redirect_uris: ["http://127.0.0.1/callback"] }],
    };
    const json = synthJson(oauthStack({ clients }).stack);
    const value = resourcesOf(json, "azurerm_api_management_policy_fragment").find((f) => f.name === "oauth-client-policy")!.value as string;
    expect(value).toContain('<set-variable name="clients-registration" value="@(false)" />');
    expect(value).toContain('<set-variable name="clients-documents-allow" value="@("[\\"https://vscode.dev/oauth/client-metadata.json\\",\\"https://claude.ai/*\\"]")" />');
    expect(value).toContain('<set-variable name="clients-documents-reviewed" value="@(true)" />');
    expect(value).toContain('<set-variable name="clients-static" value="@("{\\"corp-cli\\":{\\"n\\":\\"Corp CLI\\",\\"r\\":[\\"http://127.0.0.1/callback\\"],\\"a\\":\\"native\\"\\u007D}")" />');
    expect(runPolicyRules(oauthStack({ clients }).gateway.policySet(), policyRules)).toEqual([]);
  });

  it("creates the OAuth API at the root and the streaming MCP API in front of the App Service", () => {
    const { stack, oauth, server } = oauthStack();
    const json = synthJson(stack);
    const apis = Object.fromEntries(resourcesOf(json, "azurerm_api_management_api").map((a) => [a.name as string, a]));
    expect(apis.oauth).toMatchObject({ path: "", subscription_required: false, protocols: ["https"] });
    expect(apis.oauth.service_url).toBeUndefined();
    expect(apis.mcp).toMatchObject({ path: "mcp", subscription_required: false });
    expect(unhashed(apis.mcp.service_url)).toBe("https://${azurerm_linux_web_app.mcp_app_web_app.default_hostname}");
    expect(server.api.name).toBe("mcp");
    expect(oauth.oauthApi.path).toBe("");
  });

  it("creates an operation for every endpoint and preflight", () => {
    const json = synthJson(oauthStack().stack);
    const ops = resourcesOf(json, "azurerm_api_management_api_operation")
      .map((o) => `${unhashed(o.api_name as string).replace(/^\$\{azurerm_api_management_api\.gateway_(\w+)_api\.name\}$/, "$1")} ${o.method} ${o.url_template}`)
      .sort();
    expect(ops).toEqual([
      "mcp DELETE /",
      "mcp GET /",
      "mcp OPTIONS /",
      "mcp POST /",
      "oauth GET /.well-known/oauth-authorization-server",
      "oauth GET /.well-known/oauth-protected-resource",
      "oauth GET /.well-known/oauth-protected-resource/mcp",
      "oauth GET /.well-known/openid-configuration",
      "oauth GET /authorize",
      "oauth GET /oauth-callback",
      "oauth OPTIONS /.well-known/oauth-authorization-server",
      "oauth OPTIONS /.well-known/oauth-protected-resource",
      "oauth OPTIONS /.well-known/oauth-protected-resource/mcp",
      "oauth OPTIONS /.well-known/openid-configuration",
      "oauth OPTIONS /register",
      "oauth OPTIONS /revoke",
      "oauth OPTIONS /token",
      "oauth POST /consent",
      "oauth POST /register",
      "oauth POST /revoke",
      "oauth POST /token",
    ]);
  });

  it("suffixes the protected resource metadata path with a custom MCP path", () => {
    const { stack, server } = oauthStack({ mcpPath: "tools/weather" });
    const json = synthJson(stack);
    const templates = resourcesOf(json, "azurerm_api_management_api_operation").map((o) => o.url_template);
    expect(templates).toContain("/.well-known/oauth-protected-resource/tools/weather");
    expect(server.endpointUrl).toBe("https://test-apim.azure-api.net/tools/weather");
    expect(server.protectedResourceMetadataUrl).toBe("https://test-apim.azure-api.net/.well-known/oauth-protected-resource/tools/weather");
  });

  it("exposes the public URLs", () => {
    const { oauth, server } = oauthStack();
    expect(server.endpointUrl).toBe("https://test-apim.azure-api.net/mcp");
    expect(server.protectedResourceMetadataUrl).toBe("https://test-apim.azure-api.net/.well-known/oauth-protected-resource/mcp");
    expect(oauth.authorizationServerMetadataUrl).toBe("https://test-apim.azure-api.net/.well-known/oauth-authorization-server");
  });

  it("makes each policy depend on the named values and fragments it uses", () => {
    const json = synthJson(oauthStack().stack);
    const tokenPolicy = resourceNamed(json, "azurerm_api_management_api_operation_policy", "gateway_oauth_api_op_token_post_policy");
    const deps = unhashed(tokenPolicy.depends_on as string[]);
    expect(deps).toContain("azurerm_api_management_named_value.gateway_nv_oauth_refresh_token_ttl");
    for (const fragment of ["oauth_form_parse", "oauth_token_request", "oauth_token_code_grant", "oauth_token_refresh_grant", "oauth_token_issue", "oauth_respond"]) {
      expect(deps).toContain(`azurerm_api_management_policy_fragment.gateway_fragment_${fragment}`);
    }
    const mcpPolicy = resourceNamed(json, "azurerm_api_management_api_policy", "gateway_mcp_api_policy");
    const mcpDeps = unhashed(mcpPolicy.depends_on as string[]);
    expect(mcpDeps).toContain("azurerm_api_management_named_value.gateway_nv_mcp_rate_limit_calls");
    expect(mcpDeps).toContain("azurerm_api_management_policy_fragment.gateway_fragment_mcp_token_check");
    const upstream = resourceNamed(json, "azurerm_api_management_policy_fragment", "gateway_fragment_oauth_upstream_token");
    expect(unhashed(upstream.depends_on as string[])).toEqual([
      "azurerm_api_management_named_value.gateway_nv_apim_identity_client_id",
      "azurerm_api_management_named_value.gateway_nv_entra_token_url",
    ]);
  });

  it("passes every static policy rule", () => {
    const { gateway } = oauthStack();
    expect(runPolicyRules(gateway.policySet(), policyRules)).toEqual([]);
  });

  it("passes every static policy rule with a nested MCP path", () => {
    const { gateway } = oauthStack({ mcpPath: "a/b" });
    expect(runPolicyRules(gateway.policySet(), policyRules)).toEqual([]);
  });

  it.each(["", "/mcp", "mcp/", "a//b", ".well-known/x", "m cp"])("fails on mcpPath %j", (mcpPath) => {
    expect(() => oauthStack({ mcpPath })).toThrow(`McpServer: path ${JSON.stringify(mcpPath)} is invalid; expected URL path segments`);
  });

  it.each([
    [5, 6],
    [86400, 86401],
  ])("accepts tokenLifetimeSeconds %j (the ends of its range) with a refresh lifetime of %j", (tokenLifetimeSeconds, refreshTokenLifetimeSeconds) => {
    const values = namedValues(synthJson(oauthStack({ tokenLifetimeSeconds, refreshTokenLifetimeSeconds }).stack));
    expect(values["oauth-access-token-ttl"].value).toBe(String(tokenLifetimeSeconds));
    expect(values["oauth-refresh-token-ttl"].value).toBe(String(refreshTokenLifetimeSeconds));
  });

  it.each([0, 4, 86401, 1.5])("fails on tokenLifetimeSeconds %j", (tokenLifetimeSeconds) => {
    expect(() => oauthStack({ tokenLifetimeSeconds })).toThrow(`tokenLifetimeSeconds ${tokenLifetimeSeconds} is invalid; expected a whole number of seconds from 5 to 86400`);
  });

  it.each([600, 3600])("fails when the refresh lifetime %j is not longer than the access token lifetime", (refreshTokenLifetimeSeconds) => {
    expect(() => oauthStack({ tokenLifetimeSeconds: 3600, refreshTokenLifetimeSeconds })).toThrow(
      `refreshTokenLifetimeSeconds ${refreshTokenLifetimeSeconds} is invalid; expected a whole number of seconds (more than tokenLifetimeSeconds) from 3601 to 7776000`,
    );
  });

  it("fails on a refresh lifetime beyond 90 days", () => {
    expect(() => oauthStack({ refreshTokenLifetimeSeconds: 7776001 })).toThrow("refreshTokenLifetimeSeconds 7776001 is invalid");
  });

  it.each(["", "has space", "x".repeat(33)])("fails on keyVersion %j", (keyVersion) => {
    expect(() => oauthStack({ keyVersion })).toThrow(`keyVersion ${JSON.stringify(keyVersion)} is invalid; expected 1-32 letters, digits, '.', '_' or '-'`);
  });

  it("fails on a rate limit period API Management does not accept", () => {
    expect(() => oauthStack({ rateLimit: { calls: 10, renewalPeriod: 301 } })).toThrow("rateLimit.renewalPeriod 301 is invalid; expected a whole number of seconds from 1 to 300");
  });

  it("fails on a rate limit of zero calls", () => {
    expect(() => oauthStack({ rateLimit: { calls: 0, renewalPeriod: 60 } })).toThrow("rateLimit.calls 0 is invalid; expected a whole number of calls from 1 to 1000000");
  });

  it("fails on a bad client policy, naming each key path and value", () => {
    expect(() =>
      oauthStack({
        clients: {
          metadataDocuments: { allow: ["https://claude.ai*"] },
          static: [{ client_id: "portal", client_name: "Portal", redirect_uris: ["http://127.0.0.1/cb"], application_type: "web" }],
        },
      }),
    ).toThrow(/^McpOAuth: bad client policy:\n {2}clients\.metadataDocuments\.allow\[0\]: "https:\/\/claude\.ai\*" .*\n {2}clients\.static\[0\]\.redirect_uris\[0\]: "http:\/\/127\.0\.0\.1\/cb" is not https/);
  });

  it("fails on an authority host that is not an https origin", () => {
    expect(() => oauthStack({ entraAuthorityHost: "http://login.example" })).toThrow('entraAuthorityHost "http://login.example" is invalid');
    expect(() => oauthStack({ entraAuthorityHost: "https://login.example/tenant" })).toThrow('entraAuthorityHost "https://login.example/tenant" is invalid');
  });
});
