import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Testing } from "cdktf";
import { describe, expect, it } from "vitest";
import { loadPlatformConfig, type PlatformConfig } from "../config/platform.js";
import { TeamMcpStack } from "../examples/compose.js";
import { synthesize } from "../main.js";
import { danglingReferences, fixturePackage, onlyResource, resourcesOf, synthJson, type SynthJson } from "../test-support/synth.js";

const repoRoot = join(import.meta.dirname, "..");
const examplesDir = join(repoRoot, "examples");
const buildDir = mkdtempSync(join(tmpdir(), "examples-build-"));

/** Every platform configuration file in examples/. */
const EXAMPLES = readdirSync(examplesDir).filter((f) => f.endsWith(".json")).sort();

/**
 * The examples that synthesize on this branch. two-servers.json and complete.json need the stack to
 * build every server of the file (one Entra application, API and backend each): they join this list
 * with that work.
 */
const SYNTHESIZED = ["two-servers.json", "complete.json", "custom-domain.json", "existing-apim.json", "remote-state.json", "microsoft-clients.json"];

/** What the synthesized configuration must show for each part of the platform configuration. */
function expectConfiguration(json: SynthJson, config: PlatformConfig): void {
  const apis = resourcesOf(json, "azurerm_api_management_api");
  const namedValues = resourcesOf(json, "azurerm_api_management_named_value").map((v) => v.value);
  for (const server of config.servers) {
    const api = apis.find((a) => a.path === server.path);
    expect(api, `API of server ${server.name} at ${server.path}`).toBeDefined();
    if (server.backend.kind === "url") {
      // The API forwards to the endpoint's origin; the policy sends requests to its path.
      const url = new URL(server.backend.url);
      expect(api!.service_url, `backend of ${server.name}`).toBe(url.origin);
      expect(namedValues, `backend path of ${server.name}`).toContain(url.pathname);
    }
  }
  expect(resourcesOf(json, "azuread_application_registration"), "one Entra application per server").toHaveLength(config.servers.length);

  const existing = config.apim?.existing;
  if (existing) {
    expect(json.resource).not.toHaveProperty("azurerm_api_management");
    expect(json.resource).not.toHaveProperty("azurerm_user_assigned_identity");
    expect(Object.values(json.data?.azurerm_api_management ?? {})).toEqual([expect.objectContaining({ name: existing.name, resource_group_name: existing.resourceGroupName })]);
    expect(Object.values(json.data?.azurerm_user_assigned_identity ?? {})).toEqual([expect.objectContaining({ name: existing.identity.name, resource_group_name: existing.identity.resourceGroupName })]);
  } else {
    expect(resourcesOf(json, "azurerm_api_management")).toHaveLength(1);
  }

  const host = config.gateway?.hostName;
  const origin = host ? `https://${host}` : undefined;
  const redirectUris = resourcesOf(json, "azuread_application_redirect_uris").flatMap((r) => r.redirect_uris as string[]);
  expect(redirectUris.length).toBeGreaterThan(0);
  for (const uri of redirectUris) {
    if (origin) expect(uri).toBe(`${origin}/oauth-callback`);
    else expect(uri).toMatch(/^https:\/\/[^/]+\.azure-api\.net\/oauth-callback$/);
  }
  if (origin) expect(resourcesOf(json, "azurerm_api_management_named_value").map((v) => v.value)).toContain(origin);
  if (config.gateway?.keyVaultCertificateId) {
    const domain = onlyResource(json, "azurerm_api_management_custom_domain") as { gateway: { host_name: string; key_vault_certificate_id: string }[] };
    expect(domain.gateway).toEqual([expect.objectContaining({ host_name: host, key_vault_certificate_id: config.gateway.keyVaultCertificateId })]);
  } else {
    expect(json.resource).not.toHaveProperty("azurerm_api_management_custom_domain");
  }
  expect(resourcesOf(json, "azurerm_role_assignment")).toHaveLength(config.gateway?.keyVaultId ? 1 : 0);

  const backend = json.terraform?.backend as Record<string, Record<string, unknown>>;
  if (config.state?.backend === "azurerm") {
    const { backend: _kind, resourceGroupName, storageAccountName, containerName, key, subscriptionId } = config.state;
    expect(backend).toEqual({
      azurerm: {
        resource_group_name: resourceGroupName,
        storage_account_name: storageAccountName,
        container_name: containerName,
        key,
        ...(subscriptionId ? { subscription_id: subscriptionId } : {}),
        use_azuread_auth: true,
      },
    });
  } else {
    expect(Object.keys(backend)).toEqual(["local"]);
  }
  // Confidential static clients: a generated secret each, only in the sensitive output.
  const confidential = (config.clients?.static ?? []).filter((c) => c.confidential === true).map((c) => c.client_id);
  const secrets = json.output?.static_client_secrets as { value: Record<string, string>; sensitive: boolean } | undefined;
  if (confidential.length > 0) {
    expect(secrets?.sensitive).toBe(true);
    expect(Object.keys(secrets!.value).sort()).toEqual([...confidential].sort());
    for (const reference of Object.values(secrets!.value)) expect(reference).toMatch(/^\$\{random_password\.[A-Za-z0-9_-]+\.result\}$/);
  } else {
    expect(secrets).toBeUndefined();
  }
  expect(danglingReferences(json)).toEqual([]);
}

describe("examples/", () => {
  it("holds the documented platform configurations, each described in examples/README.md", () => {
    expect(EXAMPLES).toEqual(["complete.json", "custom-domain.json", "existing-apim.json", "microsoft-clients.json", "remote-state.json", "two-servers.json"]);
    const readme = readFileSync(join(examplesDir, "README.md"), "utf8");
    for (const file of EXAMPLES) expect(readme, file).toMatch(new RegExp(`^## \`${file.replace(".", "\\.")}\``, "m"));
  });

  it.each(EXAMPLES)("%s loads with loadPlatformConfig", (file) => {
    const config = loadPlatformConfig(join(examplesDir, file), { baseScope: "user_impersonate" });
    expect(config.servers.length).toBeGreaterThan(0);
  });

  it.each(SYNTHESIZED)("%s synthesizes through main.ts into what it configures", async (file) => {
    const path = join(examplesDir, file);
    const outdir = join(mkdtempSync(join(tmpdir(), "examples-out-")), "cdktf.out");
    const { stackDir } = await synthesize({ env: { MCP_PLATFORM_CONFIG: path }, outdir, buildDir });
    const json = JSON.parse(readFileSync(join(stackDir, "cdk.tf.json"), "utf8")) as SynthJson;
    expectConfiguration(json, loadPlatformConfig(path, { baseScope: "user_impersonate" }));
  });
});

describe("examples/compose.ts (README: Use the constructs in your own CDKTF app)", () => {
  it("is the code the README shows", () => {
    const readme = readFileSync(join(repoRoot, "README.md"), "utf8");
    const code = readFileSync(join(examplesDir, "compose.ts"), "utf8");
    expect(readme).toContain(`## Use the constructs in your own CDKTF app`);
    expect(readme).toContain("```ts\n" + code + "```\n");
  });

  it("synthesizes someone else's stack: their resource group, an existing API Management at a bound host, the MCP server and the OAuth policies", () => {
    const stack = new TeamMcpStack(Testing.app(), "team-mcp", { packageFile: fixturePackage() });
    const json = synthJson(stack);
    expect(onlyResource(json, "azurerm_resource_group")).toMatchObject({ name: "team-mcp-rg", location: "swedencentral" });
    expect(json.resource).not.toHaveProperty("azurerm_api_management");
    expect(resourcesOf(json, "azurerm_api_management_api").map((a) => a.path).sort()).toEqual(["", "team/mcp"]);
    expect(onlyResource(json, "azuread_application_redirect_uris").redirect_uris).toEqual(["https://mcp.contoso.com/oauth-callback"]);
    expect(stack.gateway.gatewayUrl).toBe("https://mcp.contoso.com");
    expect(resourcesOf(json, "azurerm_api_management_api_diagnostic")).toHaveLength(2);
    expect(danglingReferences(json)).toEqual([]);
    expect(stack.policyChecks.violations).toEqual([]);
  });
});
