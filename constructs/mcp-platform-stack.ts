/**
 * The whole topology in one stack: Entra ID application, API Management gateway (OAuth
 * authorization server for MCP clients and OAuth client of Entra), the MCP server on App Service,
 * and Log Analytics + Application Insights. Globally unique names carry a suffix that Terraform
 * derives from the subscription and resource group (like Bicep's uniqueString), so every synth of
 * the same configuration writes the same JSON.
 */
import type { Construct } from "constructs";
import { Aspects, Fn, TerraformLocal, TerraformOutput, TerraformStack } from "cdktf";
import type { AppConfig } from "../config/config.js";
import type { PlatformConfig } from "../config/platform.js";
import { ApimGateway } from "./apim-gateway.js";
import { ApimRedisCache } from "./apim-redis-cache.js";
import { EntraAppRegistration } from "./entra-app-registration.js";
import { McpAppService } from "./mcp-app-service.js";
import { McpOAuth } from "./mcp-oauth.js";
import { Observability } from "./observability.js";
import { PolicyChecks } from "./policy-checks.js";
import { AzureadProvider, AzurermProvider, DataAzurermClientConfig, RandomProvider, ResourceGroup } from "./providers.js";

export interface McpPlatformStackProps {
  /** Validated configuration (see config/config.ts). */
  readonly config: AppConfig;
  /**
   * The platform's structure: its MCP servers, API Management, gateway host, clients and state
   * (see config/platform.ts).
   * @default one sample server at `config.mcpPath` (`defaultPlatform`)
   */
  readonly platform?: PlatformConfig;
  /** The zipped MCP server to deploy (from `buildMcpApp()`). */
  readonly mcpPackageFile: string;
}

export class McpPlatformStack extends TerraformStack {
  /** Stable 13-character suffix for globally unique names, computed by Terraform. */
  public readonly uniqueSuffix: string;
  public readonly resourceGroup: ResourceGroup;
  public readonly observability: Observability;
  public readonly gateway: ApimGateway;
  public readonly entra: EntraAppRegistration;
  public readonly app: McpAppService;
  public readonly oauth: McpOAuth;
  /** The external Redis cache, when `APIM_CACHE=redis`. */
  public readonly redisCache?: ApimRedisCache;
  /** The static policy checks; synth fails on any violation. */
  public readonly policyChecks: PolicyChecks;
  /** Public URL MCP clients connect to, `<gateway>/<mcpPath>`. */
  public readonly mcpEndpointUrl: string;
  /** RFC 9728 protected resource metadata URL for the MCP endpoint. */
  public readonly protectedResourceMetadataUrl: string;
  /** RFC 8414 authorization server metadata URL. */
  public readonly authorizationServerMetadataUrl: string;

  constructor(scope: Construct, id: string, props: McpPlatformStackProps) {
    super(scope, id);
    const { config } = props;
    const prefix = config.environmentName;

    new AzurermProvider(this, "azurerm", {
      features: [
        {
          // `cdktf destroy` purges the soft-deleted service, so an immediate redeploy with the same
          // name works; an interrupted destroy is recovered instead of failing on the name.
          apiManagement: [{ purgeSoftDeleteOnDestroy: true, recoverSoftDeleted: true }],
          // Application Insights adds smart-detector rules Terraform does not manage; let destroy remove them.
          resourceGroup: [{ preventDeletionIfContainsResources: false }],
          applicationInsights: [{ disableGeneratedRule: true }],
        },
      ],
    });
    new AzureadProvider(this, "azuread", {});
    new RandomProvider(this, "random", {});

    const client = new DataAzurermClientConfig(this, "current", {});
    this.resourceGroup = new ResourceGroup(this, "resource_group", {
      name: config.resourceGroupName,
      location: config.location,
      tags: { "mcp-environment": prefix },
    });
    const suffix = new TerraformLocal(
      this,
      "unique_suffix",
      Fn.substr(Fn.sha1(Fn.join("/", [client.subscriptionId, config.resourceGroupName])), 0, 13),
    );
    this.uniqueSuffix = suffix.asString;
    const apimName = `${prefix}-apim-${this.uniqueSuffix}`;
    const appName = `${prefix}-app-${this.uniqueSuffix}`;

    this.observability = new Observability(this, "observability", {
      resourceGroup: this.resourceGroup,
      namePrefix: prefix,
    });
    this.gateway = new ApimGateway(this, "gateway", {
      resourceGroup: this.resourceGroup,
      name: apimName,
      sku: config.apimSku,
      publisherEmail: config.publisherEmail,
      publisherName: config.publisherName,
      observability: this.observability,
    });
    this.entra = new EntraAppRegistration(this, "entra", {
      displayName: `${prefix} MCP server`,
      tenantId: client.tenantId,
      // Derivable from the name, so the registration does not wait for the service (no cycle).
      redirectUris: [`https://${apimName}.azure-api.net/oauth-callback`],
      trustedIdentity: this.gateway.identity,
      scopeName: config.scopeName,
      adminConsent: config.entraAdminConsent,
    });
    if (config.apimCache === "redis") {
      // Durable OAuth state: grants and pending sign-ins survive API Management platform updates.
      this.redisCache = new ApimRedisCache(this, "redis_cache", {
        resourceGroup: this.resourceGroup,
        gateway: this.gateway,
        name: `${prefix}-redis-${this.uniqueSuffix}`,
      });
    }
    this.app = new McpAppService(this, "mcp_app", {
      resourceGroup: this.resourceGroup,
      name: appName,
      sku: config.appServiceSku,
      packageFile: props.mcpPackageFile,
      entra: this.entra,
      observability: this.observability,
    });

    this.oauth = new McpOAuth(this, "oauth", {
      gateway: this.gateway,
      entra: this.entra,
      app: this.app,
      mcpPath: config.mcpPath,
      keyVersion: config.keyVersion,
      tokenLifetimeSeconds: config.accessTokenLifetimeSeconds,
      refreshTokenLifetimeSeconds: config.refreshTokenLifetimeSeconds,
      clients: props.platform?.clients,
    });
    // Every policy, fragment and named value is checked at synth: a violation is an error
    // annotation and cdktf refuses to write the Terraform JSON.
    this.policyChecks = new PolicyChecks(() => this.gateway.policySet());
    Aspects.of(this).add(this.policyChecks);

    this.mcpEndpointUrl = this.oauth.mcpEndpointUrl;
    this.protectedResourceMetadataUrl = this.oauth.protectedResourceMetadataUrl;
    this.authorizationServerMetadataUrl = this.oauth.authorizationServerMetadataUrl;

    new TerraformOutput(this, "mcp_endpoint_url", {
      value: this.mcpEndpointUrl,
      description: "URL MCP clients (Inspector, VS Code, Claude, Cursor) connect to.",
    });
    new TerraformOutput(this, "protected_resource_metadata_url", {
      value: this.protectedResourceMetadataUrl,
      description: "RFC 9728 protected resource metadata of the MCP endpoint.",
    });
    new TerraformOutput(this, "authorization_server_metadata_url", {
      value: this.authorizationServerMetadataUrl,
      description: "RFC 8414 authorization server metadata of the gateway.",
    });
    new TerraformOutput(this, "app_service_host_name", {
      value: this.app.defaultHostName,
      description: "Host name of the MCP server's App Service (reachable only with a gateway-issued Entra token).",
    });
    new TerraformOutput(this, "entra_client_id", {
      value: this.entra.clientId,
      description: "Application (client) id of the MCP server's Entra registration.",
    });
  }
}
