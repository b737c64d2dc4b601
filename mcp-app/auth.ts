/**
 * Entra ID access-token check for every /mcp request (a Hono middleware around jose).
 *
 * Accepted: RS256 signed by a key of the tenant's JWKS (fetched and cached by jose; an unknown `kid` triggers
 * a refetch, so rotated keys are picked up), issuer = the tenant's v2 issuer, audience = the app (client id or
 * `api://<clientId>`), authorized party (`azp`, or `appid` in v1-shaped tokens) = the app itself so that only
 * tokens the gateway obtained for this app pass, `exp`/`nbf` with a small clock skew, and the base delegated scope
 * in `scp`. The caller's scopes (`scp`) and app roles (`roles`) travel on to the per-tool checks (mcp-server.ts).
 * Refused: `401` + `WWW-Authenticate: Bearer` (with `error="invalid_token"` when a token was presented) and a
 * bland body; `403` `insufficient_scope` for a valid token without the scope (RFC 6750 section 3.1); `503` when
 * the key set cannot be fetched (not the caller's fault). The token itself is never logged.
 */
import { createHash } from "node:crypto";
import { createRemoteJWKSet, errors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from "jose";
import type { Context, MiddlewareHandler } from "hono";
import type { AuthInfo } from "@modelcontextprotocol/server";
import type { AuthConfig } from "./config.js";
import type { AppEnv } from "./app-env.js";
import type { Caller } from "./tools/tool.js";
import type { Logger } from "./logging.js";
import { jsonRpcErrorBody } from "./jsonrpc.js";

export interface AuthOptions {
  readonly logger: Logger;
  /** Allowed clock skew for `exp`/`nbf`, seconds. @default 60 */
  readonly clockToleranceSeconds?: number;
  /** Minimum time between two JWKS fetches (an unknown `kid` refetches only after it). @default 30000 */
  readonly jwksCooldownMs?: number;
  /** How long fetched keys are trusted before a refetch. @default 600000 (10 minutes) */
  readonly jwksCacheMaxAgeMs?: number;
  /** JWKS fetch timeout. @default 5000 */
  readonly jwksTimeoutMs?: number;
  /**
   * How long a successfully verified token is remembered (keyed by its SHA-256, never the token itself), so a
   * client's repeated calls skip the RSA verification. `exp`/`nbf` are still checked on every request. Keep it at
   * or below the JWKS cache age: a key removed from the JWKS is already trusted that long. 0 disables.
   * @default 300000 (5 minutes)
   */
  readonly verifiedTokenTtlMs?: number;
  /** Most tokens remembered at once (oldest dropped first). @default 10000 */
  readonly verifiedTokenCacheSize?: number;
}

/** Thrown by the key lookup when the key set itself cannot be obtained. */
class KeySetUnavailable extends Error {
  constructor(readonly reason: string) {
    super("JWKS unavailable");
  }
}

/** The JWT failure codes that mean "this token is not acceptable" (as opposed to "we cannot check it now"). */
const TOKEN_FAULTS = new Set([
  errors.JWTExpired.code,
  errors.JWTClaimValidationFailed.code,
  errors.JWTInvalid.code,
  errors.JWSInvalid.code,
  errors.JWSSignatureVerificationFailed.code,
  errors.JOSEAlgNotAllowed.code,
  errors.JOSENotSupported.code,
  errors.JWKSNoMatchingKey.code,
  errors.JWKSMultipleMatchingKeys.code,
  errors.JWKInvalid.code,
]);

/** RFC 6750 b64token. */
const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;

type Verdict = { ok: true; caller: Caller; exp: number; token: string } | { ok: false; status: 401 | 403 | 503; challenge?: string; reason: string };

/** The `WWW-Authenticate` value asking for `scopes` (RFC 6750 section 3.1): the step-up challenge. */
export function insufficientScopeChallenge(scopes: readonly string[]): string {
  return `Bearer error="insufficient_scope", scope="${scopes.join(" ")}"`;
}

/** The 403 answer for a valid token without `scopes` (a bland JSON-RPC body; the header says what is needed). */
export function insufficientScopeResponse(c: Context, scopes: readonly string[]): Response {
  return c.json(jsonRpcErrorBody(-32001, "Forbidden"), 403, { "WWW-Authenticate": insufficientScopeChallenge(scopes) });
}

/** Creates the token verifier (exported for tests and reuse); `verify` never throws. */
export function createTokenVerifier(config: AuthConfig, options: Omit<AuthOptions, "logger">) {
  const remote = createRemoteJWKSet(new URL(config.jwksUri), {
    cooldownDuration: options.jwksCooldownMs ?? 30_000,
    cacheMaxAge: options.jwksCacheMaxAgeMs ?? 600_000,
    timeoutDuration: options.jwksTimeoutMs ?? 5_000,
  });
  const keys: JWTVerifyGetKey = async (header, token) => {
    try {
      return await remote(header, token);
    } catch (error) {
      if (error instanceof errors.JOSEError && TOKEN_FAULTS.has(error.code)) throw error;
      throw new KeySetUnavailable(error instanceof errors.JOSEError ? error.code : error instanceof Error ? error.name : "unknown");
    }
  };
  const audiences = config.audiences;
  const clientId = config.clientId.toLowerCase();
  const scopeChallenge = insufficientScopeChallenge([config.requiredScope]);

  const cacheTtlMs = options.verifiedTokenTtlMs ?? 300_000;
  const cacheSize = options.verifiedTokenCacheSize ?? 10_000;
  const toleranceSeconds = options.clockToleranceSeconds ?? 60;
  /** Verified tokens by SHA-256: the caller, the token's exp/nbf (seconds) and when to forget it (ms). */
  const verified = new Map<string, { caller: Caller; exp: number; nbf: number; until: number }>();

  return async function verify(authorization: string | undefined): Promise<Verdict> {
    if (authorization === undefined || authorization === "") return { ok: false, status: 401, challenge: "Bearer", reason: "no_token" };
    const match = BEARER.exec(authorization);
    if (match === null) {
      // Another scheme is "no bearer credentials"; a broken Bearer value is an invalid token.
      return /^bearer\b/i.test(authorization)
        ? { ok: false, status: 401, challenge: 'Bearer error="invalid_token"', reason: "malformed_authorization" }
        : { ok: false, status: 401, challenge: "Bearer", reason: "not_bearer" };
    }
    const token = match[1]!;
    const digest = cacheTtlMs > 0 ? createHash("sha256").update(token).digest("base64url") : "";
    const known = cacheTtlMs > 0 ? verified.get(digest) : undefined;
    if (known !== undefined) {
      const nowMs = Date.now();
      const now = nowMs / 1000;
      if (nowMs < known.until && now < known.exp + toleranceSeconds && now >= known.nbf - toleranceSeconds) {
        return { ok: true, caller: known.caller, exp: known.exp, token };
      }
      verified.delete(digest); // expired or stale: verify again (and answer exactly as for a new token)
    }
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, keys, {
        algorithms: ["RS256"],
        issuer: config.issuer,
        audience: [...audiences],
        clockTolerance: toleranceSeconds,
        requiredClaims: ["exp", "iss", "aud"],
      }));
    } catch (error) {
      if (error instanceof KeySetUnavailable) return { ok: false, status: 503, reason: `jwks_unavailable:${error.reason}` };
      const code = error instanceof errors.JOSEError ? error.code : "ERR_UNEXPECTED";
      const claim = error instanceof errors.JWTClaimValidationFailed ? `:${error.claim}` : "";
      return { ok: false, status: 401, challenge: 'Bearer error="invalid_token"', reason: `${code}${claim}` };
    }
    const authorizedParty = typeof payload.azp === "string" ? payload.azp : typeof payload.appid === "string" ? payload.appid : undefined;
    if (authorizedParty?.toLowerCase() !== clientId) {
      return { ok: false, status: 401, challenge: 'Bearer error="invalid_token"', reason: "azp_mismatch" };
    }
    const scopes = typeof payload.scp === "string" ? payload.scp.split(" ").filter((s) => s !== "") : [];
    if (!scopes.includes(config.requiredScope)) {
      return { ok: false, status: 403, challenge: scopeChallenge, reason: "missing_scope" };
    }
    const str = (v: unknown) => (typeof v === "string" ? v : undefined);
    const roles = Array.isArray(payload.roles) ? payload.roles.filter((r): r is string => typeof r === "string") : [];
    const caller: Caller = Object.freeze({
      kind: "entra",
      name: str(payload.name),
      oid: str(payload.oid),
      tenant: str(payload.tid),
      scopes: Object.freeze(scopes),
      roles: Object.freeze(roles),
    });
    if (cacheTtlMs > 0) {
      if (verified.size >= cacheSize) verified.delete(verified.keys().next().value!);
      verified.set(digest, { caller, exp: payload.exp!, nbf: payload.nbf ?? 0, until: Date.now() + cacheTtlMs });
    }
    return { ok: true, caller, exp: payload.exp!, token };
  };
}

/** Hono middleware: verifies the bearer token and puts the caller into `c.var.caller`, or answers 401/403/503. */
export function entraAuth(config: AuthConfig, options: AuthOptions): MiddlewareHandler<AppEnv> {
  const verify = createTokenVerifier(config, options);
  const { logger } = options;
  return async (c, next) => {
    const verdict = await verify(c.req.header("authorization"));
    if (verdict.ok) {
      c.set("caller", verdict.caller);
      const caller = verdict.caller as Extract<Caller, { kind: "entra" }>;
      const authInfo: AuthInfo = { token: verdict.token, clientId: config.clientId, scopes: [...caller.scopes], expiresAt: verdict.exp, extra: { caller } };
      c.set("authInfo", authInfo);
      return next();
    }
    if (verdict.status === 503) {
      logger.error("cannot check tokens: the signing key set is unavailable", { reason: verdict.reason });
      return c.json(jsonRpcErrorBody(-32000, "Service temporarily unavailable"), 503, { "Retry-After": "5" });
    }
    logger.warn("request refused", { status: verdict.status, reason: verdict.reason, path: c.req.path });
    const message = verdict.status === 403 ? "Forbidden" : "Unauthorized";
    return c.json(jsonRpcErrorBody(-32001, message), verdict.status, { "WWW-Authenticate": verdict.challenge ?? "Bearer" });
  };
}
