/** McpOAuth with its dependencies in a bare stack, for construct tests of it and of what it creates. */
import { join } from "node:path";
import type { TerraformStack } from "cdktf";
import type { ResourceGroup } from "@cdktf/provider-azurerm/lib/resource-group";
import { EntraAppRegistration } from "../constructs/entra-app-registration.js";
import { McpAppService } from "../constructs/mcp-app-service.js";
import { McpOAuth, type McpOAuthProps, type McpOAuthRateLimit } from "../constructs/mcp-oauth.js";
import { serverNaming } from "../constructs/server-naming.js";
import { gatewayStack } from "./gateway.js";
import { fixturePackage } from "./synth.js";

/** The product's own policies folder. */
export const POLICIES_DIR = join(import.meta.dirname, "..", "policies");

/** McpOAuth's props, and the path and rate limit of the sample server `weather` added to it. */
export type OAuthStackProps = Partial<Omit<McpOAuthProps, "gateway">> & { readonly mcpPath?: string; readonly rateLimit?: McpOAuthRateLimit };

/** The lead's constructs in a bare stack (real policies/ folder), plus McpOAuth with the given props and the sample server at `mcpPath`. */
export function oauthStack({ mcpPath = "mcp", rateLimit, ...props }: OAuthStackProps = {}, stackIn?: { stack: TerraformStack; resourceGroup: ResourceGroup }) {
  const { stack, resourceGroup, observability, gateway } = gatewayStack({ policiesDir: POLICIES_DIR }, stackIn);
  const entra = new EntraAppRegistration(stack, "entra", {
    displayName: "test MCP",
    tenantId: "11111111-2222-3333-4444-555555555555",
    redirectUris: ["https://test-apim.azure-api.net/oauth-callback"],
    trustedIdentity: gateway.identity,
  });
  const app = new McpAppService(stack, "mcp_app", { resourceGroup, name: "test-app", packageFile: fixturePackage(), entra, observability });
  const oauth = new McpOAuth(stack, "oauth", { gateway, tenantId: entra.tenantId, ...props });
  const server = oauth.addServer("weather", { path: mcpPath, title: "Weather", entra, backendUrl: app.url, rateLimit, naming: serverNaming("weather", { sample: true }) });
  return { stack, gateway, entra, app, oauth, server };
}
