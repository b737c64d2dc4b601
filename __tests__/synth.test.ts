import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { isAbsolute, join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { synthesize } from "../main.js";
import type { SynthJson } from "../test-support/synth.js";

const repoRoot = join(import.meta.dirname, "..");
const buildDir = mkdtempSync(join(tmpdir(), "synth-build-"));

/** Writes a platform configuration file with the sample server and `extra`; returns its path. */
function platformFile(extra: Record<string, unknown>): string {
  const file = join(mkdtempSync(join(tmpdir(), "synth-platform-")), "platform.json");
  writeFileSync(file, JSON.stringify({ servers: [{ name: "weather", path: "mcp", backend: { kind: "sample" } }], ...extra }));
  return file;
}

/** Synthesizes with a platform configuration file; returns the Terraform JSON. */
async function synthWith(extra: Record<string, unknown>): Promise<SynthJson & { stackDir: string }> {
  const outdir = join(mkdtempSync(join(tmpdir(), "synth-state-")), "cdktf.out");
  const { stackDir } = await synthesize({ env: { MCP_PLATFORM_CONFIG: platformFile(extra) }, outdir, buildDir });
  return { ...(JSON.parse(readFileSync(join(stackDir, "cdk.tf.json"), "utf8")) as SynthJson), stackDir };
}

const remoteState = { backend: "azurerm", resourceGroupName: "tfstate-rg", storageAccountName: "contosotfstate", containerName: "tfstate", key: "mcp.tfstate" };

/** Runs `npm run synth`'s command with the given variables into a fresh output folder. */
function runSynth(env: Record<string, string>) {
  const outdir = join(mkdtempSync(join(tmpdir(), "synth-")), "cdktf.out");
  const result = spawnSync(process.execPath, ["--import", "tsx", "main.ts"], {
    cwd: repoRoot,
    env: { ...process.env, ...env, CDKTF_OUTDIR: outdir },
    encoding: "utf8",
    timeout: 60_000,
  });
  return { ...result, outdir };
}

describe("npm run synth", () => {
  it("writes a Terraform JSON holding the whole topology and the hashed package", async () => {
    const outdir = join(mkdtempSync(join(tmpdir(), "synth-ok-")), "cdktf.out");
    const buildDir = mkdtempSync(join(tmpdir(), "synth-build-"));
    const { stackDir } = await synthesize({ env: {}, outdir, buildDir });
    const json = JSON.parse(readFileSync(join(stackDir, "cdk.tf.json"), "utf8")) as SynthJson;
    expect(Object.keys(json.resource)).toEqual(
      expect.arrayContaining(["azurerm_api_management", "azurerm_linux_web_app", "azuread_application_registration", "azurerm_application_insights"]),
    );
    const web = Object.values(json.resource.azurerm_linux_web_app)[0] as { zip_deploy_file: string };
    expect(existsSync(join(stackDir, web.zip_deploy_file))).toBe(true);
    expect(readdirSync(join(outdir, "stacks"))).toEqual(["mcp"]);
  });

  it("keeps the state in a local file next to cdktf.json by default, with a path relative to the stack folder", async () => {
    for (const json of [await synthWith({}), await synthWith({ state: { backend: "local" } })]) {
      const { local } = json.terraform?.backend as { local: { path: string } };
      expect(isAbsolute(local.path)).toBe(false);
      expect(resolve(json.stackDir, local.path)).toBe(join(process.cwd(), "terraform.mcp.tfstate"));
      expect(Object.keys(json.terraform?.backend as object)).toEqual(["local"]);
    }
  });

  it("keeps the state in an Azure Storage blob with state.backend azurerm, authenticated with Entra ID and no secret", async () => {
    const json = await synthWith({ state: remoteState });
    expect(json.terraform?.backend).toEqual({
      azurerm: { resource_group_name: "tfstate-rg", storage_account_name: "contosotfstate", container_name: "tfstate", key: "mcp.tfstate", use_azuread_auth: true },
    });
    const withSubscription = await synthWith({ state: { ...remoteState, subscriptionId: "00000000-0000-0000-0000-000000000001" } });
    expect((withSubscription.terraform?.backend as { azurerm: Record<string, unknown> }).azurerm).toMatchObject({ subscription_id: "00000000-0000-0000-0000-000000000001", use_azuread_auth: true });
    expect(JSON.stringify(json.terraform)).not.toMatch(/access_key|sas_token|client_secret|client_certificate|password/);
  });

  it("prints what an existing API Management, a custom domain and remote state need", () => {
    const file = platformFile({
      apim: { existing: { name: "contoso-apim", resourceGroupName: "shared-rg", identity: { name: "contoso-apim-mcp", resourceGroupName: "shared-rg" } } },
      gateway: { hostName: "mcp.contoso.com", keyVaultCertificateId: "https://contoso-kv.vault.azure.net/secrets/mcp-cert" },
      state: remoteState,
    });
    const run = runSynth({ MCP_PLATFORM_CONFIG: file });
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toContain('the existing API Management "contoso-apim" (resource group "shared-rg")');
    expect(run.stdout).toContain('(API Management Service Contributor on it), with the identity "contoso-apim-mcp" assigned to it');
    expect(run.stdout).toContain("DNS: a CNAME from mcp.contoso.com to contoso-apim.azure-api.net (yours to create)");
    expect(run.stdout).toContain('Storage Blob Data Contributor on the container "tfstate" of the storage account "contosotfstate"');
    expect(run.stdout).toMatch(/Warning: Custom domain mcp\.contoso\.com: API Management reads its certificate/);
    expect(run.stdout).not.toContain("API Management BasicV2_1");
  }, 120_000);

  it("fails for a Consumption APIM_SKU with one clear message and writes nothing", () => {
    const run = runSynth({ APIM_SKU: "Consumption" });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('APIM_SKU: "Consumption" is refused');
    expect(run.stderr).toContain("Nothing was written");
    expect(run.stderr).not.toMatch(/\n\s+at /); // no stack trace
    expect(existsSync(run.outdir)).toBe(false);
  });

  it("fails for an ENVIRONMENT_NAME that breaks naming rules and writes nothing", () => {
    const run = runSynth({ ENVIRONMENT_NAME: "My_Env" });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('ENVIRONMENT_NAME: "My_Env" breaks Azure naming rules');
    expect(existsSync(run.outdir)).toBe(false);
  });

  it("fails for a malformed publisher e-mail and writes nothing", () => {
    const run = runSynth({ APIM_PUBLISHER_EMAIL: "not-an-email" });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('APIM_PUBLISHER_EMAIL: "not-an-email" is not an e-mail address');
    expect(existsSync(run.outdir)).toBe(false);
  });

  it("fails for a bad APIM_CACHE or ENTRA_ADMIN_CONSENT, naming the variable and value, and writes nothing", () => {
    const run = runSynth({ APIM_CACHE: "memcached", ENTRA_ADMIN_CONSENT: "maybe" });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('APIM_CACHE: "memcached" is not a cache kind');
    expect(run.stderr).toContain('ENTRA_ADMIN_CONSENT: "maybe" is not a boolean');
    expect(run.stderr).toContain("Nothing was written");
    expect(existsSync(run.outdir)).toBe(false);
  });

  it("fails for a client policy the gateway would refuse, naming the key path and value, and writes nothing", () => {
    const file = join(mkdtempSync(join(tmpdir(), "synth-clients-")), "platform.json");
    const clients = { metadataDocuments: { allow: ["https://claude.ai*"] }, static: [{ client_id: "web", client_name: "Web", redirect_uris: ["http://127.0.0.1/cb"], application_type: "web" }] };
    writeFileSync(file, JSON.stringify({ servers: [{ name: "weather", path: "mcp", backend: { kind: "sample" } }], clients }));
    const run = runSynth({ MCP_PLATFORM_CONFIG: file });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain(`MCP_PLATFORM_CONFIG ${file}: clients.metadataDocuments.allow[0]: "https://claude.ai*" has no host followed by '/'`);
    expect(run.stderr).toContain(`MCP_PLATFORM_CONFIG ${file}: clients.static[0].redirect_uris[0]: "http://127.0.0.1/cb" is not https; a client with application_type web may use only https redirect URIs`);
    expect(run.stderr).toContain("Nothing was written");
    expect(run.stderr).not.toMatch(/\n\s+at /);
    expect(existsSync(run.outdir)).toBe(false);
  });

  it("prints what an administrator must do, naming the application, when ENTRA_ADMIN_CONSENT=false", () => {
    const run = runSynth({ ENTRA_ADMIN_CONSENT: "false", ENVIRONMENT_NAME: "contoso" });
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/Warning: Admin consent is not part of this deployment .*the Entra application "contoso MCP server" stops at "Need admin approval"/);
    expect(run.stdout).toContain("az ad app permission admin-consent --id");
    const granted = runSynth({ ENVIRONMENT_NAME: "contoso" });
    expect(granted.status).toBe(0);
    expect(granted.stdout).not.toContain("Warning: Admin consent");
    expect(granted.stdout).toContain("grant it admin consent (Cloud Application Administrator");
  }, 120_000);
});
