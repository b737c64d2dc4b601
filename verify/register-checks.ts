/**
 * Checks of dynamic client registration (RFC 7591): the run's loopback client (through the SDK's
 * registerClient), refused registrations, registration that is off, and the CORS preflight.
 */
import { registerClient, type FetchLike } from "@modelcontextprotocol/client";
import { request } from "./http.js";
import { CLIENT_NAME } from "./sdk-client.js";
import type { VerifyTarget } from "./target.js";
import { answered, because, CORS_HEADERS, expectStatus, fail, oauthErrorOf, preflight, REDIRECT_URI, show, type CheckContext, type RegisteredClient } from "./check.js";

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

export async function registerGood(ctx: CheckContext): Promise<string> {
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

export const registerHttpRedirect = (ctx: CheckContext) =>
  registerRefused(ctx, JSON.stringify({ client_name: CLIENT_NAME, redirect_uris: ["http://mcp-verify.example/callback"] }), "application/json", ["invalid_redirect_uri"], "http redirect URI on a non-loopback host");
export const registerFragment = (ctx: CheckContext) =>
  registerRefused(ctx, JSON.stringify({ client_name: CLIENT_NAME, redirect_uris: ["https://mcp-verify.example/callback#fragment"] }), "application/json", ["invalid_redirect_uri"], "redirect URI with a fragment");
export const registerNotJson = (ctx: CheckContext) =>
  registerRefused(ctx, "this is not JSON {", "application/json", ["invalid_client_metadata", "invalid_request"], "a body that is not JSON");

export const corsRegister = (ctx: CheckContext) => preflight(ctx, `${ctx.target.gatewayUrl}/register`, "POST", ["POST"], CORS_HEADERS);
