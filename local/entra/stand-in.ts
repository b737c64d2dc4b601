/**
 * A local stand-in for Microsoft Entra ID with Entra's v2 endpoint paths and token shapes, its own
 * signing keys and JWKS (keys.ts), and the checks the product relies on done strictly:
 *
 * - Several app registrations (one per MCP server of a platform, `apps`), each with its own client
 *   id, redirect URIs, delegated scopes and app roles, all trusting the same managed identity; an
 *   app may require assignment (`assignmentRequired`, the service principal's
 *   app_role_assignment_required): a user holding none of its app roles is then refused
 *   (AADSTS50105, redirected as access_denied).
 * - Several users (`users`, users.ts), their roles issued by every app that defines them; with
 *   several, `/authorize` answers a sign-in page whose POST continues as the chosen user.
 * - `/authorize`: known client, exactly registered redirect URI, PKCE `S256` required, no
 *   `resource` together with `scope` (Entra's AADSTS9010010), the app's own scope requested, no
 *   scopes of two applications in one request (AADSTS28000).
 * - `/token`: authorization code single use and bound to client, redirect URI and PKCE challenge;
 *   the client authenticates ONLY with a client assertion: a JWT this stand-in issued to the
 *   managed identity (audience `api://AzureADTokenExchange`, subject = the identity's principal id,
 *   as the app's federated credential says). Client secrets are refused.
 * - Access tokens are v2-shaped: `iss` `<base>/<tenant>/v2.0`, `aud` = `azp` = the requesting app's client id,
 *   `scp`, `oid`, `tid`, `name`, `preferred_username`, `ver` "2.0", signed by the JWKS at
 *   `<base>/<tenant>/discovery/v2.0/keys`.
 * - `/msi/token`: the managed-identity endpoint (IMDS-shaped) the local gateway's
 *   authentication-managed-identity calls; with a workload's `client_id`, app-only tokens (workloads.ts).
 *
 * Tests of an MCP server use the same stand-in as a token issuer: `mint()` signs access tokens with
 * any claims (valid ones by default, expired, foreign-keyed or unsigned ones on request), and the
 * JWKS can rotate or go unavailable (keys.ts). It is the project's one Entra stand-in.
 *
 *   const entra = await startEntraStandIn();               // any tenant, app and identity
 *   const config = loadConfig({ ...entra.env });             // ENTRA_TENANT_ID / ENTRA_CLIENT_ID / ENTRA_JWKS_URI / ENTRA_ISSUER
 *   const token = await entra.mint();                        // valid for the app, as the test user
 *   const expired = await entra.mint({ claims: { exp: entra.now() - 3600 } });
 */
import http from "node:http";
import { createHash, randomBytes, randomUUID } from "node:crypto";
import type { AddressInfo } from "node:net";
import { createLocalJWKSet, jwtVerify } from "jose";
import { aadError, PKCE_VERIFIER, readForm, safeEqual } from "./http.js";
import { newSigningKey, SigningKeys, type SigningKey, type SignOptions } from "./keys.js";
import { signInPage, userDirectory, type EntraUser } from "./users.js";
import { resourceApp, workloadTokenClaims, type EntraAgentAssignment } from "./workloads.js";

export type { SigningKey } from "./keys.js";
export { DEFAULT_TEST_USER, defaultUser, parseEntraUsers, type EntraUser } from "./users.js";

export interface EntraAppOptions {
  readonly clientId: string;
  /** Web redirect URIs (the gateway's `/oauth-callback`). */
  readonly redirectUris: readonly string[];
  /** Delegated scope name. @default "user_impersonate" */
  readonly scopeName?: string;
  /** Further delegated scopes the app exposes, granted (in `scp`) when requested. @default none */
  readonly extraScopeNames?: readonly string[];
  /** The values of the app roles it defines: a user's roles among them are issued in `roles`. @default none */
  readonly appRoles?: readonly string[];
  /** Only users holding one of its roles may sign in (app_role_assignment_required; else AADSTS50105). @default false */
  readonly assignmentRequired?: boolean;
  /** Workload identities (agents) and the app roles assigned to them in this app: `/msi/token` issues their app-only tokens. @default none */
  readonly agents?: readonly EntraAgentAssignment[];
}

export interface EntraStandInOptions {
  /** Tenant id (GUID). @default a random GUID */
  readonly tenantId?: string;
  /** The MCP server's app registration. @default a random client id, no redirect URIs (unless `apps`) */
  readonly app?: EntraAppOptions;
  /**
   * Several app registrations, one per MCP server (instead of `app`); the first is the one `mint()`,
   * `clientId` and `env` speak of. Each signs in and redeems codes as itself (aud = azp = its client id).
   * @default [app]
   */
  readonly apps?: readonly EntraAppOptions[];
  /** The gateway's user-assigned managed identity, trusted by the app's federated credential. @default random ids */
  readonly managedIdentity?: { readonly clientId: string; readonly principalId: string };
  /** The one user (instead of `users`). @default a "Local Test User" with a fixed oid */
  readonly user?: EntraUser;
  /** Several users (instead of `user`; the first is `mint()`'s): /authorize answers a sign-in page. @default [user] */
  readonly users?: readonly EntraUser[];
  /** @default 0 (any free port) */
  readonly port?: number;
  /** Access-token lifetime. @default 3600 */
  readonly accessTokenLifetimeSeconds?: number;
}

export interface EntraStandIn {
  /** `http://127.0.0.1:<port>` */
  readonly baseUrl: string;
  /** `<base>/<tenant>/v2.0`, the `iss` of every token. */
  readonly issuer: string;
  readonly authorizeUrl: string;
  readonly tokenUrl: string;
  readonly jwksUri: string;
  readonly openidConfigurationUrl: string;
  readonly managedIdentityTokenUrl: string;
  readonly tenantId: string;
  /** The (first) user: `mint()` signs for them. */
  readonly user: EntraUser;
  /** Every user, in the order given. */
  readonly users: readonly EntraUser[];
  /** As an administrator in Entra: replaces a user's app roles for the tokens issued from now on. */
  assignRoles(oid: string, roles: readonly string[]): void;
  /** Successful token grants so far, by grant type (tests use it to see upstream refreshes). */
  readonly grants: Readonly<Record<"authorization_code" | "refresh_token" | "managed_identity", number>>;
  /** Every request body the token endpoint received, in order (tests check what the gateway sent). */
  readonly tokenRequests: readonly URLSearchParams[];
  /** The (first) app's client id. */
  readonly clientId: string;
  /** Every app's client id, in the order given. */
  readonly clientIds: readonly string[];
  /** Environment for an MCP server checking tokens against this stand-in. */
  readonly env: Readonly<Record<string, string>>;
  /** JWKS requests served so far. */
  readonly jwksFetches: number;
  /** Keys currently published in the JWKS. */
  readonly publishedKids: readonly string[];
  /** Seconds since the epoch. */
  now(): number;
  /** Issues a token as the managed identity would get it (tests use it to build assertions). */
  managedIdentityToken(resource: string): Promise<string>;
  /** Signs an access token; the defaults make it valid for the app, as the test user. */
  mint(options?: MintOptions): Promise<string>;
  /** A fresh key pair that is NOT published (for "wrong key" tests). */
  createKey(): Promise<SigningKey>;
  /** Publishes a new key and signs with it from now on (the old ones stay published unless `retireOld`). */
  rotate(options?: { retireOld?: boolean }): Promise<SigningKey>;
  /** Makes the JWKS endpoint answer 503 until called with false. */
  setUnavailable(unavailable: boolean): void;
  close(): Promise<void>;
}

export interface MintOptions extends SignOptions {
  /** Claims to set (overriding the defaults) or, with `undefined`, to remove. */
  readonly claims?: Readonly<Record<string, unknown>>;
}

const ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
const EXCHANGE_AUDIENCE = "api://AzureADTokenExchange";
const CODE_TTL_MS = 10 * 60 * 1000;

interface PendingCode {
  readonly clientId: string;
  readonly redirectUri: string;
  readonly challenge: string;
  readonly scope: string;
  readonly nonce?: string;
  readonly user: EntraUser;
  readonly expiresAt: number;
}

interface RefreshGrant {
  readonly clientId: string;
  readonly scope: string;
  readonly user: EntraUser;
}

/** Starts the stand-in on 127.0.0.1. */
export async function startEntraStandIn(options: EntraStandInOptions = {}): Promise<EntraStandIn> {
  const tenant = options.tenantId ?? randomUUID();
  if (options.app && options.apps) throw new Error("startEntraStandIn: give either app or apps, not both");
  const appList = options.apps ?? [options.app ?? { clientId: randomUUID(), redirectUris: [] }];
  if (appList.length === 0) throw new Error("startEntraStandIn: apps is empty; expected at least one app registration");
  const app = appList[0]!;
  const managedIdentity = options.managedIdentity ?? { clientId: randomUUID(), principalId: randomUUID() };
  const scopeName = app.scopeName ?? "user_impersonate";
  const directory = userDirectory(options.user, options.users);
  const { users } = directory;
  const user = users[0]!;
  const lifetime = options.accessTokenLifetimeSeconds ?? 3600;
  /** Per app (by client id): its redirect URIs, base scope and requested scope (both Entra forms) -> its name in `scp`. */
  const apps = new Map<string, { readonly redirectUris: readonly string[]; readonly scopeName: string; readonly scopes: ReadonlyMap<string, string>; readonly appRoles: readonly string[]; readonly assignmentRequired: boolean; readonly agents: readonly EntraAgentAssignment[] }>();
  /** Requested scope (both forms, any app) -> the client id of the app that exposes it. */
  const scopeOwner = new Map<string, string>();
  for (const a of appList) {
    if (apps.has(a.clientId)) throw new Error(`startEntraStandIn: client id ${a.clientId} is given twice; expected one entry per app registration`);
    const base = a.scopeName ?? "user_impersonate";
    const scopes = new Map<string, string>([base, ...(a.extraScopeNames ?? [])].flatMap((name) => [[`api://${a.clientId}/${name}`, name], [`${a.clientId}/${name}`, name]]));
    for (const s of scopes.keys()) scopeOwner.set(s, a.clientId);
    apps.set(a.clientId, { redirectUris: a.redirectUris, scopeName: base, scopes, appRoles: a.appRoles ?? [], assignmentRequired: a.assignmentRequired ?? false, agents: a.agents ?? [] });
  }
  /** The requested scopes that name another registered app than `clientId` (Entra: one resource per request). */
  const foreignScopes = (clientId: string, requested: readonly string[]) => requested.filter((s) => scopeOwner.has(s) && scopeOwner.get(s) !== clientId);

  const paths = {
    authorize: `/${tenant}/oauth2/v2.0/authorize`,
    token: `/${tenant}/oauth2/v2.0/token`,
    jwks: `/${tenant}/discovery/v2.0/keys`,
    openid: `/${tenant}/v2.0/.well-known/openid-configuration`,
    msi: "/msi/token",
  };
  const keys = await SigningKeys.create();
  const tokenRequests: URLSearchParams[] = [];
  const pending = new Map<string, PendingCode>();
  const grants = { authorization_code: 0, refresh_token: 0, managed_identity: 0 };
  const refreshTokens = new Map<string, RefreshGrant>();

  let baseUrl = "";
  let issuer = "";

  const now = () => Math.floor(Date.now() / 1000);
  const buildToken = (claims: Record<string, unknown>, expiresIn = lifetime) => {
    const t = now();
    return keys.sign({ iss: issuer, iat: t, nbf: t, exp: t + expiresIn, ...claims });
  };

  const managedIdentityToken = (resource: string) =>
    buildToken({
      aud: resource,
      sub: managedIdentity.principalId,
      oid: managedIdentity.principalId,
      azp: managedIdentity.clientId,
      appid: managedIdentity.clientId,
      tid: tenant,
      idtyp: "app",
      ver: "2.0",
    });

  const verifyAssertion = async (assertion: string): Promise<string | undefined> => {
    try {
      const jwks = createLocalJWKSet(keys.jwks());
      await jwtVerify(assertion, jwks, {
        issuer,
        audience: EXCHANGE_AUDIENCE,
        subject: managedIdentity.principalId,
        algorithms: ["RS256"],
        clockTolerance: 60,
      });
      return undefined;
    } catch (e) {
      return (e as Error).message;
    }
  };

  const issueTokens = async (clientId: string, scope: string, nonce: string | undefined, who: EntraUser) => {
    const requested = scope.split(/\s+/).filter(Boolean);
    const appScopes = apps.get(clientId)!.scopes;
    const granted = requested.filter((s) => appScopes.has(s));
    const roles = directory.rolesIn(who, apps.get(clientId)!.appRoles);
    const claims: Record<string, unknown> = { ...accessTokenClaims(clientId, [...new Set(granted.map((s) => appScopes.get(s)!))].join(" "), who), ...(roles.length ? { roles } : {}) };
    const body: Record<string, unknown> = {
      token_type: "Bearer",
      scope: granted.join(" "),
      expires_in: lifetime,
      ext_expires_in: lifetime,
      access_token: await buildToken(claims),
    };
    if (requested.includes("offline_access")) {
      const rt = randomBytes(32).toString("base64url");
      refreshTokens.set(rt, { clientId, scope, user: who });
      body.refresh_token = rt;
    }
    if (requested.includes("openid")) {
      body.id_token = await buildToken({
        aud: clientId,
        sub: claims.sub,
        oid: who.oid,
        tid: tenant,
        name: who.name,
        preferred_username: who.preferredUsername,
        ver: "2.0",
        ...(nonce ? { nonce } : {}),
      });
    }
    return body;
  };

  /** The claims of a user's access token for the app `clientId` with scopes `scp` (mint() signs these by default, for the first user with the base scope). */
  const accessTokenClaims = (clientId: string, scp: string = scopeName, who: EntraUser = user): Record<string, unknown> => ({
    aud: clientId,
    azp: clientId,
    azpacr: "2",
    scp,
    oid: who.oid,
    sub: createHash("sha256").update(`${who.oid}:${clientId}`).digest("base64url").slice(0, 43),
    tid: tenant,
    name: who.name,
    preferred_username: who.preferredUsername,
    ver: "2.0",
  });

  /**
   * GET /authorize (the query) and POST /authorize (the sign-in page's form, with `user`): checks the request, then
   * signs in the one user at once, answers the sign-in page (several users, GET), or continues as the chosen user.
   */
  const authorize = (res: http.ServerResponse, q: URLSearchParams, chosen: string | null) => {
    const clientId = q.get("client_id");
    const redirectUri = q.get("redirect_uri");
    const registered = clientId === null ? undefined : apps.get(clientId);
    if (!registered) return aadError(res, 400, "unauthorized_client", 700016, `Application with identifier '${clientId ?? ""}' was not found in the directory.`);
    if (!redirectUri || !registered.redirectUris.includes(redirectUri)) {
      return aadError(res, 400, "invalid_request", 50011, `The redirect URI '${redirectUri ?? ""}' specified in the request does not match the redirect URIs configured for the application.`);
    }
    const fail = (error: string, code: number, description: string) => {
      const back = new URL(redirectUri);
      back.searchParams.set("error", error);
      back.searchParams.set("error_description", `AADSTS${code}: ${description}`);
      const state = q.get("state");
      if (state) back.searchParams.set("state", state);
      res.writeHead(302, { Location: back.toString() }).end();
    };
    if (q.get("response_type") !== "code") return fail("unsupported_response_type", 70005, "response_type must be 'code'.");
    if (q.has("resource")) return fail("invalid_request", 9010010, "The resource parameter provided in the request doesn't match with the requested scopes.");
    const challenge = q.get("code_challenge");
    if (!challenge || q.get("code_challenge_method") !== "S256" || !/^[A-Za-z0-9_-]{43}$/.test(challenge)) {
      return fail("invalid_request", 501491, "PKCE with code_challenge_method S256 is required by this stand-in.");
    }
    const scopes = (q.get("scope") ?? "").split(/\s+/).filter(Boolean);
    if (foreignScopes(clientId!, scopes).length) return fail("invalid_scope", 28000, `Provided value for the input parameter scope is not valid because it contains more than one resource: ${foreignScopes(clientId!, scopes).join(" ")}.`);
    if (!scopes.some((s) => registered.scopes.has(s))) return fail("invalid_scope", 70011, `The provided scope must include api://${clientId!}/${registered.scopeName}.`);
    if (chosen === null && users.length > 1) {
      res.writeHead(200, { "Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store", "X-Frame-Options": "DENY" });
      return res.end(signInPage(paths.authorize, q, users));
    }
    const who = chosen === null ? user : users.find((u) => u.oid === chosen);
    if (!who) return aadError(res, 400, "invalid_request", 50034, `The user account '${chosen ?? ""}' does not exist in this stand-in's directory; expected the oid of one of its users.`);
    if (registered.assignmentRequired && directory.rolesIn(who, registered.appRoles).length === 0) {
      return fail("access_denied", 50105, `Your administrator has configured the application ${clientId!} to block users unless they are specifically granted ('assigned') access to the application. The signed in user '${who.preferredUsername}' is blocked because they are not assigned to a role of the application.`);
    }
    const code = randomBytes(32).toString("base64url");
    pending.set(code, { clientId: clientId!, redirectUri, challenge, scope: q.get("scope") ?? "", nonce: q.get("nonce") ?? undefined, user: who, expiresAt: Date.now() + CODE_TTL_MS });
    const back = new URL(redirectUri);
    back.searchParams.set("code", code);
    const state = q.get("state");
    if (state !== null) back.searchParams.set("state", state);
    res.writeHead(302, { Location: back.toString(), "Cache-Control": "no-store" }).end();
  };

  const token = async (req: http.IncomingMessage, res: http.ServerResponse) => {
    if (!/^application\/x-www-form-urlencoded\b/i.test(req.headers["content-type"] ?? "")) {
      return aadError(res, 400, "invalid_request", 900144, "The request body must be application/x-www-form-urlencoded.");
    }
    const form = await readForm(req);
    if (!form) return aadError(res, 400, "invalid_request", 90009, "The request body is too large.");
    tokenRequests.push(form);
    const clientId = form.get("client_id");
    if (clientId === null || !apps.has(clientId)) return aadError(res, 400, "unauthorized_client", 700016, `Application with identifier '${clientId ?? ""}' was not found in the directory.`);
    const requestedScope = (form.get("scope") ?? "").split(/\s+/).filter(Boolean);
    if (foreignScopes(clientId, requestedScope).length) {
      return aadError(res, 400, "invalid_scope", 28000, `Provided value for the input parameter scope is not valid because it contains more than one resource: ${foreignScopes(clientId, requestedScope).join(" ")}.`);
    }
    if (form.has("client_secret") || req.headers.authorization) {
      return aadError(res, 401, "invalid_client", 7000215, "Client secrets are not accepted: this app authenticates with a federated managed-identity assertion.");
    }
    if (form.get("client_assertion_type") !== ASSERTION_TYPE || !form.get("client_assertion")) {
      return aadError(res, 401, "invalid_client", 7000218, "The request body must contain client_assertion and client_assertion_type.");
    }
    const assertionProblem = await verifyAssertion(form.get("client_assertion")!);
    if (assertionProblem) return aadError(res, 401, "invalid_client", 700211, `The client assertion is not valid for the federated credential: ${assertionProblem}.`);

    const grant = form.get("grant_type");
    if (grant === "authorization_code") {
      const code = form.get("code") ?? "";
      const p = pending.get(code);
      pending.delete(code); // single use, whatever happens next
      if (!p || p.expiresAt < Date.now()) return aadError(res, 400, "invalid_grant", 70008, "The provided authorization code is invalid, expired or already redeemed.");
      if (p.clientId !== clientId) return aadError(res, 400, "invalid_grant", 70008, "The authorization code was issued to another client.");
      if (form.get("redirect_uri") !== p.redirectUri) return aadError(res, 400, "invalid_grant", 70000, "The redirect_uri does not match the one of the authorization request.");
      const verifier = form.get("code_verifier") ?? "";
      if (!PKCE_VERIFIER.test(verifier)) return aadError(res, 400, "invalid_grant", 501481, "The code_verifier is missing or malformed.");
      const computed = createHash("sha256").update(verifier).digest("base64url");
      if (!safeEqual(computed, p.challenge)) return aadError(res, 400, "invalid_grant", 501481, "The code_verifier does not match the code_challenge supplied in the authorization request.");
      const body = await issueTokens(clientId, form.get("scope") ?? p.scope, p.nonce, p.user);
      grants.authorization_code++;
      res.writeHead(200, { "Content-Type": "application/json; charset=utf-8", "Cache-Control": "no-store" });
      return res.end(JSON.stringify(body));
    }
    if (grant === "refresh_token") {
      const rt = form.get("refresh_token") ?? "";
      const g = refreshTokens.get(rt);
      if (!g || g.clientId !== clientId) return aadError(res, 400, "invalid_grant", 9002313, "The refresh token is invalid or was issued to another client.");
      refreshTokens.delete(rt);
      const body = await issueTokens(clientId, form.get("scope") ?? g.scope, undefined, g.user);
      grants.refresh_token++;
      res.writeHead(200, { "Content-Type": "application/json; charset=utf-8", "Cache-Control": "no-store" });
      return res.end(JSON.stringify(body));
    }
    return aadError(res, 400, "unsupported_grant_type", 70003, `The grant type '${grant ?? ""}' is not supported.`);
  };

  const msi = async (res: http.ServerResponse, url: URL, req: http.IncomingMessage) => {
    if (req.headers.metadata !== "true") return aadError(res, 400, "invalid_request", 0, "Required metadata header not specified.");
    const resource = url.searchParams.get("resource");
    const cid = url.searchParams.get("client_id");
    if (!resource) return aadError(res, 400, "invalid_request", 0, "Required query variable 'resource' is missing.");
    const workload = cid !== null && cid !== "" && cid !== managedIdentity.clientId;
    const target = workload ? resourceApp(resource, apps) : undefined;
    if (workload && target === undefined) return aadError(res, 400, "invalid_resource", 500011, `The resource principal named ${resource} was not found in the tenant named ${tenant}.`);
    const accessToken = workload ? await buildToken(workloadTokenClaims(tenant, target!, apps.get(target!)!, cid)) : await managedIdentityToken(resource);
    grants.managed_identity++;
    const now = Math.floor(Date.now() / 1000);
    res.writeHead(200, { "Content-Type": "application/json" });
    res.end(
      JSON.stringify({
        access_token: accessToken,
        client_id: workload ? cid : managedIdentity.clientId,
        expires_in: String(lifetime),
        expires_on: String(now + lifetime),
        not_before: String(now),
        resource,
        token_type: "Bearer",
      }),
    );
  };

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const method = req.method ?? "GET";
    void (async () => {
      if (method === "GET" && url.pathname === paths.openid) {
        res.writeHead(200, { "Content-Type": "application/json" });
        return res.end(
          JSON.stringify({
            issuer,
            authorization_endpoint: `${baseUrl}${paths.authorize}`,
            token_endpoint: `${baseUrl}${paths.token}`,
            jwks_uri: `${baseUrl}${paths.jwks}`,
            response_types_supported: ["code"],
            response_modes_supported: ["query"],
            subject_types_supported: ["pairwise"],
            id_token_signing_alg_values_supported: ["RS256"],
            scopes_supported: ["openid", "profile", "email", "offline_access"],
            token_endpoint_auth_methods_supported: ["private_key_jwt"],
            tenant_region_scope: "local",
          }),
        );
      }
      if (method === "GET" && url.pathname === paths.jwks) {
        keys.fetches++;
        if (keys.unavailable) return aadError(res, 503, "temporarily_unavailable", 90033, "The key set is unavailable (stand-in switched off).");
        res.writeHead(200, { "Content-Type": "application/json" });
        return res.end(JSON.stringify(keys.jwks()));
      }
      if (method === "GET" && url.pathname === paths.authorize) return authorize(res, url.searchParams, null);
      if (method === "POST" && url.pathname === paths.authorize) {
        const form = await readForm(req);
        if (!form) return aadError(res, 400, "invalid_request", 90009, "The request body is too large.");
        const chosen = form.get("user") ?? "";
        form.delete("user");
        return authorize(res, form, chosen);
      }
      if (method === "POST" && url.pathname === paths.token) return token(req, res);
      if (method === "GET" && url.pathname === paths.msi) return msi(res, url, req);
      res.writeHead(404, { "Content-Type": "application/json" }).end(JSON.stringify({ error: "not_found" }));
    })().catch((e: unknown) => {
      if (!res.headersSent) aadError(res, 500, "server_error", 50000, `stand-in failure: ${(e as Error).message}`);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, "127.0.0.1", () => resolve());
  });
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  issuer = `${baseUrl}/${tenant}/v2.0`;

  return {
    baseUrl,
    issuer,
    authorizeUrl: `${baseUrl}${paths.authorize}`,
    tokenUrl: `${baseUrl}${paths.token}`,
    jwksUri: `${baseUrl}${paths.jwks}`,
    openidConfigurationUrl: `${baseUrl}${paths.openid}`,
    managedIdentityTokenUrl: `${baseUrl}${paths.msi}`,
    tenantId: tenant,
    user,
    users,
    assignRoles: directory.assignRoles,
    grants,
    tokenRequests,
    clientId: app.clientId,
    clientIds: [...apps.keys()],
    env: { ENTRA_TENANT_ID: tenant, ENTRA_CLIENT_ID: app.clientId, ENTRA_JWKS_URI: `${baseUrl}${paths.jwks}`, ENTRA_ISSUER: issuer, MCP_REQUIRED_SCOPE: scopeName },
    get jwksFetches() {
      return keys.fetches;
    },
    get publishedKids() {
      return keys.publishedKids;
    },
    now,
    managedIdentityToken,
    mint: (mint: MintOptions = {}) => {
      const t = now();
      const claims: Record<string, unknown> = { ...accessTokenClaims(app.clientId), iss: issuer, iat: t - 5, nbf: t - 5, exp: t + lifetime, uti: randomUUID() };
      for (const [name, value] of Object.entries(mint.claims ?? {})) {
        if (value === undefined) delete claims[name];
        else claims[name] = value;
      }
      return keys.sign(claims, mint);
    },
    createKey: newSigningKey,
    rotate: (rotation) => keys.rotate(rotation),
    setUnavailable: (value) => {
      keys.unavailable = value;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
