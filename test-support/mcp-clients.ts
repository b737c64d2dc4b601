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
import { Browser, call, json, pkce, type AttackEnv, type Reply } from "./attack-client.js";

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
  /** Its dynamic registration request for the redirect URI it will use. */
  readonly registration?: (redirectUri: string) => Record<string, unknown>;
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

/** Every https origin whose documents the interop tests serve locally. */
export const CLIENT_DOCUMENT_ORIGINS = ["https://vscode.dev", "https://claude.ai", "https://chatgpt.com"];

export interface SignInAs {
  readonly clientId: string;
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
 * the code at /token, a tools/list call and a refresh. Throws naming the step that failed.
 */
export async function signInAs(
  env: AttackEnv,
  client: McpClientProfile,
  options: { port?: number; redirectUri?: string; clientId?: string; browser?: Browser } = {},
): Promise<SignInAs> {
  const discovery = await discover(env);
  const redirectUri = options.redirectUri ?? client.redirectUri(options.port ?? 0);
  const cors = client.origin ? { Origin: client.origin } : undefined;
  let clientId: string;
  let identifiedBy: SignInAs["identifiedBy"];
  if (options.clientId) {
    clientId = options.clientId;
    identifiedBy = "static client_id";
  } else if (client.document && (client.usesDocument?.(discovery) ?? false)) {
    env.serveDocument(new URL(client.document.url).pathname, client.document.body);
    clientId = client.document.url;
    identifiedBy = "metadata document";
  } else if (client.registration && typeof discovery.asMetadata.registration_endpoint === "string") {
    const reply = await call("POST", discovery.asMetadata.registration_endpoint, { body: JSON.stringify(client.registration(redirectUri)), headers: { "Content-Type": "application/json", ...cors } });
    if (reply.status !== 201) throw new Error(`${client.name}: registration answered ${reply.status}: ${reply.text.slice(0, 300)}`);
    clientId = json(reply).client_id as string;
    identifiedBy = "registration";
  } else {
    throw new Error(`${client.name}: the gateway offers neither a metadata document the client uses nor a registration endpoint`);
  }
  const { verifier, challenge } = pkce();
  const state = `${client.name.replace(/[^A-Za-z]/g, "")}-${Math.random().toString(36).slice(2)}`;
  const scope = client.scope?.(discovery) ?? discovery.challengeScope;
  const browser = options.browser ?? new Browser();
  const url = env.authorizeUrl({ clientId, challenge, redirectUri, state, extra: { scope } });
  const { page: consentPage, reply } = await env.consent(browser, url);
  if (reply.status !== 302 || !reply.location) throw new Error(`${client.name}: consent answered ${reply.status}: ${reply.text.slice(0, 300)}`);
  const { final, stopped } = await env.follow(browser, reply.location, redirectUri);
  if (!final) throw new Error(`${client.name}: sign-in stopped with ${stopped?.status}: ${stopped?.text.slice(0, 300)}`);
  if (final.searchParams.get("state") !== state) throw new Error(`${client.name}: the callback carries state ${final.searchParams.get("state")}, not ${state}`);
  const code = final.searchParams.get("code");
  if (!code) throw new Error(`${client.name}: no code in ${final.toString()}`);
  const tokenReply = await call("POST", discovery.asMetadata.token_endpoint as string, {
    body: new URLSearchParams({ grant_type: "authorization_code", code, client_id: clientId, redirect_uri: redirectUri, code_verifier: verifier, resource: env.resource }).toString(),
    headers: { "Content-Type": "application/x-www-form-urlencoded", ...cors },
  });
  if (tokenReply.status !== 200) throw new Error(`${client.name}: token answered ${tokenReply.status}: ${tokenReply.text}`);
  const tokens = json(tokenReply) as unknown as SignInAs["tokens"];
  const mcp = await env.mcp(tokens.access_token);
  const refreshed = await env.refresh(clientId, tokens.refresh_token);
  return { clientId, identifiedBy, redirectUri, discovery, consentPage, callback: final, tokens, tokenReply, mcp, refreshed };
}
