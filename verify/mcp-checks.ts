/**
 * Checks of the MCP endpoint: the 401 challenge (through the SDK's StreamableHTTPClientTransport),
 * its CORS headers and preflight, and the SDK's own OAuth orchestration up to the browser step.
 */
import { extractWWWAuthenticateParams, UnauthorizedError, type FetchLike } from "@modelcontextprotocol/client";
import { clip, describeError, request, RequestFailure } from "./http.js";
import { CLIENT_NAME, connectWithSdk, RecordingOAuthProvider } from "./sdk-client.js";
import { CHECK_ORIGIN, clientFor, CORS_HEADERS, expectedResourceMetadataUrl, expectStatus, fail, headerList, preflight, random, show, type CheckContext } from "./check.js";

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

export async function mcpNoToken(ctx: CheckContext): Promise<string> {
  const { params } = await challenge(ctx);
  if (params.error !== undefined) fail(`expected no error= without a token (RFC 6750 §3.1), got error="${clip(params.error)}"`);
  return `401 Bearer resource_metadata=${params.resourceMetadataUrl!.href} scope=${clip(params.scope!, 80)}`;
}

export async function mcpBogusToken(ctx: CheckContext): Promise<string> {
  const { params } = await challenge(ctx, `${random()}.${random()}`);
  if (params.error !== "invalid_token") fail(`expected error="invalid_token" in the challenge, got ${show(params.error)}`);
  return `401 error="invalid_token", resource_metadata present`;
}

export async function mcpCors401(ctx: CheckContext): Promise<string> {
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
export async function sdkSignInStart(ctx: CheckContext): Promise<string> {
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

// A tools/call of MCP 2026-07-28 may carry Mcp-Param-<name> headers (SEP-2243): the gateway allows the requested ones.
export const corsMcp = (ctx: CheckContext) => preflight(ctx, ctx.target.mcpUrl, "POST", ["GET", "POST", "DELETE"], [...CORS_HEADERS, "Mcp-Param-Region"]);
