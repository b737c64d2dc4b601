/**
 * The post-deploy checks: one small function per check, each sending a few requests to the
 * deployed gateway (needing no interactive sign-in) and either returning a short detail (pass) or
 * throwing CheckFailed with what was expected and what came back. `runVerification` runs them all;
 * a failing check (network errors and timeouts included) never stops the others.
 *
 * Nothing secret is printed: the checks obtain no tokens, cookie values are never shown, a
 * registered client_id is shown only by its length, and server text is clipped to one line.
 */
import { randomBytes, createHash } from "node:crypto";
import {
  discoverAuthorizationServerMetadata,
  discoverOAuthProtectedResourceMetadata,
  extractWWWAuthenticateParams,
  registerClient,
  specTypeSchemas,
  UnauthorizedError,
  type FetchLike,
} from "@modelcontextprotocol/client";
import { clip, describeError, request, RequestFailure, timedFetch, type HttpAnswer } from "./http.js";
import { CLIENT_NAME, connectWithSdk, RecordingOAuthProvider } from "./sdk-client.js";
import { deployChecks } from "./deploy-checks.js";
import { resolveTarget, VerifyUsageError, type VerifyTarget } from "./target.js";
import { STATIC_CLIENT_ID } from "../vocabulary/oauth-clients.js";

/** A check's outcome: expected versus actual, in one line. */
export class CheckFailed extends Error {
  override readonly name = "CheckFailed";
}

/** A check needs a client and there is none: its message says why and what to pass. */
export class NoClient extends CheckFailed {}

export interface RegisteredClient {
  readonly clientId: string;
  readonly status: number;
  readonly redirectUris?: readonly string[];
}

/** A client the administrator pre-registered (`clients.static` in the platform configuration file). */
export interface StaticClient {
  readonly clientId: string;
  /** One of its registered redirect URIs. */
  readonly redirectUri: string;
}

export interface CheckContext {
  readonly target: VerifyTarget;
  /** fetch with the per-request timeout. */
  readonly fetch: FetchLike;
  /** The redirect URI of the client the checks use: the static client's, or the loopback URI they register. */
  readonly redirectUri: string;
  /** The pre-registered client the checks use instead of registering one, when given. */
  readonly staticClient?: StaticClient;
  /**
   * The client the checks use: the static client when given, else one registered once per run (SDK registerClient).
   * Rejects with {@link NoClient} when there is none to use (registration failed, or is off and no static client).
   */
  client(): Promise<RegisteredClient>;
  /** A loopback client registered once per run; rejects with the registration failure. */
  register(): Promise<RegisteredClient>;
  /** Whether the gateway offers registration: its metadata names a registration_endpoint (true when unknown). */
  registrationOpen(): Promise<boolean>;
}

export interface Check {
  readonly name: string;
  /** Resolves with a short detail when the check passes; throws (CheckFailed) when it fails. */
  readonly run: (ctx: CheckContext) => Promise<string>;
}

export interface CheckResult {
  readonly name: string;
  readonly ok: boolean;
  readonly detail: string;
}

export interface VerifyOptions {
  /** MCP API path. @default "mcp" */
  readonly mcpPath?: string;
  /** Per-request timeout in milliseconds (100-120000). @default 10000 */
  readonly timeoutMs?: number;
  /** Checks running at the same time (1-16). @default 4 */
  readonly concurrency?: number;
  /** The fetch to use (tests). @default globalThis.fetch */
  readonly fetch?: FetchLike;
  /**
   * A pre-registered client for the checks that need one, for a gateway whose registration is off
   * (`clients.registration: false`). @default none: the checks register a loopback client
   */
  readonly staticClient?: StaticClient;
}

export interface VerifyReport {
  readonly target: VerifyTarget;
  readonly results: readonly CheckResult[];
  readonly ok: boolean;
}

export const DEFAULT_TIMEOUT_MS = 10_000;
const REDIRECT_URI = "http://127.0.0.1:33418/mcp-verify/callback";
const CHECK_ORIGIN = "https://mcp-verify.example";
const CORS_HEADERS = ["Authorization", "Content-Type", "Mcp-Protocol-Version", "Mcp-Session-Id", "Mcp-Method", "Mcp-Name", "Last-Event-ID"];
const RFC6749_TOKEN_ERRORS = ["invalid_request", "invalid_client", "invalid_grant", "unauthorized_client", "unsupported_grant_type", "invalid_scope", "invalid_target"];

// ---------------------------------------------------------------------------------------------
// Small helpers

function fail(message: string): never {
  throw new CheckFailed(message);
}

/** A value as it goes into a detail: JSON, clipped; "nothing" when absent. */
function show(v: unknown): string {
  if (v === undefined || v === null) return "nothing";
  return clip(typeof v === "string" ? JSON.stringify(v) : (JSON.stringify(v) ?? String(v)), 120);
}

/** What the answer was, for a failure detail: status, content type and the start of the body. */
function answered(a: HttpAnswer): string {
  const type = a.headers.get("content-type");
  const body = clip(a.text, 100);
  return `HTTP ${a.status}${type ? ` ${clip(type, 40)}` : ""}${body ? ` "${body}"` : ""}`;
}

/** A failure detail for `e`: a RequestFailure already names the request; anything else gets `context`. */
function because(context: string, e: unknown): string {
  return e instanceof RequestFailure ? e.message : `${context}: ${describeError(e)}`;
}

function random(): string {
  return randomBytes(32).toString("base64url");
}

function sameIssuer(a: string, b: string): boolean {
  return a.replace(/\/$/, "") === b.replace(/\/$/, "");
}

/** Header list (comma separated) as lower-case names. */
function headerList(v: string | null): string[] {
  return (v ?? "").split(",").map((s) => s.trim().toLowerCase()).filter(Boolean);
}

function expectStatus(a: HttpAnswer, expected: readonly number[], what: string): void {
  if (!expected.includes(a.status)) fail(`${what}: expected HTTP ${expected.join(" or ")}, got ${answered(a)}`);
}

function oauthErrorOf(a: HttpAnswer): { error?: unknown; description?: unknown } {
  const j = a.json as { error?: unknown; error_description?: unknown } | undefined;
  return typeof j === "object" && j !== null ? { error: j.error, description: j.error_description } : {};
}

function formBody(fields: Record<string, string>): string {
  return new URLSearchParams(fields).toString();
}

const FORM = { "Content-Type": "application/x-www-form-urlencoded" };

// ---------------------------------------------------------------------------------------------
// MCP endpoint: the 401 challenge (through the SDK's StreamableHTTPClientTransport)

function expectedResourceMetadataUrl(t: VerifyTarget): string {
  return `${t.gatewayUrl}/.well-known/oauth-protected-resource/${t.mcpPath}`;
}

async function challenge(ctx: CheckContext, bearer?: string): Promise<{ res: Response; header: string; params: ReturnType<typeof extractWWWAuthenticateParams> }> {
  const attempt = await connectWithSdk(ctx.target.mcpUrl, ctx.fetch, { bearer });
  const res = attempt.firstResponse;
  if (!res) throw attempt.error;
  if (attempt.error === undefined) fail(`the SDK client connected ${bearer ? "with a bogus token" : "without a token"}; expected HTTP 401`);
  if (res.status !== 401) fail(`expected HTTP 401 from POST ${ctx.target.mcpUrl}, got HTTP ${res.status} (${clip(describeError(attempt.error), 100)})`);
  const header = res.headers.get("www-authenticate");
  if (!header) fail("expected a WWW-Authenticate header on the 401, got none");
  if (!/^bearer\s/i.test(header)) fail(`expected a Bearer challenge, got WWW-Authenticate: ${clip(header)}`);
  const params = extractWWWAuthenticateParams(res);
  const expected = expectedResourceMetadataUrl(ctx.target);
  if (params.resourceMetadataUrl?.href !== expected) fail(`expected resource_metadata="${expected}", got ${show(params.resourceMetadataUrl?.href)} in WWW-Authenticate: ${clip(header)}`);
  if (!params.scope) fail(`expected a scope="..." in the challenge, got WWW-Authenticate: ${clip(header)}`);
  return { res, header, params };
}

async function mcpNoToken(ctx: CheckContext): Promise<string> {
  const { params } = await challenge(ctx);
  if (params.error !== undefined) fail(`expected no error= without a token (RFC 6750 §3.1), got error="${clip(params.error)}"`);
  return `401 Bearer resource_metadata=${params.resourceMetadataUrl!.href} scope=${clip(params.scope!, 80)}`;
}

async function mcpBogusToken(ctx: CheckContext): Promise<string> {
  const { params } = await challenge(ctx, `${random()}.${random()}`);
  if (params.error !== "invalid_token") fail(`expected error="invalid_token" in the challenge, got ${show(params.error)}`);
  return `401 error="invalid_token", resource_metadata present`;
}

async function mcpCors401(ctx: CheckContext): Promise<string> {
  const a = await request(ctx.fetch, ctx.target.mcpUrl, {
    method: "POST",
    headers: { Origin: CHECK_ORIGIN, "Content-Type": "application/json", Accept: "application/json, text/event-stream" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: CLIENT_NAME, version: "1.0.0" } } }),
  });
  expectStatus(a, [401], `POST ${ctx.target.mcpUrl} with Origin and no token`);
  const allowOrigin = a.headers.get("access-control-allow-origin");
  if (allowOrigin !== "*" && allowOrigin !== CHECK_ORIGIN) fail(`expected Access-Control-Allow-Origin * or ${CHECK_ORIGIN} on the 401, got ${show(allowOrigin)}`);
  const expose = headerList(a.headers.get("access-control-expose-headers"));
  if (!expose.includes("www-authenticate") && !expose.includes("*")) fail(`expected Access-Control-Expose-Headers to include WWW-Authenticate, got ${show(a.headers.get("access-control-expose-headers"))}`);
  return `Allow-Origin ${allowOrigin}, exposes WWW-Authenticate`;
}

/** The SDK's own OAuth orchestration: 401 -> resource metadata -> AS metadata -> registration -> authorization URL. */
async function sdkSignInStart(ctx: CheckContext): Promise<string> {
  if (ctx.staticClient === undefined && !(await ctx.registrationOpen())) await clientFor(ctx);
  const provider = new RecordingOAuthProvider(ctx.redirectUri, ctx.staticClient ? { clientId: ctx.staticClient.clientId, issuer: ctx.target.gatewayUrl } : undefined);
  // Discovery and registration must stay on the gateway (it is the authorization server); a
  // document pointing elsewhere fails here instead of sending the check to another host.
  const gatewayOnly: FetchLike = (url, init) => {
    const u = new URL(url);
    if (u.origin !== ctx.target.gatewayUrl) {
      return Promise.reject(new RequestFailure(`the SDK was sent outside the gateway, to ${u.origin}${u.pathname}; expected discovery and registration at ${ctx.target.gatewayUrl}`));
    }
    return ctx.fetch(url, init);
  };
  const attempt = await connectWithSdk(ctx.target.mcpUrl, gatewayOnly, { authProvider: provider });
  if (!attempt.firstResponse) throw attempt.error;
  if (!(attempt.error instanceof UnauthorizedError)) {
    if (attempt.error === undefined) fail("the SDK client connected without signing in; expected a 401 that starts the OAuth flow");
    fail(attempt.error instanceof RequestFailure ? attempt.error.message : `expected the SDK to stop at the browser step (UnauthorizedError), got: ${describeError(attempt.error)}`);
  }
  const url = provider.authorizationUrl;
  if (!url) fail("the SDK did not reach the authorization step (no authorization URL)");
  const endpoint = `${url.origin}${url.pathname}`;
  const expectedEndpoint = `${ctx.target.gatewayUrl}/authorize`;
  if (endpoint !== expectedEndpoint) fail(`expected the SDK to send the user to ${expectedEndpoint}, got ${endpoint}`);
  const q = url.searchParams;
  const problems: string[] = [];
  if (q.get("code_challenge_method") !== "S256" || !q.get("code_challenge")) problems.push(`PKCE: expected code_challenge with method S256, got method ${show(q.get("code_challenge_method"))}`);
  if (!q.get("client_id") || q.get("client_id") !== provider.client?.client_id) problems.push(`expected the client_id of ${ctx.staticClient ? "the static client" : "the SDK's registration"} in the authorization URL`);
  if (q.get("resource") !== ctx.target.mcpUrl) problems.push(`expected resource=${ctx.target.mcpUrl}, got ${show(q.get("resource"))}`);
  if (problems.length) fail(problems.join("; "));
  return `discovery + ${ctx.staticClient ? "static client" : "registration"} by the SDK; authorization URL ${endpoint} (S256, resource)`;
}

// ---------------------------------------------------------------------------------------------
// Discovery documents (SDK discovery functions)

async function protectedResourceMetadata(ctx: CheckContext, url: string): Promise<string> {
  const meta = await discoverOAuthProtectedResourceMetadata(ctx.target.mcpUrl, { resourceMetadataUrl: url }, ctx.fetch).catch((e: unknown) => fail(because(`GET ${url}`, e)));
  const problems: string[] = [];
  if (meta.resource !== ctx.target.mcpUrl) problems.push(`resource: expected ${show(ctx.target.mcpUrl)}, got ${show(meta.resource)}`);
  const servers = meta.authorization_servers ?? [];
  if (servers.length !== 1 || !sameIssuer(servers[0]!, ctx.target.gatewayUrl)) problems.push(`authorization_servers: expected ${show([ctx.target.gatewayUrl])}, got ${show(meta.authorization_servers)}`);
  if (problems.length) fail(problems.join("; "));
  return `resource ${meta.resource}, authorization_servers ${show(servers)}`;
}

const prmPath = (ctx: CheckContext) => protectedResourceMetadata(ctx, expectedResourceMetadataUrl(ctx.target));
const prmRoot = (ctx: CheckContext) => protectedResourceMetadata(ctx, `${ctx.target.gatewayUrl}/.well-known/oauth-protected-resource`);

/** Every problem of an authorization server metadata document for this gateway. */
export function metadataProblems(meta: Record<string, unknown>, gatewayUrl: string): string[] {
  const problems: string[] = [];
  const eq = (field: string, expected: unknown) => {
    if (JSON.stringify(meta[field]) !== JSON.stringify(expected)) problems.push(`${field}: expected ${show(expected)}, got ${show(meta[field])}`);
  };
  const includes = (field: string, values: string[]) => {
    const v = meta[field];
    if (!Array.isArray(v) || values.some((x) => !v.includes(x))) problems.push(`${field}: expected to include ${show(values)}, got ${show(v)}`);
  };
  if (typeof meta.issuer !== "string" || !sameIssuer(meta.issuer, gatewayUrl)) problems.push(`issuer: expected ${show(gatewayUrl)}, got ${show(meta.issuer)}`);
  eq("authorization_endpoint", `${gatewayUrl}/authorize`);
  eq("token_endpoint", `${gatewayUrl}/token`);
  // Absent when registration is off; the registration check then expects POST /register to be refused.
  if (meta.registration_endpoint !== undefined) eq("registration_endpoint", `${gatewayUrl}/register`);
  eq("revocation_endpoint", `${gatewayUrl}/revoke`);
  includes("response_types_supported", ["code"]);
  includes("grant_types_supported", ["authorization_code", "refresh_token"]);
  eq("code_challenge_methods_supported", ["S256"]);
  eq("token_endpoint_auth_methods_supported", ["none"]);
  eq("client_id_metadata_document_supported", true);
  eq("authorization_response_iss_parameter_supported", true);
  return problems;
}

async function asMetadata(ctx: CheckContext): Promise<string> {
  const url = `${ctx.target.gatewayUrl}/.well-known/oauth-authorization-server`;
  const meta = await discoverAuthorizationServerMetadata(ctx.target.gatewayUrl, { fetchFn: ctx.fetch }).catch((e: unknown) => fail(because(`discovery at ${url}`, e)));
  if (!meta) fail(`expected RFC 8414 metadata at ${url} (or the OpenID fallback), got none (4xx)`);
  const problems = metadataProblems(meta as Record<string, unknown>, ctx.target.gatewayUrl);
  if (problems.length) fail(problems.join("; "));
  return "issuer, endpoints, S256 only, auth method none, CIMD, iss parameter";
}

async function openidConfiguration(ctx: CheckContext): Promise<string> {
  const url = `${ctx.target.gatewayUrl}/.well-known/openid-configuration`;
  const a = await request(ctx.fetch, url, { headers: { Accept: "application/json" } });
  expectStatus(a, [200], `GET ${url}`);
  const parsed = specTypeSchemas.OAuthMetadata["~standard"].validate(a.json);
  if (parsed instanceof Promise || parsed.issues !== undefined) fail(`expected an authorization server metadata JSON document at ${url}, got ${answered(a)}`);
  const problems = metadataProblems(parsed.value as Record<string, unknown>, ctx.target.gatewayUrl);
  if (problems.length) fail(problems.join("; "));
  return "same issuer, endpoints and capabilities as the RFC 8414 document";
}

// ---------------------------------------------------------------------------------------------
// Dynamic client registration (RFC 7591)

/** Registers the run's client through the SDK's registerClient, recording the HTTP status. */
export async function registerLoopbackClient(target: VerifyTarget, fetchFn: FetchLike, redirectUri: string): Promise<RegisteredClient> {
  let status = 0;
  const recording: FetchLike = async (url, init) => {
    const res = await fetchFn(url, init);
    status = res.status;
    return res;
  };
  const info = await registerClient(target.gatewayUrl, {
    clientMetadata: { client_name: CLIENT_NAME, redirect_uris: [redirectUri], grant_types: ["authorization_code", "refresh_token"], response_types: ["code"], token_endpoint_auth_method: "none" },
    fetchFn: recording,
  }).catch((e: unknown) => fail(because(`POST ${target.gatewayUrl}/register${status ? ` (HTTP ${status})` : ""}`, e)));
  return { clientId: info.client_id, status, redirectUris: info.redirect_uris };
}

const REGISTRATION_BODY = JSON.stringify({ client_name: CLIENT_NAME, redirect_uris: [REDIRECT_URI], grant_types: ["authorization_code", "refresh_token"], response_types: ["code"], token_endpoint_auth_method: "none" });

/** Registration off: POST /register, even a valid one, is 403 access_denied (RFC 7591 §3.2.2 leaves the code open). */
async function registrationRefused(ctx: CheckContext, body: string, contentType: string, what: string): Promise<string> {
  const a = await request(ctx.fetch, `${ctx.target.gatewayUrl}/register`, { method: "POST", headers: { "Content-Type": contentType }, body });
  expectStatus(a, [403], `${what}, registration off (the metadata names no registration_endpoint)`);
  const { error } = oauthErrorOf(a);
  if (error !== "access_denied") fail(`${what}, registration off: expected a JSON error access_denied, got ${answered(a)}`);
  return "registration off: 403 access_denied";
}

async function registerGood(ctx: CheckContext): Promise<string> {
  if (!(await ctx.registrationOpen())) return registrationRefused(ctx, REGISTRATION_BODY, "application/json", "a valid registration");
  const c = await ctx.register();
  if (c.status !== 201) fail(`expected HTTP 201 Created, got HTTP ${c.status}`);
  if (c.redirectUris && !c.redirectUris.includes(ctx.redirectUri)) fail(`expected redirect_uris to hold ${ctx.redirectUri}, got ${show(c.redirectUris)}`);
  return `201, client_id of ${c.clientId.length} characters`;
}

async function registerRefused(ctx: CheckContext, body: string, contentType: string, errors: string[], what: string): Promise<string> {
  if (!(await ctx.registrationOpen())) return registrationRefused(ctx, body, contentType, what);
  const a = await request(ctx.fetch, `${ctx.target.gatewayUrl}/register`, { method: "POST", headers: { "Content-Type": contentType }, body });
  expectStatus(a, [400], what);
  const { error } = oauthErrorOf(a);
  if (typeof error !== "string" || !errors.includes(error)) fail(`${what}: expected a JSON error ${errors.join(" or ")} (RFC 7591 §3.2.2), got ${answered(a)}`);
  return `400 ${error}`;
}

const registerHttpRedirect = (ctx: CheckContext) =>
  registerRefused(ctx, JSON.stringify({ client_name: CLIENT_NAME, redirect_uris: ["http://mcp-verify.example/callback"] }), "application/json", ["invalid_redirect_uri"], "http redirect URI on a non-loopback host");
const registerFragment = (ctx: CheckContext) =>
  registerRefused(ctx, JSON.stringify({ client_name: CLIENT_NAME, redirect_uris: ["https://mcp-verify.example/callback#fragment"] }), "application/json", ["invalid_redirect_uri"], "redirect URI with a fragment");
const registerNotJson = (ctx: CheckContext) =>
  registerRefused(ctx, "this is not JSON {", "application/json", ["invalid_client_metadata", "invalid_request"], "a body that is not JSON");

// ---------------------------------------------------------------------------------------------
// /authorize

function pkce(): { verifier: string; challenge: string } {
  const verifier = random();
  return { verifier, challenge: createHash("sha256").update(verifier).digest("base64url") };
}

function authorizeUrl(ctx: CheckContext, clientId: string, params: Record<string, string | undefined>): string {
  const u = new URL(`${ctx.target.gatewayUrl}/authorize`);
  const all: Record<string, string | undefined> = { response_type: "code", client_id: clientId, redirect_uri: ctx.redirectUri, state: "mcp-verify-state", resource: ctx.target.mcpUrl, ...params };
  for (const [k, v] of Object.entries(all)) if (v !== undefined) u.searchParams.set(k, v);
  return u.toString();
}

/** The client a check uses; fails the check with why there is none. */
export async function clientFor(ctx: CheckContext): Promise<RegisteredClient> {
  return ctx.client().catch((e: unknown) => fail(e instanceof NoClient ? e.message : `needs a registered client, but registration failed: ${describeError(e)}`));
}

/**
 * An invalid request from a self-registered client is not redirected, not even to its verified
 * redirect URI (RFC 9700 §4.11.2: only trusted URIs get automatic redirects): a page names the
 * client's host and links back with error, state and iss (RFC 9207). A static client's redirect URIs
 * were registered by the administrator, so its errors are redirected there (RFC 6749 §4.1.2.1).
 */
async function authorizeShowsErrorPage(ctx: CheckContext, params: Record<string, string | undefined>, expectedError: string, what: string): Promise<string> {
  const { clientId } = await clientFor(ctx);
  const a = await request(ctx.fetch, authorizeUrl(ctx, clientId, params));
  let back: string | undefined;
  if (ctx.staticClient) {
    expectStatus(a, [302, 303], `${what}: a redirect back to the static client's redirect URI`);
    back = a.headers.get("location") ?? undefined;
  } else {
    expectStatus(a, [400], `${what}: an error page, not a redirect`);
    if (a.headers.get("location")) fail(`${what}: expected no redirect (RFC 9700 §4.11.2), got Location ${show(a.headers.get("location"))}`);
    back = /<a href="([^"]+)"/.exec(a.text)?.[1]?.replace(/&amp;/g, "&");
  }
  let target: URL;
  try {
    target = new URL(back ?? "");
  } catch {
    fail(`${what}: expected ${ctx.staticClient ? "a Location" : "a link"} back to ${ctx.redirectUri}, got ${show(back ?? null)}`);
  }
  const q = target.searchParams;
  const problems: string[] = [];
  if (`${target.origin}${target.pathname}` !== ctx.redirectUri) problems.push(`${ctx.staticClient ? "Location" : "link"}: expected ${ctx.redirectUri}?..., got ${target.origin}${target.pathname}`);
  if (q.get("error") !== expectedError) problems.push(`error: expected ${expectedError}, got ${show(q.get("error"))}`);
  if (q.get("state") !== "mcp-verify-state") problems.push(`state: expected the client's state back, got ${show(q.get("state"))}`);
  if (q.get("iss") === null || !sameIssuer(q.get("iss")!, ctx.target.gatewayUrl)) problems.push(`iss: expected ${ctx.target.gatewayUrl} (RFC 9207), got ${show(q.get("iss"))}`);
  if (problems.length) fail(`${what}: ${problems.join("; ")}`);
  return `${ctx.staticClient ? `${a.status} redirect` : "400 page linking"} back with error=${expectedError}, state, iss`;
}

/** Before the redirect URI is verified, an error is shown, never redirected (RFC 6749 §4.1.2.1). */
async function authorizeRefusesWithoutRedirect(ctx: CheckContext, url: string, what: string): Promise<string> {
  const a = await request(ctx.fetch, url);
  expectStatus(a, [400], what);
  if (a.headers.get("location")) fail(`${what}: expected no redirect (the redirect URI is not trusted), got Location ${show(a.headers.get("location"))}`);
  return "400, no redirect";
}

const authorizeNoPkce = (ctx: CheckContext) => authorizeShowsErrorPage(ctx, {}, "invalid_request", "no code_challenge");
const authorizePlainPkce = (ctx: CheckContext) => authorizeShowsErrorPage(ctx, { code_challenge: pkce().verifier, code_challenge_method: "plain" }, "invalid_request", "code_challenge_method=plain");

async function authorizeUnknownRedirect(ctx: CheckContext): Promise<string> {
  const { clientId } = await clientFor(ctx);
  const url = authorizeUrl(ctx, clientId, { redirect_uri: `${ctx.redirectUri}-not-registered`, code_challenge: pkce().challenge, code_challenge_method: "S256" });
  return authorizeRefusesWithoutRedirect(ctx, url, "unregistered redirect_uri");
}

async function authorizeTamperedClient(ctx: CheckContext): Promise<string> {
  const { clientId } = await clientFor(ctx);
  // One character well inside the value (the last base64url character may carry only padding bits).
  const i = Math.max(0, clientId.length - 10);
  const tampered = clientId.slice(0, i) + (clientId[i] === "A" ? "Q" : "A") + clientId.slice(i + 1);
  const url = authorizeUrl(ctx, tampered, { code_challenge: pkce().challenge, code_challenge_method: "S256" });
  return authorizeRefusesWithoutRedirect(ctx, url, "client_id with one character changed");
}

async function authorizeConsentPage(ctx: CheckContext): Promise<string> {
  const { clientId } = await clientFor(ctx);
  const a = await request(ctx.fetch, authorizeUrl(ctx, clientId, { code_challenge: pkce().challenge, code_challenge_method: "S256" }));
  expectStatus(a, [200], "valid client with S256 PKCE: the consent page");
  const problems: string[] = [];
  const type = a.headers.get("content-type") ?? "";
  if (!/^text\/html/i.test(type)) problems.push(`Content-Type: expected text/html, got ${show(type)}`);
  const xfo = a.headers.get("x-frame-options");
  if ((xfo ?? "").toUpperCase() !== "DENY") problems.push(`X-Frame-Options: expected DENY, got ${show(xfo)}`);
  const csp = a.headers.get("content-security-policy");
  if (!/(^|;)\s*frame-ancestors\s+'none'\s*(;|$)/i.test(csp ?? "")) problems.push(`Content-Security-Policy: expected frame-ancestors 'none', got ${show(csp)}`);
  if (!/no-store/i.test(a.headers.get("cache-control") ?? "")) problems.push(`Cache-Control: expected no-store, got ${show(a.headers.get("cache-control"))}`);
  const cookies = a.headers.getSetCookie();
  const hostCookie = cookies.find((c) => c.trimStart().startsWith("__Host-"));
  // Cookie values are never shown: only names and attributes.
  const attributes = (c: string) => c.split(";").slice(1).map((s) => s.trim().toLowerCase());
  if (!hostCookie) problems.push(`Set-Cookie: expected a __Host- cookie, got ${cookies.length ? show(cookies.map((c) => c.split("=")[0])) : "none"}`);
  else {
    const attrs = attributes(hostCookie);
    if (!attrs.includes("secure") || !attrs.includes("path=/") || attrs.some((x) => x.startsWith("domain="))) problems.push(`Set-Cookie ${hostCookie.split("=")[0]}: expected Secure, Path=/ and no Domain, got attributes ${show(attrs)}`);
    if (!attrs.includes("httponly")) problems.push(`Set-Cookie ${hostCookie.split("=")[0]}: expected HttpOnly`);
  }
  if (!/<form\b/i.test(a.text)) problems.push("expected a consent form in the page, found no <form>");
  if (problems.length) fail(problems.join("; "));
  return `200 text/html, X-Frame-Options DENY, frame-ancestors 'none', cookie ${hostCookie!.split("=")[0]}`;
}

// ---------------------------------------------------------------------------------------------
// /token and /revoke error paths

/** An RFC 6749 §5.2 error: JSON, 400 (401 for invalid_client), Cache-Control no-store, never 5xx. */
async function tokenRefused(ctx: CheckContext, init: { headers: Record<string, string>; body: string }, expected: readonly string[], what: string): Promise<string> {
  const a = await request(ctx.fetch, `${ctx.target.gatewayUrl}/token`, { method: "POST", ...init });
  const { error } = oauthErrorOf(a);
  expectStatus(a, error === "invalid_client" ? [400, 401] : [400], what);
  const problems: string[] = [];
  if (typeof error !== "string" || !RFC6749_TOKEN_ERRORS.includes(error)) problems.push(`expected a JSON RFC 6749 error, got ${answered(a)}`);
  else if (!expected.includes(error)) problems.push(`error: expected ${expected.join(" or ")}, got ${error}`);
  if (!/application\/json/i.test(a.headers.get("content-type") ?? "")) problems.push(`Content-Type: expected application/json, got ${show(a.headers.get("content-type"))}`);
  if (!/no-store/i.test(a.headers.get("cache-control") ?? "")) problems.push(`Cache-Control: expected no-store, got ${show(a.headers.get("cache-control"))}`);
  if (problems.length) fail(`${what}: ${problems.join("; ")}`);
  return `${a.status} ${String(error)}, no-store`;
}

const tokenWrongType = (ctx: CheckContext) =>
  tokenRefused(ctx, { headers: { "Content-Type": "application/json" }, body: JSON.stringify({ grant_type: "authorization_code" }) }, ["invalid_request"], "JSON body instead of a form");
const tokenMalformed = (ctx: CheckContext) => tokenRefused(ctx, { headers: FORM, body: "%%%=&&=%zz&%" }, ["invalid_request"], "malformed form body");
const tokenUnknownGrant = (ctx: CheckContext) =>
  tokenRefused(ctx, { headers: FORM, body: formBody({ grant_type: "password", username: "mcp-verify", password: "not-a-password" }) }, ["unsupported_grant_type"], "grant_type=password");

async function tokenBogusCode(ctx: CheckContext): Promise<string> {
  const { clientId } = await clientFor(ctx);
  const body = formBody({ grant_type: "authorization_code", client_id: clientId, code: random(), redirect_uri: ctx.redirectUri, code_verifier: pkce().verifier, resource: ctx.target.mcpUrl });
  return tokenRefused(ctx, { headers: FORM, body }, ["invalid_grant"], "unknown authorization code");
}

async function tokenBogusRefresh(ctx: CheckContext): Promise<string> {
  const { clientId } = await clientFor(ctx);
  const body = formBody({ grant_type: "refresh_token", client_id: clientId, refresh_token: `${random()}.${random()}`, resource: ctx.target.mcpUrl });
  return tokenRefused(ctx, { headers: FORM, body }, ["invalid_grant"], "unknown refresh token");
}

async function revokeUnknown(ctx: CheckContext): Promise<string> {
  const a = await request(ctx.fetch, `${ctx.target.gatewayUrl}/revoke`, { method: "POST", headers: FORM, body: formBody({ token: `${random()}.${random()}`, token_type_hint: "refresh_token" }) });
  expectStatus(a, [200], "unknown token (RFC 7009 §2.2: 200 for invalid tokens)");
  return "200";
}

async function revokeMissing(ctx: CheckContext): Promise<string> {
  const a = await request(ctx.fetch, `${ctx.target.gatewayUrl}/revoke`, { method: "POST", headers: FORM, body: "" });
  expectStatus(a, [400], "no token parameter");
  const { error } = oauthErrorOf(a);
  if (error !== "invalid_request") fail(`no token parameter: expected a JSON error invalid_request, got ${answered(a)}`);
  return "400 invalid_request";
}

// ---------------------------------------------------------------------------------------------
// CORS preflights

async function preflight(ctx: CheckContext, url: string, method: string, methods: readonly string[], headers: readonly string[]): Promise<string> {
  const a = await request(ctx.fetch, url, {
    method: "OPTIONS",
    headers: { Origin: CHECK_ORIGIN, "Access-Control-Request-Method": method, "Access-Control-Request-Headers": headers.map((h) => h.toLowerCase()).join(",") },
  });
  expectStatus(a, [200, 204], `OPTIONS ${url}`);
  const problems: string[] = [];
  const origin = a.headers.get("access-control-allow-origin");
  if (origin !== "*" && origin !== CHECK_ORIGIN) problems.push(`Access-Control-Allow-Origin: expected * or ${CHECK_ORIGIN}, got ${show(origin)}`);
  const allowedMethods = headerList(a.headers.get("access-control-allow-methods"));
  const missingMethods = methods.filter((m) => !allowedMethods.includes(m.toLowerCase()) && !allowedMethods.includes("*"));
  if (missingMethods.length) problems.push(`Access-Control-Allow-Methods: missing ${missingMethods.join(", ")} in ${show(a.headers.get("access-control-allow-methods"))}`);
  const allowedHeaders = headerList(a.headers.get("access-control-allow-headers"));
  // "*" does not cover Authorization (Fetch standard), so Authorization must be named.
  const missingHeaders = headers.filter((h) => !allowedHeaders.includes(h.toLowerCase()) && !(allowedHeaders.includes("*") && h !== "Authorization"));
  if (missingHeaders.length) problems.push(`Access-Control-Allow-Headers: missing ${missingHeaders.join(", ")} in ${show(a.headers.get("access-control-allow-headers"))}`);
  if (problems.length) fail(problems.join("; "));
  return `${a.status}, methods ${methods.join(" ")}, ${headers.length} headers`;
}

const POST_METHODS = ["POST"];
const corsRegister = (ctx: CheckContext) => preflight(ctx, `${ctx.target.gatewayUrl}/register`, "POST", POST_METHODS, CORS_HEADERS);
const corsToken = (ctx: CheckContext) => preflight(ctx, `${ctx.target.gatewayUrl}/token`, "POST", POST_METHODS, CORS_HEADERS);
const corsRevoke = (ctx: CheckContext) => preflight(ctx, `${ctx.target.gatewayUrl}/revoke`, "POST", POST_METHODS, CORS_HEADERS);
// A tools/call of MCP 2026-07-28 may carry Mcp-Param-<name> headers (SEP-2243): the gateway allows the requested ones.
const corsMcp = (ctx: CheckContext) => preflight(ctx, ctx.target.mcpUrl, "POST", ["GET", "POST", "DELETE"], [...CORS_HEADERS, "Mcp-Param-Region"]);
// Browser clients send MCP-Protocol-Version on discovery, which needs a preflight too.
const corsPrm = (ctx: CheckContext) => preflight(ctx, expectedResourceMetadataUrl(ctx.target), "GET", ["GET"], ["Mcp-Protocol-Version"]);
const corsAsMetadata = (ctx: CheckContext) => preflight(ctx, `${ctx.target.gatewayUrl}/.well-known/oauth-authorization-server`, "GET", ["GET"], ["Mcp-Protocol-Version"]);

// ---------------------------------------------------------------------------------------------

/** Every check, in report order. */
export const CHECKS: readonly Check[] = [
  { name: "MCP 401 without token", run: mcpNoToken },
  { name: "MCP 401 with bogus token", run: mcpBogusToken },
  { name: "MCP 401 CORS headers", run: mcpCors401 },
  { name: "SDK client reaches sign-in", run: sdkSignInStart },
  { name: "Resource metadata (path)", run: prmPath },
  { name: "Resource metadata (root)", run: prmRoot },
  { name: "AS metadata (RFC 8414)", run: asMetadata },
  { name: "AS metadata (openid-configuration)", run: openidConfiguration },
  { name: "Register loopback client", run: registerGood },
  { name: "Register: http redirect refused", run: registerHttpRedirect },
  { name: "Register: fragment refused", run: registerFragment },
  { name: "Register: non-JSON refused", run: registerNotJson },
  { name: "Authorize: no PKCE", run: authorizeNoPkce },
  { name: "Authorize: plain PKCE", run: authorizePlainPkce },
  { name: "Authorize: unknown redirect_uri", run: authorizeUnknownRedirect },
  { name: "Authorize: tampered client_id", run: authorizeTamperedClient },
  { name: "Authorize: consent page", run: authorizeConsentPage },
  { name: "Token: wrong content type", run: tokenWrongType },
  { name: "Token: malformed body", run: tokenMalformed },
  { name: "Token: unknown grant type", run: tokenUnknownGrant },
  { name: "Token: bogus code", run: tokenBogusCode },
  { name: "Token: bogus refresh token", run: tokenBogusRefresh },
  { name: "Revoke: unknown token", run: revokeUnknown },
  { name: "Revoke: missing token", run: revokeMissing },
  { name: "CORS preflight /register", run: corsRegister },
  { name: "CORS preflight /token", run: corsToken },
  { name: "CORS preflight /revoke", run: corsRevoke },
  { name: "CORS preflight MCP endpoint", run: corsMcp },
  { name: "CORS preflight resource metadata", run: corsPrm },
  { name: "CORS preflight AS metadata", run: corsAsMetadata },
  ...deployChecks(),
];

/** Validates a static client: a client_id as the platform configuration allows, an absolute redirect URI without a fragment. */
export function checkStaticClient(client: StaticClient): StaticClient {
  if (!STATIC_CLIENT_ID.test(client.clientId)) {
    throw new VerifyUsageError(`client id ${JSON.stringify(client.clientId)} is invalid; expected the client_id of a static client: 1-64 letters, digits, '.', '_', '~' or '-'`);
  }
  let uri: URL;
  try {
    uri = new URL(client.redirectUri);
  } catch {
    throw new VerifyUsageError(`redirect URI ${JSON.stringify(client.redirectUri)} is not an absolute URI; expected one of the static client's redirect_uris, e.g. http://127.0.0.1:33418/callback`);
  }
  if (uri.hash !== "" || client.redirectUri.includes("#")) throw new VerifyUsageError(`redirect URI ${JSON.stringify(client.redirectUri)} has a fragment; expected one of the static client's redirect_uris`);
  return client;
}

function intOption(name: string, value: number | undefined, def: number, min: number, max: number): number {
  const v = value ?? def;
  if (!Number.isInteger(v) || v < min || v > max) throw new VerifyUsageError(`${name} ${JSON.stringify(value)} is invalid; expected a whole number from ${min} to ${max}`);
  return v;
}

/** Runs one check; any failure (CheckFailed, network error, timeout, bug) becomes a failed result. */
async function runCheck(check: Check, ctx: CheckContext, timeoutMs: number): Promise<CheckResult> {
  try {
    return { name: check.name, ok: true, detail: clip(await check.run(ctx), 300) };
  } catch (e) {
    return { name: check.name, ok: false, detail: clip(e instanceof CheckFailed ? e.message : describeError(e, timeoutMs), 400) };
  }
}

/**
 * Runs every check against the gateway at `gatewayUrl` (https, or http on a loopback host).
 * Throws VerifyUsageError for bad input; never throws for what the gateway does.
 */
export async function runVerification(gatewayUrl: string, options: VerifyOptions = {}, checks: readonly Check[] = CHECKS): Promise<VerifyReport> {
  const target = resolveTarget(gatewayUrl, options.mcpPath);
  const timeoutMs = intOption("timeout", options.timeoutMs, DEFAULT_TIMEOUT_MS, 100, 120_000);
  const concurrency = intOption("concurrency", options.concurrency, 4, 1, 16);
  const fetchFn = timedFetch(timeoutMs, options.fetch ?? fetch);
  const staticClient = options.staticClient === undefined ? undefined : checkStaticClient(options.staticClient);
  let registration: Promise<RegisteredClient> | undefined;
  let open: Promise<boolean> | undefined;
  const registrationOpen = () =>
    (open ??= discoverAuthorizationServerMetadata(target.gatewayUrl, { fetchFn }).then(
      (meta) => meta === undefined || (meta as Record<string, unknown>).registration_endpoint !== undefined,
      () => true,
    ));
  const register = () => (registration ??= registerLoopbackClient(target, fetchFn, REDIRECT_URI));
  const ctx: CheckContext = {
    target,
    fetch: fetchFn,
    redirectUri: staticClient?.redirectUri ?? REDIRECT_URI,
    ...(staticClient ? { staticClient } : {}),
    register,
    registrationOpen,
    client: async () => {
      if (staticClient) return { clientId: staticClient.clientId, status: 0, redirectUris: [staticClient.redirectUri] };
      if (!(await registrationOpen())) {
        throw new NoClient(`needs a client, but registration is off at this gateway (its metadata names no registration_endpoint): pass --client-id and --redirect-uri of a static client (clients.static) to run this check`);
      }
      return register();
    },
  };
  const results: CheckResult[] = new Array<CheckResult>(checks.length);
  let next = 0;
  const worker = async () => {
    while (next < checks.length) {
      const i = next++;
      results[i] = await runCheck(checks[i]!, ctx, timeoutMs);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, checks.length) }, worker));
  return { target, results, ok: results.every((r) => r.ok) };
}
