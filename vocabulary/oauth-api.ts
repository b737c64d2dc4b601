/**
 * The OAuth API surface in one table: every operation the gateway serves (the authorization
 * server's endpoints at the gateway root, each MCP server's protected-resource metadata and MCP
 * API), the policy file of each, every policy fragment, and the paths the OAuth API owns.
 *
 * `McpOAuth` and `McpServer` build their APIs from it, the configuration derives the paths an MCP
 * server may not use from it (`RESERVED_GATEWAY_PATHS`), and `__tests__/docs/oauth-flow.test.ts`
 * keeps the endpoint table of docs/oauth-flow.md identical to it (the fragments of each endpoint
 * read from its policy file). Plain data: it imports nothing.
 */

/** One operation of an API at the gateway. */
export interface ApiOperationSpec {
  /** Operation id, unique within its API; the construct id is `op_<operationId with '_' for '-'>`. */
  readonly operationId: string;
  /** Display name in the portal (a server's operations add ` (<mcpPath>)`). */
  readonly displayName: string;
  readonly method: "GET" | "POST" | "DELETE" | "OPTIONS";
  /** URL template relative to its API's path; `<mcpPath>` stands for an MCP server's path. */
  readonly urlTemplate: string;
  /**
   * Operation policy file under `policies/`.
   * @default none: the API policy alone
   */
  readonly policyFile?: string;
  /**
   * The MCP server's own named values the policy reads (one policy file serves every server: each
   * server's operation reads them under its names, `mcp-path-<server>`).
   * @default none
   */
  readonly serverNamedValues?: readonly string[];
}

/** A policy fragment: its id (as in `include-fragment`) and what it does. */
export interface FragmentSpec {
  readonly name: string;
  readonly description: string;
}

/** The OAuth API: the authorization server for every MCP server, at the gateway root. */
export const OAUTH_API = {
  name: "oauth",
  path: "",
  displayName: "OAuth authorization server for MCP clients",
  policyFile: "oauth-api.xml",
} as const;

/** The authorization server's endpoints, in the order they are created. */
export const OAUTH_OPERATIONS: readonly ApiOperationSpec[] = [
  { operationId: "as-metadata-get", displayName: "Authorization server metadata", method: "GET", urlTemplate: "/.well-known/oauth-authorization-server", policyFile: "oauth-as-metadata.xml" },
  { operationId: "as-metadata-options", displayName: "Preflight: authorization server metadata", method: "OPTIONS", urlTemplate: "/.well-known/oauth-authorization-server", policyFile: "oauth-preflight-get.xml" },
  { operationId: "openid-configuration-get", displayName: "OpenID-style discovery", method: "GET", urlTemplate: "/.well-known/openid-configuration", policyFile: "oauth-as-metadata.xml" },
  { operationId: "openid-configuration-options", displayName: "Preflight: OpenID-style discovery", method: "OPTIONS", urlTemplate: "/.well-known/openid-configuration", policyFile: "oauth-preflight-get.xml" },
  { operationId: "register-post", displayName: "Dynamic client registration", method: "POST", urlTemplate: "/register", policyFile: "oauth-register.xml" },
  { operationId: "register-options", displayName: "Preflight: dynamic client registration", method: "OPTIONS", urlTemplate: "/register", policyFile: "oauth-preflight-post.xml" },
  { operationId: "authorize-get", displayName: "Authorization endpoint (consent page)", method: "GET", urlTemplate: "/authorize", policyFile: "oauth-authorize.xml" },
  { operationId: "consent-post", displayName: "Consent form", method: "POST", urlTemplate: "/consent", policyFile: "oauth-consent.xml" },
  { operationId: "oauth-callback-get", displayName: "Entra ID redirect (callback)", method: "GET", urlTemplate: "/oauth-callback", policyFile: "oauth-callback.xml" },
  { operationId: "token-post", displayName: "Token endpoint", method: "POST", urlTemplate: "/token", policyFile: "oauth-token.xml" },
  { operationId: "token-options", displayName: "Preflight: token endpoint", method: "OPTIONS", urlTemplate: "/token", policyFile: "oauth-preflight-post.xml" },
  { operationId: "revoke-post", displayName: "Token revocation", method: "POST", urlTemplate: "/revoke", policyFile: "oauth-revoke.xml" },
  { operationId: "revoke-options", displayName: "Preflight: token revocation", method: "OPTIONS", urlTemplate: "/revoke", policyFile: "oauth-preflight-post.xml" },
];

/** What the protected resource metadata of a server names: its path, base scope and title. */
const PRM_VALUES = ["mcp-path", "mcp-scope", "mcp-title"];

/** Each MCP server's protected resource metadata (RFC 9728), path-suffixed, on the OAuth API. */
export const SERVER_METADATA_OPERATIONS: readonly ApiOperationSpec[] = [
  { operationId: "prm-get", displayName: "Protected resource metadata", method: "GET", urlTemplate: "/.well-known/oauth-protected-resource/<mcpPath>", policyFile: "oauth-prm.xml", serverNamedValues: PRM_VALUES },
  { operationId: "prm-options", displayName: "Preflight: protected resource metadata", method: "OPTIONS", urlTemplate: "/.well-known/oauth-protected-resource/<mcpPath>", policyFile: "oauth-preflight-get.xml" },
];

/** The first MCP server's protected resource metadata, also at the root well-known URL. */
export const ROOT_METADATA_OPERATIONS: readonly ApiOperationSpec[] = [
  { operationId: "prm-root-get", displayName: "Protected resource metadata (root)", method: "GET", urlTemplate: "/.well-known/oauth-protected-resource", policyFile: "oauth-prm.xml", serverNamedValues: PRM_VALUES },
  { operationId: "prm-root-options", displayName: "Preflight: protected resource metadata (root)", method: "OPTIONS", urlTemplate: "/.well-known/oauth-protected-resource", policyFile: "oauth-preflight-get.xml" },
];

/** Each MCP server's MCP API at `<mcpPath>`: one API policy, streaming, for every method. */
export const MCP_API = {
  path: "<mcpPath>",
  policyFile: "mcp-api.xml",
  operations: (["POST", "GET", "DELETE", "OPTIONS"] as const).map((method): ApiOperationSpec => ({
    operationId: `mcp-${method.toLowerCase()}`,
    displayName: `MCP ${method}`,
    method,
    urlTemplate: "/",
  })),
} as const;

/** The fragment generated at synth from the platform's MCP servers (no file in `policies/fragments/`). */
export const SERVERS_FRAGMENT: FragmentSpec = {
  name: "oauth-servers",
  description: "Selects the MCP server a resource names (generated from the platform's servers).",
};

/** The fragment generated at synth from the confidential static clients: the digest of the secret of the one a request names. */
export const STATIC_SECRETS_FRAGMENT: FragmentSpec = {
  name: "oauth-static-secrets",
  description: "SHA-256 of the secret of the confidential static client a request names (generated from the platform's static clients).",
};

/**
 * The fragment generated at synth from the platform's MCP servers for the authorization server
 * metadata: every server's scopes (no file in `policies/fragments/`; one named value per server, so
 * the list is not bound by one named value's 4,096 characters).
 */
export const SCOPES_FRAGMENT: FragmentSpec = {
  name: "oauth-scopes",
  description: "The scopes of every MCP server, for the authorization server metadata (generated from the platform's servers).",
};

/** The fragment generated at synth from the client policy (its file holds the defaults). */
export const CLIENT_POLICY_FRAGMENT = "oauth-client-policy";

/** Every fragment of `policies/fragments/` the policies include, in the order of the flow. */
export const OAUTH_FRAGMENTS: readonly FragmentSpec[] = [
  { name: "oauth-respond", description: "Renders the OAuth API's response: RFC 6749 errors (redirect, page or JSON) or the prepared success." },
  { name: "oauth-cors-preflight", description: "Answers CORS preflights with the methods of the endpoint." },
  { name: CLIENT_POLICY_FRAGMENT, description: "The client policy: registration on or off, allowed metadata documents, static clients." },
  { name: "oauth-on-error", description: "OAuth API safety net: a clean 400, never a 500." },
  { name: "oauth-form-parse", description: "Parses an x-www-form-urlencoded body; wrong type, size or repeats are invalid_request." },
  { name: "oauth-metadata-prm", description: "RFC 9728 protected resource metadata of the MCP endpoint." },
  { name: "oauth-metadata-as", description: "RFC 8414 authorization server metadata (only implemented features and what the client policy allows)." },
  { name: "oauth-query-budget", description: "Shares the 2,048-byte /authorize query between state, scope, client_id and redirect_uri." },
  { name: "oauth-register-request", description: "RFC 7591 registration request checks (off: 403); application_type; refuses bidi or invisible names." },
  { name: "oauth-redirect-uris-check", description: "Redirect URIs: 1-10, normalised ASCII; https, loopback http, private-use (native) by application_type." },
  { name: "oauth-register-issue", description: "Issues the compact HMAC-protected client_id (201) if it fits the query budget." },
  { name: "oauth-client-id", description: "Refuses repeated parameters; classifies client_id (static, document, registration) by the client policy." },
  { name: "oauth-client-registration", description: "What the gateway knows of a client_id: static entry, verified registration (HMAC) or document; its auth method." },
  { name: "oauth-client-metadata-fetch", description: "Fetches a client ID metadata document (5 s, 5 KiB, client_id must equal the URL)." },
  { name: "oauth-client-resolve", description: "Resolves a static client, the registration HMAC or the document; redirect URIs, type, safe name, trust." },
  { name: "oauth-authorize-request", description: "Exact redirect URI (loopback port may vary), PKCE S256 only, resource, state and scope budget." },
  { name: "oauth-consent-page", description: "Consent page with CSRF token and signed __Host- cookie ticket." },
  { name: "oauth-consent-verify", description: "Verifies the consent cookie signature, expiry, binding and CSRF token." },
  { name: "oauth-upstream-authorize", description: "Fresh server state and gateway PKCE; redirect to Entra ID." },
  { name: "oauth-callback-state", description: "Derives the pending request's cache key from the callback state." },
  { name: "oauth-callback", description: "Restores the pending request; maps Entra errors; prepares the code redemption." },
  { name: "oauth-upstream-token", description: "Entra token endpoint call with the managed identity's client assertion." },
  { name: "oauth-code-issue", description: "One-time authorization code for the MCP client; redirect with code, state, iss." },
  { name: "oauth-client-credentials", description: "Reads a token or revocation request's client and credentials (HTTP Basic, form body or none)." },
  { name: "oauth-client-authenticate", description: "Confidential clients authenticate by their registered method (constant time); 401 invalid_client; failures rate limited per client." },
  { name: "oauth-token-request", description: "Token request checks and the cache key of the code or grant." },
  { name: "oauth-token-code-grant", description: "authorization_code grant: bindings and PKCE S256 verification." },
  { name: "oauth-token-refresh-grant", description: "refresh_token grant with rotation." },
  { name: "oauth-client-allowed", description: "Token requests only from clients the client policy still lets sign in." },
  { name: "oauth-token-issue", description: "Mints the access and refresh tokens (stored only as hashes)." },
  { name: "oauth-revoke", description: "RFC 7009 revocation request." },
  { name: "oauth-revoke-check", description: "Revokes only when the presented secret matches." },
  { name: "mcp-token-parse", description: "Reads the gateway bearer token of an MCP request." },
  { name: "mcp-token-check", description: "Validates the token against its grant: hash, expiry, resource." },
  { name: "mcp-unauthorized", description: "401 with the RFC 9728 WWW-Authenticate challenge and CORS." },
  { name: "mcp-upstream-refresh", description: "Prepares the Entra refresh when the user's token is about to expire." },
  { name: "mcp-upstream-refresh-result", description: "Applies the refreshed Entra tokens to the grant." },
  { name: "mcp-forward-prepare", description: "Deletes the headers outside the allow list; replaces the client's token with the user's Entra token." },
  { name: "mcp-tool-scope", description: "Per-tool scopes: 403 insufficient_scope step-up before the backend; unclassifiable bodies and header mismatches refused." },
  { name: "mcp-header-allow-list", description: "The request headers a backend may see (what MCP needs); every other one is dropped." },
  { name: "mcp-tool-role", description: "Per-tool app roles from the user's Entra token: 403 naming the missing role, before the backend." },
  { name: "mcp-forbidden", description: "403 step-up challenge, 403 missing app role, or 400/413/431 JSON-RPC error with CORS, before the backend." },
  { name: "mcp-cors-response", description: "CORS headers on MCP responses without touching the body." },
  { name: "mcp-audit-request", description: "Reads and classifies the JSON-RPC body once: the methods and tools an audit event names (names, never arguments)." },
  { name: "mcp-audit", description: "One audit event per MCP request (trace mcp-audit): who, which client, server, tool, decision, status, latency; no secrets." },
  { name: "mcp-backend-error", description: "A backend that is down or silent: 502 or 504 with a JSON-RPC error body and CORS." },
];

/** The first segment of each path the OAuth API serves: an MCP server's path may not start with one. */
export const RESERVED_GATEWAY_PATHS: readonly string[] = [
  ...new Set([...OAUTH_OPERATIONS, ...ROOT_METADATA_OPERATIONS, ...SERVER_METADATA_OPERATIONS].map((op) => op.urlTemplate.split("/")[1]!)),
];

/** An operation's URL template with a server's path in place of `<mcpPath>`. */
export function serverUrlTemplate(operation: ApiOperationSpec, mcpPath: string): string {
  return operation.urlTemplate.replace("<mcpPath>", mcpPath);
}

/** One endpoint of the gateway: an operation with its API, as a request reaches it. */
export interface GatewayEndpoint extends ApiOperationSpec {
  /** The API serving it: the OAuth API at the root, or an MCP server's MCP API. */
  readonly api: "oauth" | "mcp";
  /** The API-level policy file, which runs around the operation's own (`<base />`). */
  readonly apiPolicyFile: string;
  /** The path at the gateway, `/`-prefixed; `<mcpPath>` stands for an MCP server's path. */
  readonly path: string;
  /** Once per gateway, once per MCP server, or for the first MCP server only. */
  readonly per: "gateway" | "server" | "first-server";
}

/** Every endpoint of the gateway, in the order of the tables above. */
export function gatewayEndpoints(): GatewayEndpoint[] {
  const oauth = (per: GatewayEndpoint["per"]) => (op: ApiOperationSpec): GatewayEndpoint => ({ ...op, api: "oauth", apiPolicyFile: OAUTH_API.policyFile, path: op.urlTemplate, per });
  return [
    ...OAUTH_OPERATIONS.map(oauth("gateway")),
    ...SERVER_METADATA_OPERATIONS.map(oauth("server")),
    ...ROOT_METADATA_OPERATIONS.map(oauth("first-server")),
    ...MCP_API.operations.map((op): GatewayEndpoint => ({ ...op, api: "mcp", apiPolicyFile: MCP_API.policyFile, path: `/${MCP_API.path}`, per: "server" })),
  ];
}
