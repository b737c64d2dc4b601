/**
 * The app's composition: the whole topology in one stack, built from the configuration (config/)
 * with the reusable constructs (constructs/) and the sample server's tool table (mcp-app/): per MCP
 * server an Entra ID application, its MCP API and backend (App Service or URL), one API Management
 * gateway (OAuth authorization server for MCP clients and OAuth client of Entra), and Log
 * Analytics + Application Insights. It lives next to main.ts, outside constructs/, because it reads
 * the app's own folders, which the reusable constructs never import.
 *
 * Globally unique names carry a suffix that Terraform derives from the subscription and resource
 * group (like Bicep's uniqueString), so every synth of the same configuration writes the same JSON.
 */
import type { Construct } from "constructs";
import { Annotations, Aspects, Fn, TerraformLocal, TerraformOutput, TerraformStack } from "cdktf";
import type { AppConfig } from "../config/config.js";
import { defaultPlatform, type PlatformConfig, type ServerConfig } from "../config/platform.js";
import type { McpServer } from "../constructs/mcp-server.js";
import { ApimGateway } from "../constructs/apim-gateway.js";
import { ApimRedisCache } from "../constructs/apim-redis-cache.js";
import { EntraAppRegistration } from "../constructs/entra-app-registration.js";
import { McpAppService } from "../constructs/mcp-app-service.js";
import { McpOAuth } from "../constructs/mcp-oauth.js";
import { Observability } from "../constructs/observability.js";
import { PolicyChecks } from "../constructs/policy-checks.js";
import { serverNaming } from "../constructs/server-naming.js";
import { APP_ROLES, DELEGATED_SCOPES, TOOL_SCOPES } from "../mcp-app/tool-scopes.js";
import type { AppRole, ToolAccess } from "../vocabulary/tool-access.js";
import { AzureadProvider, AzurermProvider, DataAzurermClientConfig, RandomProvider, ResourceGroup } from "../constructs/providers.js";

/** One MCP server of the platform, as built. */
export interface PlatformServer {
  readonly config: ServerConfig;
  readonly entra: EntraAppRegistration;
  /** Its App Service (sample and app-service backends). */
  readonly app?: McpAppService;
  readonly mcp: McpServer;
}

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
  /** The first server's Entra application. */
  public readonly entra: EntraAppRegistration;
  /** The first App Service backend (the sample's by default), if any server has one. */
  public readonly app?: McpAppService;
  /** Every MCP server of the platform, in configuration order. */
  public readonly servers: readonly PlatformServer[];
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

    this.observability = new Observability(this, "observability", {
      resourceGroup: this.resourceGroup,
      namePrefix: prefix,
    });
    const { apim, gateway } = props.platform ?? {};
    this.gateway = new ApimGateway(this, "gateway", {
      resourceGroup: this.resourceGroup,
      name: apim?.existing ? undefined : apimName,
      existing: apim?.existing,
      customDomain: gateway?.hostName ? { ...gateway, hostName: gateway.hostName } : undefined,
      sku: config.apimSku,
      publisherEmail: config.publisherEmail,
      publisherName: config.publisherName,
      observability: this.observability,
    });
    if (config.apimCache === "redis") {
      // Durable OAuth state: grants and pending sign-ins survive API Management platform updates.
      this.redisCache = new ApimRedisCache(this, "redis_cache", {
        resourceGroup: this.resourceGroup,
        gateway: this.gateway,
        name: `${prefix}-redis-${this.uniqueSuffix}`,
      });
    }

    // One authorization server (one issuer) for every MCP server.
    this.oauth = new McpOAuth(this, "oauth", {
      gateway: this.gateway,
      tenantId: client.tenantId,
      keyVersion: config.keyVersion,
      tokenLifetimeSeconds: config.accessTokenLifetimeSeconds,
      refreshTokenLifetimeSeconds: config.refreshTokenLifetimeSeconds,
      clients: props.platform?.clients,
    });
    const platform = props.platform ?? defaultPlatform(config.mcpPath);
    const servers: PlatformServer[] = [];
    const appStems = new Map<string, string>();
    for (const server of platform.servers) {
      // Construct ids and names: the sample server `weather` keeps the single-server stack's (constructs/server-naming.ts).
      const naming = serverNaming(server.name, { sample: server.backend.kind === "sample" });
      const title = server.title ?? server.name;
      const entra = new EntraAppRegistration(this, naming.entraId, {
        displayName: naming.entraDisplayName(prefix, title),
        tenantId: client.tenantId,
        // gatewayUrl is built from the props, so the registration does not wait for the service (no cycle).
        redirectUris: [`${this.gateway.gatewayUrl}/oauth-callback`],
        trustedIdentity: this.gateway.identity,
        scopeName: config.scopeName,
        // The sample's scopes and tools are its own table (mcp-app/tool-scopes.ts); another server's are in the configuration.
        additionalScopes: server.backend.kind === "sample" ? DELEGATED_SCOPES : server.scopes,
        appRoles: server.backend.kind === "sample" ? APP_ROLES : configuredRoles(server, title),
        appRoleIdSeed: server.name,
        assignmentRequired: server.assignmentRequired,
        adminConsent: config.entraAdminConsent,
      });
      let app: McpAppService | undefined;
      if (server.backend.kind !== "url") {
        const stem = naming.appServiceStem(prefix);
        const clash = appStems.get(stem);
        if (clash !== undefined) {
          throw new Error(`McpPlatformStack: servers ${JSON.stringify(clash)} and ${JSON.stringify(server.name)} would share the App Service name ${prefix}-${stem}-<suffix>; give one a shorter or different name`);
        }
        appStems.set(stem, server.name);
        app = new McpAppService(this, naming.appId, {
          resourceGroup: this.resourceGroup,
          name: `${prefix}-${stem}-${this.uniqueSuffix}`,
          sku: config.appServiceSku,
          packageFile: server.backend.kind === "sample" ? props.mcpPackageFile : server.backend.package,
          runtime: server.backend.kind === "app-service" ? server.backend.runtime : undefined,
          startupCommand: server.backend.kind === "app-service" ? server.backend.startupCommand : undefined,
          entra,
          observability: this.observability,
        });
      }
      if ((server.backendAuth ?? "entra-user") === "none") {
        Annotations.of(this).addWarning(
          `MCP server "${server.name}" has backendAuth none: its backend receives no token at all, so anything that reaches ${server.backend.kind === "url" ? server.backend.url : "its App Service"} directly is answered; protect it on the network (or use entra-user and check the token).`,
        );
      }
      const mcp = this.oauth.addServer(server.name, {
        path: server.path,
        title,
        entra,
        backendUrl: server.backend.kind === "url" ? server.backend.url : app!.url,
        backendAuth: server.backendAuth,
        timeoutSeconds: server.timeoutSeconds,
        rateLimit: server.rateLimit,
        tools: server.backend.kind === "sample" ? TOOL_SCOPES : (server.tools ?? []).map((t): ToolAccess => ({ tool: t.name, ...(t.scope !== undefined ? { scope: t.scope } : {}), ...(t.appRole !== undefined ? { appRole: t.appRole } : {}) })),
        naming,
      });
      servers.push({ config: server, entra, app, mcp });
    }
    this.servers = servers;
    this.entra = servers[0]!.entra;
    this.app = servers.find((s) => s.app)?.app;

    // Every policy, fragment and named value is checked at synth: a violation is an error
    // annotation and cdktf refuses to write the Terraform JSON.
    this.policyChecks = new PolicyChecks(() => this.gateway.policySet());
    Aspects.of(this).add(this.policyChecks);

    // The stack's outputs name the first server (the root protected-resource metadata's); `servers` names each.
    this.mcpEndpointUrl = servers[0]!.mcp.endpointUrl;
    this.protectedResourceMetadataUrl = servers[0]!.mcp.protectedResourceMetadataUrl;
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
    if (this.app) {
      new TerraformOutput(this, "app_service_host_name", {
        value: this.app.defaultHostName,
        description: "Host name of the first App Service MCP server (reachable only with a gateway-issued Entra token).",
      });
    }
    new TerraformOutput(this, "entra_client_id", {
      value: this.entra.clientId,
      description: "Application (client) id of the first MCP server's Entra registration.",
    });
    if (Object.keys(this.oauth.staticClientSecrets).length > 0) {
      new TerraformOutput(this, "static_client_secrets", {
        value: this.oauth.staticClientSecrets,
        sensitive: true,
        description: "Client id to client secret of each confidential static client (clients.static[] with confidential true): enter it in the client (Microsoft 365 Copilot, Copilot Studio, Foundry). Read it with: terraform output -json static_client_secrets. Renewed when OAUTH_KEY_VERSION changes.",
      });
    }
    new TerraformOutput(this, "servers", {
      value: Object.fromEntries(
        servers.map((s) => [
          s.config.name,
          {
            endpoint_url: s.mcp.endpointUrl,
            protected_resource_metadata_url: s.mcp.protectedResourceMetadataUrl,
            entra_client_id: s.entra.clientId,
            audience: s.entra.clientId,
            identifier_uri: s.entra.identifierUri,
            issuer: s.entra.issuer,
            required_scope: s.entra.scopeName,
            backend: s.config.backend.kind,
          },
        ]),
      ),
      description: "Per MCP server: the URL clients connect to, its protected-resource metadata, and what a backend's token check must expect (Entra issuer, audience = client id = azp, required_scope in scp), and the backend's kind (sample, url, app-service).",
    });
  }
}

/** The app roles a configured server's tools name, once each, with texts saying what they open. */
function configuredRoles(server: ServerConfig, title: string): AppRole[] {
  const values = [...new Set((server.tools ?? []).flatMap((t) => (t.appRole === undefined ? [] : [t.appRole])))];
  return values.map((value) => {
    const tools = (server.tools ?? []).filter((t) => t.appRole === value).map((t) => t.name);
    return { value, displayName: value, description: `May call the tools of the MCP server ${title} that need the app role ${value}: ${tools.join(", ")}.` };
  });
}
