// Your own CDKTF stack, composing this product's constructs next to your resources: an MCP server
// on App Service behind your company's existing API Management, at a host already bound to it.
import { Aspects, TerraformStack } from "cdktf";
import type { Construct } from "constructs";
import { AzureadProvider } from "@cdktf/provider-azuread/lib/provider";
import { AzurermProvider } from "@cdktf/provider-azurerm/lib/provider";
import { DataAzurermClientConfig } from "@cdktf/provider-azurerm/lib/data-azurerm-client-config";
import { ResourceGroup } from "@cdktf/provider-azurerm/lib/resource-group";
import { RandomProvider } from "@cdktf/provider-random/lib/provider";
import { ApimGateway, EntraAppRegistration, McpAppService, McpOAuth, Observability, PolicyChecks, serverNaming } from "../constructs/index.js";

export interface TeamMcpStackProps {
  /** The MCP server's zip (`npm run build:mcp` writes dist/mcp-app/mcp-app.zip). */
  readonly packageFile: string;
}

export class TeamMcpStack extends TerraformStack {
  public readonly gateway: ApimGateway;
  public readonly policyChecks: PolicyChecks;

  constructor(scope: Construct, id: string, props: TeamMcpStackProps) {
    super(scope, id);
    new AzurermProvider(this, "azurerm", { features: [{}] });
    new AzureadProvider(this, "azuread", {});
    new RandomProvider(this, "random", {});
    const tenant = new DataAzurermClientConfig(this, "current", {});
    const group = new ResourceGroup(this, "group", { name: "team-mcp-rg", location: "swedencentral" });

    const observability = new Observability(this, "observability", { resourceGroup: group, namePrefix: "team-mcp" });
    // Nothing of the instance itself is created: its identity must already be assigned to it.
    this.gateway = new ApimGateway(this, "gateway", {
      existing: { name: "contoso-apim", resourceGroupName: "shared-rg", identity: { name: "contoso-apim-mcp", resourceGroupName: "shared-rg" } },
      customDomain: { hostName: "mcp.contoso.com" },
      observability,
    });
    const entra = new EntraAppRegistration(this, "entra", {
      displayName: "Team MCP server",
      tenantId: tenant.tenantId,
      redirectUris: [`${this.gateway.gatewayUrl}/oauth-callback`],
      trustedIdentity: this.gateway.identity,
      adminConsent: true,
    });
    const app = new McpAppService(this, "app", {
      resourceGroup: group,
      name: "team-mcp-app-7f3a",
      packageFile: props.packageFile,
      entra,
      observability,
    });
    // One authorization server on the gateway; each MCP server is added to it.
    const oauth = new McpOAuth(this, "oauth", { gateway: this.gateway, tenantId: tenant.tenantId });
    oauth.addServer("weather", {
      path: "team/mcp",
      title: "Weather",
      entra,
      backendUrl: app.url,
      // The sample server, with the names this product's own stack gives it (mcp_api, mcp-path, ...).
      naming: serverNaming("weather", { sample: true }),
    });
    // Synth fails on a policy that breaks API Management's rules, as in this product's own stack.
    this.policyChecks = new PolicyChecks(() => this.gateway.policySet());
    Aspects.of(this).add(this.policyChecks);
  }
}

// In your main.ts:
//   const app = new App();
//   new TeamMcpStack(app, "team-mcp", { packageFile: "dist/mcp-app/mcp-app.zip" });
//   app.synth();
