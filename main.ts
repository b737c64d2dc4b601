/**
 * The CDKTF app: reads and validates the configuration, bundles the MCP server, composes the stack
 * and writes plain Terraform JSON to cdktf.out/stacks/mcp/cdk.tf.json. Used by `npm run synth`,
 * `cdktf synth|deploy|destroy` (see cdktf.json) and the tests.
 */
import { join, relative, resolve } from "node:path";
import { AnnotationMetadataEntryType, App, AzurermBackend, LocalBackend, Token, type TerraformStack } from "cdktf";
import type { IConstruct } from "constructs";
import { defaultPlatform, loadPlatformConfig, type PlatformConfig } from "./config/platform.js";
import { ConfigError, loadConfig, PLACEHOLDER_PUBLISHER_EMAIL, type AppConfig } from "./config/config.js";
import { McpPlatformStack } from "./stack/mcp-platform-stack.js";
import { buildMcpApp } from "./mcp-app/build.js";

/** The stack's name: `cdktf deploy mcp`, `cdktf.out/stacks/mcp`. */
export const STACK_NAME = "mcp";

export interface SynthResult {
  readonly config: AppConfig;
  /** The platform configuration the stack was built from. */
  readonly platform: PlatformConfig;
  /** Folder holding cdk.tf.json, relative to the working directory. */
  readonly stackDir: string;
  readonly stack: McpPlatformStack;
}

/** Builds the MCP server bundle and synthesizes the stack into `outdir`. */
export async function synthesize(
  options: { env?: Record<string, string | undefined>; outdir?: string; buildDir?: string } = {},
): Promise<SynthResult> {
  // Configuration first: a bad value stops here, before anything is built or written.
  const config = loadConfig(options.env ?? process.env);
  const platform = config.platformConfigFile ? loadPlatformConfig(resolve(config.platformConfigFile), { baseScope: config.scopeName }) : defaultPlatform(config.mcpPath);
  const bundle = await buildMcpApp({ outDir: options.buildDir, reuseUnchanged: true });
  // cdktf records a stack trace for every token it creates; with source maps on (tsx turns them on)
  // each one is mapped back to TypeScript, which costs more than building the stack. Errors thrown
  // while synthesizing still name the bad value; only their stack frames point at the JavaScript.
  const sourceMaps = process.sourceMapsEnabled;
  process.setSourceMapsEnabled(false);
  try {
    return synthesizeStack(config, platform, bundle.zipFile, options.outdir);
  } finally {
    process.setSourceMapsEnabled(sourceMaps);
  }
}

function synthesizeStack(config: AppConfig, platform: PlatformConfig, mcpPackageFile: string, outdir: string | undefined): SynthResult {
  const app = new App({ outdir: outdir ?? process.env.CDKTF_OUTDIR ?? "cdktf.out" });
  const stack = new McpPlatformStack(app, STACK_NAME, { config, platform, mcpPackageFile });
  const stackDir = join(app.outdir, "stacks", STACK_NAME);
  stateBackend(stack, platform.state, stackDir);
  app.synth();
  return { config, platform, stack, stackDir: relative(process.cwd(), stackDir) || "." };
}

/**
 * Where Terraform keeps the stack's state. `azurerm`: a blob in an Azure Storage container, read and
 * written with the deployer's Entra identity (`use_azuread_auth`: no access key or SAS token exists
 * in the configuration; the deployer needs Storage Blob Data Contributor on the container); the blob
 * lease locks it. Otherwise a local file in the project folder, next to cdktf.json, with a relative
 * path so the synthesized JSON works unchanged with plain terraform/tofu run inside the stack folder.
 */
function stateBackend(stack: TerraformStack, state: PlatformConfig["state"], stackDir: string): void {
  if (state?.backend === "azurerm") {
    new AzurermBackend(stack, {
      resourceGroupName: state.resourceGroupName,
      storageAccountName: state.storageAccountName,
      containerName: state.containerName,
      key: state.key,
      ...(state.subscriptionId ? { subscriptionId: state.subscriptionId } : {}),
      useAzureadAuth: true,
    });
    return;
  }
  new LocalBackend(stack, { path: join(relative(stackDir, process.cwd()), `terraform.${STACK_NAME}.tfstate`) });
}

/** The warning annotations of a construct tree (what a deploy needs someone to do), each once, in tree order. */
export function synthWarnings(root: IConstruct): string[] {
  const warnings = new Set<string>();
  for (const construct of root.node.findAll()) {
    for (const entry of construct.node.metadata) {
      if (entry.type === AnnotationMetadataEntryType.WARN) warnings.add(String(entry.data));
    }
  }
  return [...warnings];
}

function summary({ config, platform, stackDir, stack }: SynthResult): string {
  const entraRights = config.entraAdminConsent
    ? "rights in Entra ID to create an application and to grant it admin consent (Cloud Application Administrator, Application Administrator or Privileged Role Administrator; or set ENTRA_ADMIN_CONSENT=false)"
    : "rights in Entra ID to create an application (an administrator grants consent afterwards: see the warning below)";
  const existing = platform.apim?.existing;
  // A new instance's name ends in a suffix Terraform computes (McpPlatformStack.uniqueSuffix).
  const defaultHost = Token.isUnresolved(stack.gateway.defaultHostName) ? `${config.environmentName}-apim-<unique suffix>.azure-api.net` : stack.gateway.defaultHostName;
  const apim = existing ? `the existing API Management "${existing.name}" (resource group "${existing.resourceGroupName}")` : `API Management ${config.apimSku}`;
  const lines = [
    `Terraform JSON written to ${stackDir}/cdk.tf.json (stack "${STACK_NAME}", ${config.location}, ${apim}, App Service ${config.appServiceSku}, cache ${config.apimCache === "redis" ? "Azure Managed Redis" : "built-in"}).`,
    "",
    "To deploy you need (README: Deployment prerequisites):",
    `  - an Azure subscription where you may create resources (Contributor), and ${entraRights};`,
    ...(existing ? [`  - rights to add APIs, named values, fragments and loggers to "${existing.name}" (API Management Service Contributor on it), with the identity "${existing.identity.name}" assigned to it;`] : []),
    ...(platform.gateway?.hostName ? [`  - DNS: a CNAME from ${platform.gateway.hostName} to ${defaultHost} (yours to create);`] : []),
    ...(platform.state?.backend === "azurerm" ? [`  - Storage Blob Data Contributor on the container "${platform.state.containerName}" of the storage account "${platform.state.storageAccountName}" (the state is read and written with your Entra identity, no key);`] : []),
    "  - credentials: `az login` (and `az account set -s <subscription>`), or ARM_SUBSCRIPTION_ID/ARM_TENANT_ID with OIDC or a service principal;",
    "  - network access to the Terraform registry for the azurerm, azuread and random providers.",
    "Then: npx cdktf deploy mcp   (or: cd " + stackDir + " && terraform init && terraform apply)",
  ];
  if (config.publisherEmail === PLACEHOLDER_PUBLISHER_EMAIL) {
    lines.push("", `Note: APIM_PUBLISHER_EMAIL is the placeholder ${PLACEHOLDER_PUBLISHER_EMAIL}; set it to a real address before deploying.`);
  }
  for (const warning of synthWarnings(stack)) lines.push("", `Warning: ${warning}`);
  return lines.join("\n");
}

const isEntryPoint = process.argv[1] !== undefined && /main\.[cm]?[jt]s$/.test(process.argv[1]);
if (isEntryPoint) {
  try {
    const result = await synthesize();
    console.log(summary(result));
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      console.error("Nothing was written. See the configuration table in README.md.");
    } else {
      // Construct and policy-check errors name what is wrong; the stack trace only with DEBUG set.
      console.error(process.env.DEBUG ? error : `Synth failed: ${(error as Error).message}`);
    }
    process.exit(1);
  }
}
