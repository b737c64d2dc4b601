/**
 * An MCP server on Azure App Service: a Linux plan and a web app (Node 22 LTS for the bundled sample, or the runtime of a prebuilt Node or Python package), deployed by the same
 * `terraform apply` from a zip (TerraformAsset: its content hash is in the path, so a code change
 * redeploys), run from the package, HTTPS only, TLS 1.2+, FTP off, with a health check and the
 * settings the server needs to validate Entra tokens.
 */
import { existsSync, statSync } from "node:fs";
import { Construct } from "constructs";
import { AssetType, TerraformAsset } from "cdktf";
import type { ResourceGroup } from "@cdktf/provider-azurerm/lib/resource-group";
import type { EntraAppRegistration } from "./entra-app-registration.js";
import type { Observability } from "./observability.js";
import { APP_SERVICE_NAME } from "../vocabulary/azure-names.js";
import { APP_SERVICE_RUNTIMES, appServiceSkuProblem } from "../vocabulary/skus.js";
import { LinuxWebApp, ServicePlan } from "./providers.js";
import { isLiteral } from "./literal.js";

export interface McpAppServiceProps {
  /** Resource group of the plan and the app; they take its location. */
  readonly resourceGroup: ResourceGroup;
  /** Web app name (2-60 characters, globally unique; the host is `<name>.azurewebsites.net`). May be a Terraform expression. */
  readonly name: string;
  /** Path of the zipped MCP server (built by `mcp-app/build.ts`), with `server.mjs` at its root. */
  readonly packageFile: string;
  /** The Entra application whose tokens the server accepts (audience and authorized party). */
  readonly entra: EntraAppRegistration;
  /** Application Insights the server reports to. */
  readonly observability: Observability;
  /**
   * App Service plan SKU.
   * @default "B1"
   */
  readonly sku?: string;
  /**
   * Health check path, answered without authentication.
   * @default "/healthz"
   */
  readonly healthCheckPath?: string;
  /**
   * Runtime of the package, as `<stack>:<version>`: the bundled sample and prebuilt Node packages
   * run on `node:22-lts`, Python packages on `python:3.12` and so on.
   * @default "node:22-lts"
   */
  readonly runtime?: string;
  /**
   * Command App Service runs in the package folder.
   * @default "node server.mjs" for Node; App Service's own default (gunicorn) for Python
   */
  readonly startupCommand?: string;
  /**
   * Further app settings (no secrets: use Key Vault references for those).
   * @default none
   */
  readonly appSettings?: Record<string, string>;
}

export class McpAppService extends Construct {
  /** The App Service plan. */
  public readonly plan: ServicePlan;
  /** The web app. */
  public readonly webApp: LinuxWebApp;
  /** Default host name, `<name>.azurewebsites.net`. */
  public readonly defaultHostName: string;
  /** Base URL of the server, `https://<host>`. */
  public readonly url: string;
  /** Path of the deployed package relative to the stack folder (content hash included). */
  public readonly packagePath: string;

  constructor(scope: Construct, id: string, props: McpAppServiceProps) {
    super(scope, id);
    const sku = props.sku ?? "B1";
    const skuProblem = appServiceSkuProblem(sku);
    if (skuProblem) throw new Error(`McpAppService: sku ${skuProblem}`);
    const healthCheckPath = props.healthCheckPath ?? "/healthz";
    if (!/^\/[A-Za-z0-9/_-]*$/.test(healthCheckPath)) {
      throw new Error(`McpAppService: healthCheckPath ${JSON.stringify(healthCheckPath)} is invalid; expected an absolute path such as /healthz`);
    }
    if (!existsSync(props.packageFile) || !statSync(props.packageFile).isFile() || !props.packageFile.endsWith(".zip")) {
      throw new Error(`McpAppService: packageFile ${JSON.stringify(props.packageFile)} is not an existing .zip file; build it with \`npm run build:mcp\``);
    }
    if (isLiteral(props.name) && !APP_SERVICE_NAME.test(props.name)) {
      throw new Error(`McpAppService: name ${JSON.stringify(props.name)} breaks App Service naming rules; expected 2-60 lowercase letters, digits and single hyphens`);
    }
    const runtime = props.runtime ?? "node:22-lts";
    if (!(APP_SERVICE_RUNTIMES as readonly string[]).includes(runtime)) {
      throw new Error(`McpAppService: runtime ${JSON.stringify(runtime)} is not supported; expected ${APP_SERVICE_RUNTIMES.slice(0, -1).join(", ")} or ${APP_SERVICE_RUNTIMES.at(-1)}`);
    }
    const [runtimeStack, runtimeVersion] = runtime.split(":") as [string, string];
    const isNode = runtimeStack === "node";
    const reserved = Object.keys(props.appSettings ?? {}).filter((key) => key in this.baseSettings(props));
    if (reserved.length > 0) {
      throw new Error(`McpAppService: appSettings ${reserved.join(", ")} would override settings the construct manages; remove them`);
    }

    this.plan = new ServicePlan(this, "plan", {
      name: `${props.name}-plan`,
      location: props.resourceGroup.location,
      resourceGroupName: props.resourceGroup.name,
      osType: "Linux",
      skuName: sku,
    });
    const asset = new TerraformAsset(this, "package", { path: props.packageFile, type: AssetType.FILE });
    this.packagePath = asset.path;
    this.webApp = new LinuxWebApp(this, "web_app", {
      name: props.name,
      location: props.resourceGroup.location,
      resourceGroupName: props.resourceGroup.name,
      servicePlanId: this.plan.id,
      httpsOnly: true,
      // Stateless server: any instance serves any request, no ARR affinity cookie.
      clientAffinityEnabled: false,
      ftpPublishBasicAuthenticationEnabled: false,
      // zip_deploy_file publishes through the SCM site with the app's publishing credentials;
      // azurerm fails with 401 when SCM basic authentication is off.
      webdeployPublishBasicAuthenticationEnabled: true,
      zipDeployFile: asset.path,
      siteConfig: {
        applicationStack: isNode ? { nodeVersion: runtimeVersion } : { pythonVersion: runtimeVersion },
        appCommandLine: props.startupCommand ?? (isNode ? "node server.mjs" : undefined),
        alwaysOn: true,
        ftpsState: "Disabled",
        minimumTlsVersion: "1.2",
        scmMinimumTlsVersion: "1.2",
        healthCheckPath,
        healthCheckEvictionTimeInMin: 2,
        remoteDebuggingEnabled: false,
      },
      appSettings: { ...this.baseSettings(props), ...(isNode ? { NODE_ENV: "production" } : {}), ...(props.appSettings ?? {}) },
    });
    this.defaultHostName = this.webApp.defaultHostname;
    this.url = `https://${this.defaultHostName}`;
  }

  private baseSettings(props: McpAppServiceProps): Record<string, string> {
    return {
      WEBSITE_RUN_FROM_PACKAGE: "1",
      SCM_DO_BUILD_DURING_DEPLOYMENT: "false",
      ENTRA_TENANT_ID: props.entra.tenantId,
      ENTRA_CLIENT_ID: props.entra.clientId,
      MCP_REQUIRED_SCOPE: props.entra.scopeName,
      APPLICATIONINSIGHTS_CONNECTION_STRING: props.observability.connectionString,
    };
  }
}
