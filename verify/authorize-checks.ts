/**
 * Checks of /authorize: refused requests (no PKCE, plain PKCE, an unregistered redirect URI, a
 * tampered client_id), shown or redirected as RFC 6749 and RFC 9700 say, and the consent page's
 * headers and cookie.
 */
import { request } from "./http.js";
import { clientFor, expectStatus, fail, pkce, sameIssuer, show, type CheckContext } from "./check.js";

function authorizeUrl(ctx: CheckContext, clientId: string, params: Record<string, string | undefined>): string {
  const u = new URL(`${ctx.target.gatewayUrl}/authorize`);
  const all: Record<string, string | undefined> = { response_type: "code", client_id: clientId, redirect_uri: ctx.redirectUri, state: "mcp-verify-state", resource: ctx.target.mcpUrl, ...params };
  for (const [k, v] of Object.entries(all)) if (v !== undefined) u.searchParams.set(k, v);
  return u.toString();
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

export const authorizeNoPkce = (ctx: CheckContext) => authorizeShowsErrorPage(ctx, {}, "invalid_request", "no code_challenge");
export const authorizePlainPkce = (ctx: CheckContext) => authorizeShowsErrorPage(ctx, { code_challenge: pkce().verifier, code_challenge_method: "plain" }, "invalid_request", "code_challenge_method=plain");

export async function authorizeUnknownRedirect(ctx: CheckContext): Promise<string> {
  const { clientId } = await clientFor(ctx);
  const url = authorizeUrl(ctx, clientId, { redirect_uri: `${ctx.redirectUri}-not-registered`, code_challenge: pkce().challenge, code_challenge_method: "S256" });
  return authorizeRefusesWithoutRedirect(ctx, url, "unregistered redirect_uri");
}

export async function authorizeTamperedClient(ctx: CheckContext): Promise<string> {
  const { clientId } = await clientFor(ctx);
  // One character well inside the value (the last base64url character may carry only padding bits).
  const i = Math.max(0, clientId.length - 10);
  const tampered = clientId.slice(0, i) + (clientId[i] === "A" ? "Q" : "A") + clientId.slice(i + 1);
  const url = authorizeUrl(ctx, tampered, { code_challenge: pkce().challenge, code_challenge_method: "S256" });
  return authorizeRefusesWithoutRedirect(ctx, url, "client_id with one character changed");
}

export async function authorizeConsentPage(ctx: CheckContext): Promise<string> {
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
