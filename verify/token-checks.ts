/**
 * Checks of /token and /revoke: their error paths (RFC 6749 §5.2 JSON errors, never a 5xx;
 * RFC 7009 §2.2) and their CORS preflights.
 */
import { request } from "./http.js";
import { answered, clientFor, CORS_HEADERS, expectStatus, fail, FORM, formBody, oauthErrorOf, pkce, preflight, random, show, type CheckContext } from "./check.js";

const RFC6749_TOKEN_ERRORS = ["invalid_request", "invalid_client", "invalid_grant", "unauthorized_client", "unsupported_grant_type", "invalid_scope", "invalid_target"];

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

export const tokenWrongType = (ctx: CheckContext) =>
  tokenRefused(ctx, { headers: { "Content-Type": "application/json" }, body: JSON.stringify({ grant_type: "authorization_code" }) }, ["invalid_request"], "JSON body instead of a form");
export const tokenMalformed = (ctx: CheckContext) => tokenRefused(ctx, { headers: FORM, body: "%%%=&&=%zz&%" }, ["invalid_request"], "malformed form body");
export const tokenUnknownGrant = (ctx: CheckContext) =>
  tokenRefused(ctx, { headers: FORM, body: formBody({ grant_type: "password", username: "mcp-verify", password: "not-a-password" }) }, ["unsupported_grant_type"], "grant_type=password");

export async function tokenBogusCode(ctx: CheckContext): Promise<string> {
  const { clientId } = await clientFor(ctx);
  const body = formBody({ grant_type: "authorization_code", client_id: clientId, code: random(), redirect_uri: ctx.redirectUri, code_verifier: pkce().verifier, resource: ctx.target.mcpUrl });
  return tokenRefused(ctx, { headers: FORM, body }, ["invalid_grant"], "unknown authorization code");
}

export async function tokenBogusRefresh(ctx: CheckContext): Promise<string> {
  const { clientId } = await clientFor(ctx);
  const body = formBody({ grant_type: "refresh_token", client_id: clientId, refresh_token: `${random()}.${random()}`, resource: ctx.target.mcpUrl });
  return tokenRefused(ctx, { headers: FORM, body }, ["invalid_grant"], "unknown refresh token");
}

export async function revokeUnknown(ctx: CheckContext): Promise<string> {
  const a = await request(ctx.fetch, `${ctx.target.gatewayUrl}/revoke`, { method: "POST", headers: FORM, body: formBody({ token: `${random()}.${random()}`, token_type_hint: "refresh_token" }) });
  expectStatus(a, [200], "unknown token (RFC 7009 §2.2: 200 for invalid tokens)");
  return "200";
}

export async function revokeMissing(ctx: CheckContext): Promise<string> {
  const a = await request(ctx.fetch, `${ctx.target.gatewayUrl}/revoke`, { method: "POST", headers: FORM, body: "" });
  expectStatus(a, [400], "no token parameter");
  const { error } = oauthErrorOf(a);
  if (error !== "invalid_request") fail(`no token parameter: expected a JSON error invalid_request, got ${answered(a)}`);
  return "400 invalid_request";
}

export const corsToken = (ctx: CheckContext) => preflight(ctx, `${ctx.target.gatewayUrl}/token`, "POST", ["POST"], CORS_HEADERS);
export const corsRevoke = (ctx: CheckContext) => preflight(ctx, `${ctx.target.gatewayUrl}/revoke`, "POST", ["POST"], CORS_HEADERS);
