/**
 * The post-deploy checks and their runner. Each check is one small function in the module of its
 * endpoint (mcp-checks, discovery-checks, register-checks, authorize-checks, token-checks,
 * deploy-checks; what they share is check.ts): it sends a few requests to the deployed gateway
 * (needing no interactive sign-in) and either returns a short detail (pass) or throws CheckFailed
 * with what was expected and what came back. CHECKS lists them in report order; `runVerification`
 * runs them all, and a failing check (network errors and timeouts included) never stops the others.
 *
 * Nothing secret is printed: the checks obtain no tokens, cookie values are never shown, a
 * registered client_id is shown only by its length, and server text is clipped to one line.
 */
import { discoverAuthorizationServerMetadata, type FetchLike } from "@modelcontextprotocol/client";
import { clip, describeError, timedFetch } from "./http.js";
import { resolveTarget, VerifyUsageError, type VerifyTarget } from "./target.js";
import { CheckFailed, NoClient, REDIRECT_URI, type Check, type CheckContext, type CheckResult, type RegisteredClient, type StaticClient } from "./check.js";
import { corsMcp, mcpBogusToken, mcpCors401, mcpNoToken, sdkSignInStart } from "./mcp-checks.js";
import { asMetadata, corsAsMetadata, corsPrm, openidConfiguration, prmPath, prmRoot } from "./discovery-checks.js";
import { corsRegister, registerFragment, registerGood, registerHttpRedirect, registerLoopbackClient, registerNotJson } from "./register-checks.js";
import { authorizeConsentPage, authorizeNoPkce, authorizePlainPkce, authorizeTamperedClient, authorizeUnknownRedirect } from "./authorize-checks.js";
import { corsRevoke, corsToken, revokeMissing, revokeUnknown, tokenBogusCode, tokenBogusRefresh, tokenMalformed, tokenUnknownGrant, tokenWrongType } from "./token-checks.js";
import { deployChecks } from "./deploy-checks.js";
import { STATIC_CLIENT_ID } from "../vocabulary/oauth-clients.js";

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
    return { name: check.name, ok: false, detail: clip(e instanceof CheckFailed ? e.message : describeError(e, timeoutMs), 600) };
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
