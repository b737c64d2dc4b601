/**
 * Real MCP clients as they publish themselves: their client ID metadata documents, the callbacks
 * they use and how they choose between a metadata document, dynamic registration and a static
 * client_id, reproduced for the interop tests (`__tests__/interop/`). The documents are written
 * here from the clients' published shapes (this machine has no internet): the gateway fetches them
 * at their real https URLs, which the local stack rewrites to a local document server
 * (`LOCAL_URL_REWRITES`, `startAttackStack({ documentOrigins })`).
 *
 *   const env = await startAttackStack({ documentOrigins: CLIENT_DOCUMENT_ORIGINS });
 *   const run = await signInAs(env, VS_CODE, { port: 33418 });   // discovery ... token, MCP call, refresh
 */
import { Browser, call, clientAuthentication, json, pkce, type AttackEnv, type ClientSecret, type Reply } from "./attack-client.js";

/** What a client sees of the gateway before it signs in. */
export interface Discovery {
  /** The 401 challenge's `scope`. */
  readonly challengeScope: string;
  readonly resourceMetadata: Record<string, unknown>;
  readonly asMetadata: Record<string, unknown>;
}

export interface McpClientProfile {
  readonly name: string;
  /** Its client ID metadata document (URL and body), when it publishes one. */
  readonly document?: { readonly url: string; readonly body: Record<string, unknown> };
  /** Whether it uses its document with this authorization server (else it registers, when it can). */
  readonly usesDocument?: (discovery: Discovery) => boolean;
  /** Its dynamic registration request for the redirect URI it will use (and what it discovered). */
  readonly registration?: (redirectUri: string, discovery?: Discovery) => Record<string, unknown>;
  /**
   * How a confidential client authenticates at /token and /revoke: it registers with this
   * token_endpoint_auth_method and keeps the client_secret of the 201, or, as a static client, is
   * given its secret by the administrator (`signInAs(..., { clientSecret })`). @default a public client
   */
  readonly authMethod?: ClientSecret["method"];
  /** Whether it sends RFC 8707 `resource` at /authorize and /token. @default true */
  readonly sendsResource?: boolean;
  /** The origin it calls /register and /token from, for browser-based clients (CORS). */
  readonly origin?: string;
  /** The redirect URI it sends at /authorize; `port` for loopback callbacks. */
  readonly redirectUri: (port: number) => string;
  /** The scope it asks for. @default the challenge's scope */
  readonly scope?: (discovery: Discovery) => string;
}

const STANDARD_GRANTS = { grant_types: ["authorization_code", "refresh_token"], response_types: ["code"] };

/** VS Code: CIMD; loopback 33418 or, when that port is busy, a random one; or vscode.dev's web redirect. */
export const VS_CODE: McpClientProfile = {
  name: "VS Code",
  document: {
    url: "https://vscode.dev/oauth/client-metadata.json",
    body: {
      client_id: "https://vscode.dev/oauth/client-metadata.json",
      client_name: "Visual Studio Code",
      client_uri: "https://code.visualstudio.com",
      redirect_uris: ["http://127.0.0.1:33418/", "http://127.0.0.1/", "https://vscode.dev/redirect"],
      grant_types: ["authorization_code", "refresh_token", "urn:ietf:params:oauth:grant-type:device_code"],
      response_types: ["code"],
      token_endpoint_auth_method: "none",
      application_type: "native",
    },
  },
  usesDocument: (d) => d.asMetadata.client_id_metadata_document_supported === true,
  registration: (redirectUri) => ({ client_name: "Visual Studio Code", redirect_uris: [redirectUri], ...STANDARD_GRANTS, token_endpoint_auth_method: "none" }),
  redirectUri: (port) => `http://127.0.0.1:${port}/`,
};

/** Claude Code: CIMD listing portless http://localhost/callback, requests on an ephemeral port; registers as native otherwise. */
export const CLAUDE_CODE: McpClientProfile = {
  name: "Claude Code",
  document: {
    url: "https://claude.ai/oauth/claude-code-client-metadata",
    body: {
      client_id: "https://claude.ai/oauth/claude-code-client-metadata",
      client_name: "Claude Code",
      client_uri: "https://claude.com/product/claude-code",
      redirect_uris: ["http://localhost/callback"],
      ...STANDARD_GRANTS,
      token_endpoint_auth_method: "none",
    },
  },
  usesDocument: (d) => d.asMetadata.client_id_metadata_document_supported === true,
  registration: (redirectUri) => ({ client_name: "Claude Code (weather)", redirect_uris: [redirectUri], ...STANDARD_GRANTS, token_endpoint_auth_method: "none", application_type: "native" }),
  redirectUri: (port) => `http://localhost:${port}/callback`,
};

/** claude.ai and Claude Desktop: hosted callbacks; CIMD only when the server advertises it and `none`. */
export const CLAUDE_AI: McpClientProfile = {
  name: "claude.ai / Claude Desktop",
  document: {
    url: "https://claude.ai/oauth/mcp-oauth-client-metadata",
    body: {
      client_id: "https://claude.ai/oauth/mcp-oauth-client-metadata",
      client_name: "Claude",
      client_uri: "https://claude.ai",
      redirect_uris: ["https://claude.ai/api/mcp/auth_callback", "https://claude.com/api/mcp/auth_callback"],
      ...STANDARD_GRANTS,
      token_endpoint_auth_method: "none",
    },
  },
  usesDocument: (d) =>
    d.asMetadata.client_id_metadata_document_supported === true && Array.isArray(d.asMetadata.token_endpoint_auth_methods_supported) && d.asMetadata.token_endpoint_auth_methods_supported.includes("none"),
  registration: () => ({ client_name: "Claude", redirect_uris: ["https://claude.ai/api/mcp/auth_callback", "https://claude.com/api/mcp/auth_callback"], ...STANDARD_GRANTS, token_endpoint_auth_method: "none" }),
  redirectUri: () => "https://claude.ai/api/mcp/auth_callback",
};

/** One ChatGPT connector's id (each connector has its own document and callback). */
export const CHATGPT_CONNECTOR = "g-6f1c2b7e9a0d";

/** ChatGPT: prefers CIMD (private_key_jwt preferred, none supported); one callback per connector; offline_access only when listed. */
export const CHATGPT: McpClientProfile = {
  name: "ChatGPT",
  document: {
    url: `https://chatgpt.com/oauth/${CHATGPT_CONNECTOR}/client.json`,
    body: {
      client_id: `https://chatgpt.com/oauth/${CHATGPT_CONNECTOR}/client.json`,
      client_name: "ChatGPT",
      client_uri: "https://chatgpt.com/",
      redirect_uris: [`https://chatgpt.com/connector/oauth/${CHATGPT_CONNECTOR}`],
      ...STANDARD_GRANTS,
      token_endpoint_auth_method: "private_key_jwt",
      token_endpoint_auth_methods_supported: ["none", "private_key_jwt"],
      token_endpoint_auth_signing_alg: "RS256",
      jwks_uri: "https://chatgpt.com/oauth/jwks.json",
    },
  },
  usesDocument: (d) => d.asMetadata.client_id_metadata_document_supported === true,
  registration: (redirectUri) => ({ client_name: "ChatGPT", redirect_uris: [redirectUri], ...STANDARD_GRANTS, token_endpoint_auth_method: "none" }),
  redirectUri: () => `https://chatgpt.com/connector/oauth/${CHATGPT_CONNECTOR}`,
  scope: (d) => (Array.isArray(d.asMetadata.scopes_supported) && d.asMetadata.scopes_supported.includes("offline_access") ? `${d.challengeScope} offline_access` : d.challengeScope),
};

/** Cursor desktop: registers http://localhost:8787/callback. */
export const CURSOR: McpClientProfile = {
  name: "Cursor",
  registration: (redirectUri) => ({ client_name: "Cursor", redirect_uris: [redirectUri], ...STANDARD_GRANTS, token_endpoint_auth_method: "none" }),
  redirectUri: () => "http://localhost:8787/callback",
};

export const CURSOR_SCHEME_CALLBACK = "cursor://anysphere.cursor-mcp/oauth/callback";

/** Older Cursor: the private-use scheme callback, registered as it always was (no application_type). */
export const CURSOR_PRIVATE_USE: McpClientProfile = {
  name: "Cursor (cursor:// callback)",
  registration: (redirectUri) => ({ client_name: "Cursor", redirect_uris: [redirectUri], ...STANDARD_GRANTS, token_endpoint_auth_method: "none" }),
  redirectUri: () => CURSOR_SCHEME_CALLBACK,
};

/** The same callback registered as a native application (MCP 2026-07-28 asks clients to send application_type). */
export const CURSOR_PRIVATE_USE_NATIVE: McpClientProfile = {
  ...CURSOR_PRIVATE_USE,
  name: "Cursor (cursor:// callback, application_type native)",
  registration: (redirectUri) => ({ client_name: "Cursor", redirect_uris: [redirectUri], ...STANDARD_GRANTS, token_endpoint_auth_method: "none", application_type: "native" }),
};

/** MCP Inspector 2.x: a browser app on localhost:6274 that registers (DCR) and calls /register and /token cross-origin. */
export const MCP_INSPECTOR: McpClientProfile = {
  name: "MCP Inspector 2.x", // 2.12 opens at 127.0.0.1 and its callback follows that origin
  origin: "http://127.0.0.1:6274",
  registration: () => ({
    redirect_uris: ["http://127.0.0.1:6274/oauth/callback/debug", "http://127.0.0.1:6274/oauth/callback"],
    token_endpoint_auth_method: "none",
    ...STANDARD_GRANTS,
    client_name: "MCP Inspector",
    client_uri: "https://github.com/modelcontextprotocol/inspector",
  }),
  redirectUri: () => "http://127.0.0.1:6274/oauth/callback",
};

/** Microsoft 365 Copilot's redirect URI for OAuth plugins (Microsoft Learn, "Configure OAuth 2.0 authentication"). */
export const M365_COPILOT_REDIRECT = "https://teams.microsoft.com/api/platform/v1.0/oAuthRedirect";

/**
 * Microsoft 365 Copilot, an MCP plugin with dynamic client registration (Microsoft Learn, "Configure
 * dynamic client registration"): the Enterprise token store registers through the metadata's
 * registration_endpoint with Teams' redirect URI, "DCR without a client secret isn't supported yet"
 * (so it asks for a secret), PKCE is on, and Teams redeems the code and refreshes server-side (a
 * token endpoint answering 307 is not supported). Microsoft does not publish the registration body;
 * this is RFC 7591's shape with the code flow, refresh tokens and the challenge's scope, and the
 * secret sent in the form body (`authMethod` client_secret_basic is its other form).
 */
export const M365_COPILOT: McpClientProfile = {
  name: "Microsoft 365 Copilot",
  registration: (redirectUri, discovery) => ({
    client_name: "Microsoft 365 Copilot",
    redirect_uris: [redirectUri],
    ...STANDARD_GRANTS,
    token_endpoint_auth_method: "client_secret_post",
    ...(discovery?.challengeScope ? { scope: discovery.challengeScope } : {}),
  }),
  authMethod: "client_secret_post",
  redirectUri: () => M365_COPILOT_REDIRECT,
};

/** A Copilot Studio (Power Platform) connector's redirect URL: one per connector, `https://global.consent.azure-apim.net/redirect/<connector id>`. */
export const copilotStudioRedirect = (connectorId: string): string => `https://global.consent.azure-apim.net/redirect/${connectorId}`;

/** Connector ids as Power Platform writes them: publisher prefix, the connector's name with '_' as -5f and ' ' as -20, and a unique suffix. */
export const COPILOT_STUDIO_CONNECTORS = ["cr6b1-5fweather-20mcp-5f4d2c8e1f0a9b7c6d", "cr6b1-5fweather-20mcp-20eu-5f93a7e0c2b1d4f5e6"] as const;

/**
 * Copilot Studio's MCP onboarding wizard with OAuth 2.0 "Dynamic discovery": it registers a client
 * per connector, with that connector's redirect URL, and authenticates with its secret in an HTTP
 * Basic header (RFC 7591's default method, client_secret_basic).
 */
export const COPILOT_STUDIO: McpClientProfile = {
  name: "Copilot Studio",
  registration: (redirectUri) => ({ client_name: "Copilot Studio connector", redirect_uris: [redirectUri], ...STANDARD_GRANTS, token_endpoint_auth_method: "client_secret_basic" }),
  authMethod: "client_secret_basic",
  redirectUri: () => copilotStudioRedirect(COPILOT_STUDIO_CONNECTORS[0]),
};

/**
 * Copilot Studio with OAuth 2.0 "Manual": the administrator enters the static client's id and
 * secret, the authorization and token URLs; Copilot Studio then shows the connector's redirect URL,
 * which goes into the static client's redirect_uris. Power Platform connectors send the secret in
 * the form body (client_secret_post).
 */
export const COPILOT_STUDIO_MANUAL: McpClientProfile = {
  name: "Copilot Studio (manual OAuth)",
  authMethod: "client_secret_post",
  redirectUri: () => copilotStudioRedirect(COPILOT_STUDIO_CONNECTORS[1]),
};

/** The redirect URL Foundry shows for a custom OAuth connection (the Azure API connections consent service, per connection). */
export const FOUNDRY_REDIRECT = "https://global.consent.azure-apim.net/redirect/weather-mcp-oauth";

/**
 * Foundry Agent Service, an MCP tool with "OAuth identity passthrough", custom OAuth: the
 * administrator enters the static client's id and secret, the authorization URL and the token URL
 * (refresh URL = token URL); Foundry shows the redirect URL to add to the OAuth app afterwards, and
 * sends the secret in the form body (client_secret_post), without a `resource` parameter (the
 * gateway then takes its only server). Each user signs in on first use.
 */
export const FOUNDRY: McpClientProfile = {
  name: "Foundry Agent Service",
  authMethod: "client_secret_post",
  // Its connection has no field for the resource, and it sends none (microsoft-foundry/new-foundry-portal#63).
  sendsResource: false,
  redirectUri: () => FOUNDRY_REDIRECT,
};

/** Every https origin whose documents the interop tests serve locally. */
export const CLIENT_DOCUMENT_ORIGINS = ["https://vscode.dev", "https://claude.ai", "https://chatgpt.com"];

export interface SignInAs {
  readonly clientId: string;
  /** A confidential client's secret and method (from its registration, or given as `clientSecret`). */
  readonly secret?: ClientSecret;
  /** The registration's 201 body, when the client registered. */
  readonly registered?: Record<string, unknown>;
  /** How the client identified itself. */
  readonly identifiedBy: "metadata document" | "registration" | "static client_id";
  readonly redirectUri: string;
  readonly discovery: Discovery;
  readonly consentPage: Reply;
  /** Where the browser was sent at the end: the client's callback with code, state and iss. */
  readonly callback: URL;
  readonly tokens: { access_token: string; refresh_token: string; scope: string; token_type: string; expires_in: number };
  /** The token response (for its headers, e.g. CORS). */
  readonly tokenReply: Reply;
  /** tools/list with the access token. */
  readonly mcp: Reply;
  /** The refresh grant's answer. */
  readonly refreshed: Reply;
}

/** Revokes the run's (rotated) refresh token as the client would (RFC 7009, with its credentials); the access token and the grant family end with it. */
export async function revokeAs(env: AttackEnv, run: SignInAs): Promise<{ revoked: Reply; mcp: Reply; refresh: Reply }> {
  const refreshToken = (json(run.refreshed) as { refresh_token: string }).refresh_token;
  const accessToken = (json(run.refreshed) as { access_token: string }).access_token;
  const auth = clientAuthentication(run.clientId, run.secret);
  const revoked = await env.revoke({ token: refreshToken, token_type_hint: "refresh_token", ...auth.fields }, auth.headers);
  return { revoked, mcp: await env.mcp(accessToken), refresh: await env.refresh(run.clientId, refreshToken, run.secret) };
}

/** The challenge's parameters (RFC 9728 §5.1). */
function challengeParams(header: string): Record<string, string> {
  return Object.fromEntries([...header.matchAll(/([a-z_]+)="([^"]*)"/g)].map((m) => [m[1]!, m[2]!]));
}

/** What the client learns from the gateway before it signs in: 401 challenge, resource and AS metadata. */
export async function discover(env: AttackEnv): Promise<Discovery> {
  const challenge = await call("POST", env.resource, { body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "initialize", params: {} }), headers: { "Content-Type": "application/json", Accept: "application/json, text/event-stream" } });
  if (challenge.status !== 401) throw new Error(`expected a 401 challenge, got ${challenge.status}`);
  const params = challengeParams(challenge.headers.get("www-authenticate") ?? "");
  const resourceMetadata = json(await call("GET", params.resource_metadata!));
  const issuer = (resourceMetadata.authorization_servers as string[])[0]!;
  const asMetadata = json(await call("GET", `${issuer}/.well-known/oauth-authorization-server`));
  return { challengeScope: params.scope ?? "", resourceMetadata, asMetadata };
}

/**
 * Signs in as `client` would: discovery, identification (its document, a registration, or the
 * static `clientId`), /authorize with its redirect URI (for `port`, or `redirectUri` when the client
 * has several callbacks), consent in a browser, Entra, the callback,
 * the code at /token, a tools/list call and a refresh; a confidential client (`authMethod`)
 * authenticates at /token with the secret of its registration or `clientSecret`. Throws naming the
 * step that failed.
 */
export async function signInAs(
  env: AttackEnv,
  client: McpClientProfile,
  options: { port?: number; redirectUri?: string; clientId?: string; clientSecret?: string; browser?: Browser } = {},
): Promise<SignInAs> {
  const discovery = await discover(env);
  const redirectUri = options.redirectUri ?? client.redirectUri(options.port ?? 0);
  const cors = client.origin ? { Origin: client.origin } : undefined;
  let clientId: string;
  let identifiedBy: SignInAs["identifiedBy"];
  let secret: ClientSecret | undefined;
  let registered: Record<string, unknown> | undefined;
  if (options.clientId) {
    clientId = options.clientId;
    identifiedBy = "static client_id";
    if (client.authMethod) {
      if (!options.clientSecret) throw new Error(`${client.name}: a confidential static client needs its clientSecret`);
      secret = { method: client.authMethod, secret: options.clientSecret };
    }
  } else if (client.document && (client.usesDocument?.(discovery) ?? false)) {
    env.serveDocument(new URL(client.document.url).pathname, client.document.body);
    clientId = client.document.url;
    identifiedBy = "metadata document";
  } else if (client.registration && typeof discovery.asMetadata.registration_endpoint === "string") {
    const reply = await call("POST", discovery.asMetadata.registration_endpoint, { body: JSON.stringify(client.registration(redirectUri, discovery)), headers: { "Content-Type": "application/json", ...cors } });
    if (reply.status !== 201) throw new Error(`${client.name}: registration answered ${reply.status}: ${reply.text.slice(0, 300)}`);
    registered = json(reply);
    clientId = registered.client_id as string;
    identifiedBy = "registration";
    if (client.authMethod) {
      if (typeof registered.client_secret !== "string") throw new Error(`${client.name}: the registration answered no client_secret, which this client needs`);
      secret = { method: client.authMethod, secret: registered.client_secret };
    }
  } else {
    throw new Error(`${client.name}: the gateway offers neither a metadata document the client uses nor a registration endpoint`);
  }
  const { verifier, challenge } = pkce();
  const state = `${client.name.replace(/[^A-Za-z]/g, "")}-${Math.random().toString(36).slice(2)}`;
  const scope = client.scope?.(discovery) ?? discovery.challengeScope;
  const browser = options.browser ?? new Browser();
  const sendsResource = client.sendsResource ?? true;
  const url = env.authorizeUrl({ clientId, challenge, redirectUri, state, extra: { scope }, ...(sendsResource ? {} : { resource: null }) });
  const { page: consentPage, reply } = await env.consent(browser, url);
  if (reply.status !== 302 || !reply.location) throw new Error(`${client.name}: consent answered ${reply.status}: ${reply.text.slice(0, 300)}`);
  const { final, stopped } = await env.follow(browser, reply.location, redirectUri);
  if (!final) throw new Error(`${client.name}: sign-in stopped with ${stopped?.status}: ${stopped?.text.slice(0, 300)}`);
  if (final.searchParams.get("state") !== state) throw new Error(`${client.name}: the callback carries state ${final.searchParams.get("state")}, not ${state}`);
  const code = final.searchParams.get("code");
  if (!code) throw new Error(`${client.name}: no code in ${final.toString()}`);
  const auth = clientAuthentication(clientId, secret);
  const tokenReply = await call("POST", discovery.asMetadata.token_endpoint as string, {
    body: new URLSearchParams({ grant_type: "authorization_code", code, ...auth.fields, redirect_uri: redirectUri, code_verifier: verifier, ...(sendsResource ? { resource: env.resource } : {}) }).toString(),
    headers: { "Content-Type": "application/x-www-form-urlencoded", ...cors, ...auth.headers },
  });
  if (tokenReply.status !== 200) throw new Error(`${client.name}: token answered ${tokenReply.status}: ${tokenReply.text}`);
  const tokens = json(tokenReply) as unknown as SignInAs["tokens"];
  const mcp = await env.mcp(tokens.access_token);
  const refreshed = await env.refresh(clientId, tokens.refresh_token, secret);
  return { clientId, secret, registered, identifiedBy, redirectUri, discovery, consentPage, callback: final, tokens, tokenReply, mcp, refreshed };
}
