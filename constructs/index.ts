/**
 * The constructs of this product, for use in your own CDKTF app: one entry point exporting each
 * construct with its documented `XxxProps` and the options types of its methods. README "Use the
 * constructs in your own CDKTF app" and examples/compose.ts show them composed in another stack.
 *
 * - `ApimGateway` (+ `GatewayApi`): API Management, new or existing, with named values, fragments,
 *   APIs, policies, logger, diagnostics and an optional custom domain.
 * - `McpOAuth`: the OAuth authorization server policies on a gateway; `addServer` adds each MCP
 *   server (`McpServer`: its MCP API, protected-resource metadata and named values).
 * - `serverNaming`: the construct ids and names of one MCP server's resources.
 * - `EntraAppRegistration`: the Entra application of one MCP server, trusting the gateway's identity.
 * - `McpAppService`: the sample MCP server on a Linux App Service.
 * - `Observability`: Log Analytics and Application Insights.
 * - `ApimRedisCache`: Azure Managed Redis as the gateway's external cache.
 * - `PolicyChecks`: the aspect that fails synth on a policy that breaks API Management's rules.
 *
 * The whole topology as one stack (`McpPlatformStack`, what `main.ts` synthesizes) is not here: it is
 * the app's own composition (stack/mcp-platform-stack.ts), which reads the app's configuration.
 *
 * Provider resource classes are not re-exported: import them by deep path
 * (`@cdktf/provider-azurerm/lib/<resource>`), never from the package root.
 */
export * from "./apim-gateway.js";
export * from "./gateway-api.js";
export type { ExistingApiManagementProps } from "./existing-api-management.js";
export { KEY_VAULT_SECRET_READER_ROLE, type GatewayCustomDomainProps } from "./gateway-custom-domain.js";
export { MASKED_QUERY_PARAMETERS, MASKED_REQUEST_HEADERS, MASKED_RESPONSE_HEADERS } from "./gateway-diagnostics.js";
export * from "./apim-redis-cache.js";
export * from "./entra-app-registration.js";
export * from "./mcp-app-service.js";
export * from "./mcp-oauth.js";
export { McpServer, SERVER_NAMED_VALUES, type McpServerOptions, type ServerNamedValue } from "./mcp-server.js";
export type { ToolAccess } from "../vocabulary/tool-access.js";
export * from "./server-naming.js";
export * from "./observability.js";
export { PolicyChecks, formatViolation, formatViolations, policyRules, type PolicyChecksOptions } from "./policy-checks.js";
export type { NamedValueInfo, PolicyDocument, PolicyScope, PolicySet, PolicyViolation } from "./policy-set.js";
export type { PolicyRule } from "../apim-policy/rules/index.js";
export { POLICIES_DIR } from "./policy-files.js";
export * from "../vocabulary/oauth-api.js";
export * from "../vocabulary/skus.js";
export type { McpClientPolicy, McpStaticClient } from "../vocabulary/oauth-clients.js";
export type { KeyPathProblem } from "../vocabulary/key-path.js";
