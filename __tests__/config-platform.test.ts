import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ConfigError } from "../config/config.js";
import { defaultPlatform, loadPlatformConfig } from "../config/platform.js";

const dir = mkdtempSync(join(tmpdir(), "platform-config-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

/** Writes `content` (JSON unless a string) to a new file and loads it (base scope `user_impersonate`, the default of ENTRA_SCOPE_NAME). */
function load(content: unknown, baseScope = "user_impersonate"): ReturnType<typeof loadPlatformConfig> {
  const file = join(dir, `p${++n}.json`);
  writeFileSync(file, typeof content === "string" ? content : JSON.stringify(content));
  return loadPlatformConfig(file, { baseScope });
}

/** The problems of a bad file, without the file name. */
function problems(content: unknown, baseScope?: string): string[] {
  try {
    load(content, baseScope);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as ConfigError).problems.map((p) => p.replace(/^MCP_PLATFORM_CONFIG \S+: /, ""));
  }
  throw new Error("expected the configuration to be refused");
}

const sample = { name: "weather", path: "mcp", backend: { kind: "sample" } };
const existing = { name: "contoso-apim", resourceGroupName: "shared-rg", identity: { name: "contoso-apim-mcp", resourceGroupName: "shared-rg" } };
const certificate = "https://contoso-kv.vault.azure.net/secrets/mcp-cert";
writeFileSync(join(dir, "reports.zip"), "PK");

describe("platform configuration file", () => {
  it("defaults to the sample server at the MCP path", () => {
    expect(defaultPlatform("tools/mcp")).toEqual({ servers: [{ name: "weather", path: "tools/mcp", title: "Weather", backend: { kind: "sample" } }] });
  });

  it("loads the shape of the issue: three backends, an existing API Management, a custom domain, remote state, client policy", () => {
    const config = load({
      servers: [
        sample,
        { name: "tickets", path: "tickets/mcp", title: "Tickets", backend: { kind: "url", url: "https://tickets.contoso.com/mcp" }, backendAuth: "entra-user", timeoutSeconds: 30 },
        { name: "reports", path: "reports/mcp", backend: { kind: "app-service", package: "reports.zip", runtime: "python:3.12", startupCommand: "python -m reports" }, scopes: ["reports.read"], tools: [{ name: "export", scope: "reports.read", appRole: "Reports.Export" }] },
      ],
      apim: { existing: { name: "contoso-apim", resourceGroupName: "shared-rg", identity: { name: "contoso-apim-mcp", resourceGroupName: "shared-rg" } } },
      gateway: { hostName: "mcp.contoso.com", keyVaultCertificateId: "https://contoso-kv.vault.azure.net/secrets/mcp-cert" },
      clients: { registration: false, metadataDocuments: { allow: ["https://vscode.dev/oauth/client-metadata.json", "https://claude.ai/*"] }, static: [{ client_id: "corp-cli", client_name: "Corp CLI", redirect_uris: ["http://127.0.0.1/callback"] }] },
      state: { backend: "azurerm", resourceGroupName: "tfstate-rg", storageAccountName: "contosotfstate", containerName: "tfstate", key: "mcp.tfstate" },
    });
    expect(config.servers.map((s) => s.backend.kind)).toEqual(["sample", "url", "app-service"]);
    expect(config.clients?.registration).toBe(false);
    expect(config.state).toMatchObject({ backend: "azurerm", key: "mcp.tfstate" });
    expect(config.apim?.existing?.identity).toEqual({ name: "contoso-apim-mcp", resourceGroupName: "shared-rg" });
  });

  it("loads confidential static clients, with client_secret_basic or client_secret_post", () => {
    const copilot = { client_id: "copilot-studio", client_name: "Copilot Studio", redirect_uris: ["https://global.consent.azure-apim.net/redirect/cr1-5fweather-5f0123456789abcdef"], application_type: "web" as const, confidential: true };
    const foundry = { client_id: "foundry", client_name: "Foundry", redirect_uris: ["https://logic-swedencentral-001.consent.azure-apihub.net/redirect"], application_type: "web" as const, confidential: true, token_endpoint_auth_method: "client_secret_post" as const };
    expect(load({ servers: [sample], clients: { static: [copilot, foundry] } }).clients?.static).toEqual([copilot, foundry]);
  });

  it("loads a custom domain with the Key Vault the stack grants access to, and a host already bound to an existing instance", () => {
    const gateway = { hostName: "mcp.contoso.com", keyVaultCertificateId: "https://contoso-kv.vault.azure.net/secrets/mcp-cert", keyVaultId: "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/kv-rg/providers/Microsoft.KeyVault/vaults/Contoso-KV" };
    expect(load({ servers: [sample], gateway }).gateway).toEqual(gateway);
    const bound = load({ servers: [sample], apim: { existing }, gateway: { hostName: "mcp.contoso.com" } });
    expect(bound.gateway).toEqual({ hostName: "mcp.contoso.com" });
  });

  it.each<[string, unknown, string]>([
    ["invalid JSON", "{ servers: [", "is not valid JSON"],
    ["an unknown top-level key", { servers: [sample], server: [] }, `(top level): unknown key "server"`],
    ["an unknown server key", { servers: [{ ...sample, port: 1 }] }, `servers[0]: unknown key "port"`],
    ["an unknown backend kind", { servers: [{ ...sample, backend: { kind: "lambda" } }] }, `servers[0].backend.kind: unknown backend kind; expected "sample", "url" or "app-service" (got "lambda")`],
    ["a bad name", { servers: [{ ...sample, name: "Weather_1" }] }, `servers[0].name: "Weather_1" is not a server name`],
    ["a path shadowing an OAuth endpoint", { servers: [{ ...sample, path: "oauth-callback/mcp" }] }, `servers[0].path: "oauth-callback/mcp" would shadow the gateway's OAuth endpoint /oauth-callback`],
    ["a path with a leading slash", { servers: [{ ...sample, path: "/mcp" }] }, `servers[0].path: "/mcp" is not a usable API path`],
    ["a non-https url backend", { servers: [{ ...sample, backend: { kind: "url", url: "http://tickets.contoso.com/mcp" } }] }, `servers[0].backend.url: "http://tickets.contoso.com/mcp" is not https`],
    ["a url backend with user info", { servers: [{ ...sample, backend: { kind: "url", url: "https://u:p@tickets.contoso.com/mcp" } }] }, `servers[0].backend.url: "https://u:p@tickets.contoso.com/mcp" has user info or a fragment`],
    ["a missing package", { servers: [{ ...sample, backend: { kind: "app-service", package: "nope.zip", runtime: "node:22-lts" } }] }, `servers[0].backend.package: "nope.zip" does not exist`],
    ["an unsupported runtime", { servers: [{ ...sample, backend: { kind: "app-service", package: "reports.zip", runtime: "java:17" } }] }, `servers[0].backend.runtime: "java:17" is not a supported runtime`],
    ["a bad backendAuth", { servers: [{ ...sample, backendAuth: "passthrough" }] }, `servers[0].backendAuth:`],
    ["a timeout out of range", { servers: [{ ...sample, timeoutSeconds: 600 }] }, `servers[0].timeoutSeconds: 600 is not a whole number of seconds from 1 to 240`],
    ["no servers", { servers: [] }, `servers:`],
    ["a duplicate name", { servers: [sample, { ...sample, path: "other" }] }, `servers[1].name: "weather" is already the name of servers[0]`],
    ["a duplicate path", { servers: [sample, { ...sample, name: "other" }] }, `servers[1].path: "mcp" is already the path of servers[0]`],
    ["nesting paths", { servers: [sample, { ...sample, name: "other", path: "mcp/other" }] }, `servers[1].path: "mcp/other" and servers[0].path "mcp" nest`],
    ["a tool scope the server does not expose", { servers: [{ ...sample, backend: { kind: "url", url: "https://tickets.contoso.com/mcp" }, tools: [{ name: "x", scope: "admin" }] }] }, `servers[0].tools[0].scope: "admin" is not a scope of this server`],
    ["tools on a sample server (its table is mcp-app/tool-scopes.ts)", { servers: [{ ...sample, tools: [{ name: "get_forecast" }] }] }, `servers[0].tools: is set for a sample server, whose scopes and tools are its own table (mcp-app/tool-scopes.ts); leave tools out`],
    ["scopes on a sample server", { servers: [{ ...sample, scopes: ["forecast.read"] }] }, `servers[0].scopes: is set for a sample server`],
    ["a certificate without a host name", { servers: [sample], gateway: { keyVaultCertificateId: "https://contoso-kv.vault.azure.net/secrets/c" } }, `gateway.keyVaultCertificateId: is set without gateway.hostName`],
    ["a host name that is not one", { servers: [sample], gateway: { hostName: "https://mcp.contoso.com" } }, `gateway.hostName: "https://mcp.contoso.com" is not a DNS host name`],
    ["a metadata document pattern with an inner *", { servers: [sample], clients: { metadataDocuments: { allow: ["https://*.claude.ai/x"] } } }, `clients.metadataDocuments.allow[0]: "https://*.claude.ai/x" has a '*' before its end`],
    ["a duplicate static client", { servers: [sample], clients: { static: [{ client_id: "a", client_name: "A", redirect_uris: ["http://127.0.0.1/cb"] }, { client_id: "a", client_name: "B", redirect_uris: ["http://127.0.0.1/cb"] }] } }, `clients.static[1].client_id: "a" is already the client_id of clients.static[0]`],
    ["a static client redirect URI with a space", { servers: [sample], clients: { static: [{ client_id: "a", client_name: "A", redirect_uris: ["http://127.0.0.1/c b"] }] } }, `clients.static[0].redirect_uris[0]: "http://127.0.0.1/c b" is not a usable redirect URI`],
    ["an existing API Management without its identity", { servers: [sample], apim: { existing: { name: "contoso-apim", resourceGroupName: "shared-rg" } } }, `apim.existing.identity: expected the user-assigned managed identity already assigned to the instance`],
    ["an existing API Management with a bad identity name", { servers: [sample], apim: { existing: { ...existing, identity: { name: "x", resourceGroupName: "rg" } } } }, `apim.existing.identity.name: "x" is not a user-assigned managed identity name`],
    ["an existing API Management with an unknown key", { servers: [sample], apim: { existing: { ...existing, sku: "BasicV2_1" } } }, `apim.existing: unknown key "sku"`],
    ["a default API Management host as custom domain", { servers: [sample], gateway: { hostName: "contoso-apim.azure-api.net", keyVaultCertificateId: certificate } }, `gateway.hostName: "contoso-apim.azure-api.net" is a default API Management host, not a custom domain`],
    ["a host name without a certificate for a new API Management", { servers: [sample], gateway: { hostName: "mcp.contoso.com" } }, `gateway.hostName: "mcp.contoso.com" needs gateway.keyVaultCertificateId`],
    ["a certificate id that is not a Key Vault secret", { servers: [sample], gateway: { hostName: "mcp.contoso.com", keyVaultCertificateId: "https://contoso-kv.vault.azure.net/certificates/mcp-cert" } }, `gateway.keyVaultCertificateId: "https://contoso-kv.vault.azure.net/certificates/mcp-cert" is not a Key Vault secret id`],
    ["a certificate id outside Key Vault", { servers: [sample], gateway: { hostName: "mcp.contoso.com", keyVaultCertificateId: "https://evil.example/secrets/mcp-cert" } }, `gateway.keyVaultCertificateId: "https://evil.example/secrets/mcp-cert" is not a Key Vault secret id`],
    ["a Key Vault id that is not one", { servers: [sample], gateway: { hostName: "mcp.contoso.com", keyVaultCertificateId: certificate, keyVaultId: "contoso-kv" } }, `gateway.keyVaultId: "contoso-kv" is not a Key Vault resource id`],
    ["a Key Vault id without a certificate", { servers: [sample], apim: { existing }, gateway: { hostName: "mcp.contoso.com", keyVaultId: "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/kv-rg/providers/Microsoft.KeyVault/vaults/contoso-kv" } }, `gateway.keyVaultId: is set without gateway.keyVaultCertificateId`],
    ["a Key Vault id of another vault than the certificate's", { servers: [sample], gateway: { hostName: "mcp.contoso.com", keyVaultCertificateId: certificate, keyVaultId: "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/kv-rg/providers/Microsoft.KeyVault/vaults/other-kv" } }, `gateway.keyVaultId: "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/kv-rg/providers/Microsoft.KeyVault/vaults/other-kv" names the vault "other-kv", but gateway.keyVaultCertificateId is in "contoso-kv"`],
    ["an azurerm state with a bad subscription id", { servers: [sample], state: { backend: "azurerm", resourceGroupName: "rg", storageAccountName: "contosotfstate", containerName: "tfstate", key: "mcp.tfstate", subscriptionId: "prod" } }, `state.subscriptionId: "prod" is not a subscription id (GUID)`],
    ["an azurerm state with an access key", { servers: [sample], state: { backend: "azurerm", resourceGroupName: "rg", storageAccountName: "contosotfstate", containerName: "tfstate", key: "mcp.tfstate", accessKey: "c2VjcmV0" } }, `state: unknown key "accessKey"`],
    ["a metadata document prefix that would match other hosts", { servers: [sample], clients: { metadataDocuments: { allow: ["https://claude.ai*"] } } }, `clients.metadataDocuments.allow[0]: "https://claude.ai*" has no host followed by '/'`],
    ["a web static client with a loopback redirect URI", { servers: [sample], clients: { static: [{ client_id: "w", client_name: "W", redirect_uris: ["http://127.0.0.1/cb"], application_type: "web" }] } }, `clients.static[0].redirect_uris[0]: "http://127.0.0.1/cb" is not https; a client with application_type web may use only https redirect URIs`],
    ["a static redirect URI too long for the query budget on the gateway's host", { servers: [sample], apim: { existing: { name: "apim", resourceGroupName: "rg", identity: { name: "apim-identity", resourceGroupName: "rg" } } }, gateway: { hostName: "mcp.contoso.com" }, clients: { static: [{ client_id: "c", client_name: "C", redirect_uris: [`https://app.contoso.com/${"a".repeat(1010)}`] }] } }, `clients.static[0].redirect_uris[0]: "https://app.contoso.com/${"a".repeat(1010)}" with the client_id it takes 1043 bytes URL-encoded (a loopback port counted at five digits), more than the 1028 bytes`],
    ["a static client with an unsupported auth method", { servers: [sample], clients: { static: [{ client_id: "c", client_name: "C", redirect_uris: ["https://c.example/cb"], confidential: true, token_endpoint_auth_method: "private_key_jwt" }] } }, `clients.static[0].token_endpoint_auth_method:`],
    ["a public static client with an auth method", { servers: [sample], clients: { static: [{ client_id: "c", client_name: "C", redirect_uris: ["https://c.example/cb"], token_endpoint_auth_method: "client_secret_basic" }] } }, `clients.static[0].token_endpoint_auth_method: "client_secret_basic" is set on a public client; add "confidential": true`],
    ["a static client whose confidential is not a boolean", { servers: [sample], clients: { static: [{ client_id: "c", client_name: "C", redirect_uris: ["https://c.example/cb"], confidential: "yes" }] } }, `clients.static[0].confidential:`],
    ["an unknown state backend", { servers: [sample], state: { backend: "s3" } }, `state.backend: unknown state backend; expected "local" or "azurerm" (got "s3")`],
    ["an incomplete azurerm state", { servers: [sample], state: { backend: "azurerm", resourceGroupName: "rg" } }, `state.storageAccountName:`],
  ])("fails %s, naming the key path and the value", (_what, content, expected) => {
    expect(problems(content).join("\n")).toContain(expected);
  });

  it("takes the base scope from ENTRA_SCOPE_NAME: a tool may name it, and user_impersonate only when it is the base scope", () => {
    const tickets = { name: "tickets", path: "tickets/mcp", backend: { kind: "url", url: "https://tickets.contoso.com/mcp" }, scopes: ["tickets.read"] };
    const withTool = (scope: string) => ({ servers: [{ ...tickets, tools: [{ name: "list_tickets", scope }] }] });
    expect(load(withTool("mcp.access"), "mcp.access").servers[0]!.tools).toEqual([{ name: "list_tickets", scope: "mcp.access" }]);
    expect(load(withTool("user_impersonate")).servers[0]!.tools).toEqual([{ name: "list_tickets", scope: "user_impersonate" }]);
    expect(problems(withTool("user_impersonate"), "mcp.access")).toEqual([
      `servers[0].tools[0].scope: "user_impersonate" is not a scope of this server; expected the base scope mcp.access (ENTRA_SCOPE_NAME) or one of its scopes ["tickets.read"]`,
    ]);
    expect(problems(withTool("mcp.access"))[0]).toMatch(/"mcp\.access" is not a scope of this server; expected the base scope user_impersonate/);
  });

  it("fails a missing file, naming it", () => {
    expect(() => loadPlatformConfig(join(dir, "missing.json"), { baseScope: "user_impersonate" })).toThrow(/MCP_PLATFORM_CONFIG .*missing\.json: cannot be read \(ENOENT\)/);
  });
});
