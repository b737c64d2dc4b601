/**
 * Checks of the discovery documents (through the SDK's discovery functions): the protected
 * resource metadata (RFC 9728, path-suffixed and root), the authorization server metadata (RFC 8414
 * and the OpenID-style document), and their CORS preflights.
 */
import { discoverAuthorizationServerMetadata, discoverOAuthProtectedResourceMetadata, specTypeSchemas } from "@modelcontextprotocol/client";
import { request } from "./http.js";
import { answered, because, expectedResourceMetadataUrl, expectStatus, fail, preflight, sameIssuer, show, type CheckContext } from "./check.js";

function fetchResourceMetadata(ctx: CheckContext, url: string) {
  return discoverOAuthProtectedResourceMetadata(ctx.target.mcpUrl, { resourceMetadataUrl: url }, ctx.fetch).catch((e: unknown) => fail(because(`GET ${url}`, e)));
}

/** Fails unless `meta` names `resource` and this gateway as its only authorization server. */
function expectResourceMetadata(ctx: CheckContext, meta: Awaited<ReturnType<typeof fetchResourceMetadata>>, resource: string): string {
  const problems: string[] = [];
  if (meta.resource !== resource) problems.push(`resource: expected ${show(resource)}, got ${show(meta.resource)}`);
  const servers = meta.authorization_servers ?? [];
  if (servers.length !== 1 || !sameIssuer(servers[0]!, ctx.target.gatewayUrl)) problems.push(`authorization_servers: expected ${show([ctx.target.gatewayUrl])}, got ${show(meta.authorization_servers)}`);
  if (problems.length) fail(problems.join("; "));
  return `resource ${meta.resource}, authorization_servers ${show(servers)}`;
}

export const prmPath = async (ctx: CheckContext) => expectResourceMetadata(ctx, await fetchResourceMetadata(ctx, expectedResourceMetadataUrl(ctx.target)), ctx.target.mcpUrl);

/**
 * The root document (RFC 9728 §3.1 without a path suffix) can describe one resource only: the gateway
 * serves it for its first MCP server. It is checked in full when it describes the server under check;
 * when it describes another MCP endpoint of this gateway (a platform of several servers, checked at a
 * server that is not the first), the check does not apply to this server and says which one it
 * describes; a root document naming a resource off this gateway, or another authorization server,
 * still fails.
 */
export async function prmRoot(ctx: CheckContext): Promise<string> {
  const meta = await fetchResourceMetadata(ctx, `${ctx.target.gatewayUrl}/.well-known/oauth-protected-resource`);
  const resource = typeof meta.resource === "string" ? meta.resource : "";
  const another = resource !== ctx.target.mcpUrl && resource.startsWith(`${ctx.target.gatewayUrl}/`);
  const detail = expectResourceMetadata(ctx, meta, another ? resource : ctx.target.mcpUrl);
  if (!another) return detail;
  return `not applicable to ${ctx.target.mcpUrl}: the root document describes one server, ${resource} (this gateway's first), and names this gateway as its authorization server`;
}

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
  eq("client_id_metadata_document_supported", true);
  eq("authorization_response_iss_parameter_supported", true);
  // Public clients (none) and confidential ones (client_secret_basic, client_secret_post); a gateway
  // with registration lists all three (a registration may ask for any); revocation takes the same.
  const methods = ["none", "client_secret_basic", "client_secret_post"];
  if (meta.registration_endpoint !== undefined) eq("token_endpoint_auth_methods_supported", methods);
  else {
    const listed = meta.token_endpoint_auth_methods_supported;
    if (!Array.isArray(listed) || listed.length === 0 || listed.some((m) => !methods.includes(m as string)) || JSON.stringify(methods.filter((m) => listed.includes(m))) !== JSON.stringify(listed)) {
      problems.push(`token_endpoint_auth_methods_supported: expected some of ${show(methods)}, in that order, got ${show(listed)}`);
    }
  }
  const tokenMethodsWrong = problems.some((p) => p.startsWith("token_endpoint_auth_methods_supported"));
  if (!tokenMethodsWrong) eq("revocation_endpoint_auth_methods_supported", meta.token_endpoint_auth_methods_supported);
  return problems;
}

export async function asMetadata(ctx: CheckContext): Promise<string> {
  const url = `${ctx.target.gatewayUrl}/.well-known/oauth-authorization-server`;
  const meta = await discoverAuthorizationServerMetadata(ctx.target.gatewayUrl, { fetchFn: ctx.fetch }).catch((e: unknown) => fail(because(`discovery at ${url}`, e)));
  if (!meta) fail(`expected RFC 8414 metadata at ${url} (or the OpenID fallback), got none (4xx)`);
  const problems = metadataProblems(meta as Record<string, unknown>, ctx.target.gatewayUrl);
  if (problems.length) fail(problems.join("; "));
  return "issuer, endpoints, S256 only, auth methods none and client secrets, CIMD, iss parameter";
}

export async function openidConfiguration(ctx: CheckContext): Promise<string> {
  const url = `${ctx.target.gatewayUrl}/.well-known/openid-configuration`;
  const a = await request(ctx.fetch, url, { headers: { Accept: "application/json" } });
  expectStatus(a, [200], `GET ${url}`);
  const parsed = specTypeSchemas.OAuthMetadata["~standard"].validate(a.json);
  if (parsed instanceof Promise || parsed.issues !== undefined) fail(`expected an authorization server metadata JSON document at ${url}, got ${answered(a)}`);
  const problems = metadataProblems(parsed.value as Record<string, unknown>, ctx.target.gatewayUrl);
  if (problems.length) fail(problems.join("; "));
  return "same issuer, endpoints and capabilities as the RFC 8414 document";
}

// Browser clients send MCP-Protocol-Version on discovery, which needs a preflight too.
export const corsPrm = (ctx: CheckContext) => preflight(ctx, expectedResourceMetadataUrl(ctx.target), "GET", ["GET"], ["Mcp-Protocol-Version"]);
export const corsAsMetadata = (ctx: CheckContext) => preflight(ctx, `${ctx.target.gatewayUrl}/.well-known/oauth-authorization-server`, "GET", ["GET"], ["Mcp-Protocol-Version"]);
