import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHash, randomBytes } from "node:crypto";
import { createRemoteJWKSet, jwtVerify, SignJWT, generateKeyPair, decodeJwt } from "jose";
import { startEntraStandIn, type EntraStandIn } from "../../local/entra/stand-in.js";

const TENANT = "72f988bf-0000-4000-8000-000000000001";
const CLIENT = "6a1b2c3d-0000-4000-8000-000000000002";
const MI = { clientId: "0f0f0f0f-0000-4000-8000-000000000003", principalId: "9e9e9e9e-0000-4000-8000-000000000004" };
const REDIRECT = "http://127.0.0.1:9999/oauth-callback";
const SCOPE = `api://${CLIENT}/user_impersonate openid profile offline_access`;

let entra: EntraStandIn;
beforeAll(async () => {
  entra = await startEntraStandIn({ tenantId: TENANT, app: { clientId: CLIENT, redirectUris: [REDIRECT] }, managedIdentity: MI });
});
afterAll(() => entra.close());

function pkce() {
  const verifier = randomBytes(32).toString("base64url");
  return { verifier, challenge: createHash("sha256").update(verifier).digest("base64url") };
}

async function authorize(params: Record<string, string>) {
  const u = new URL(entra.authorizeUrl);
  for (const [k, v] of Object.entries({ client_id: CLIENT, redirect_uri: REDIRECT, response_type: "code", scope: SCOPE, state: "s1", ...params })) u.searchParams.set(k, v);
  return fetch(u, { redirect: "manual" });
}

async function getCode(challenge: string) {
  const res = await authorize({ code_challenge: challenge, code_challenge_method: "S256" });
  expect(res.status).toBe(302);
  const loc = new URL(res.headers.get("location")!);
  expect(loc.searchParams.get("state")).toBe("s1");
  return loc.searchParams.get("code")!;
}

async function token(form: Record<string, string>) {
  return fetch(entra.tokenUrl, { method: "POST", headers: { "Content-Type": "application/x-www-form-urlencoded" }, body: new URLSearchParams(form) });
}

async function assertion() {
  return entra.managedIdentityToken("api://AzureADTokenExchange");
}

async function redeem(code: string, verifier: string, extra: Record<string, string> = {}) {
  return token({
    grant_type: "authorization_code",
    client_id: CLIENT,
    code,
    redirect_uri: REDIRECT,
    code_verifier: verifier,
    client_assertion_type: "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
    client_assertion: await assertion(),
    ...extra,
  });
}

describe("Entra stand-in", () => {
  it("publishes Entra-shaped discovery", async () => {
    const doc = (await (await fetch(entra.openidConfigurationUrl)).json()) as Record<string, string>;
    expect(doc.issuer).toBe(`${entra.baseUrl}/${TENANT}/v2.0`);
    expect(doc.jwks_uri).toBe(`${entra.baseUrl}/${TENANT}/discovery/v2.0/keys`);
    expect(doc.token_endpoint).toBe(`${entra.baseUrl}/${TENANT}/oauth2/v2.0/token`);
  });

  it("issues v2 access tokens for the test user, signed by its JWKS, after PKCE and assertion checks", async () => {
    const { verifier, challenge } = pkce();
    const res = await redeem(await getCode(challenge), verifier);
    expect(res.status).toBe(200);
    expect(res.headers.get("cache-control")).toBe("no-store");
    const body = (await res.json()) as Record<string, string>;
    const { payload } = await jwtVerify(body.access_token!, createRemoteJWKSet(new URL(entra.jwksUri)), { issuer: entra.issuer, audience: CLIENT });
    expect(payload).toMatchObject({ azp: CLIENT, scp: "user_impersonate", oid: entra.user.oid, tid: TENANT, name: "Local Test User", ver: "2.0" });
    expect(body.scope).toBe(`api://${CLIENT}/user_impersonate`);
    expect(body.refresh_token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(decodeJwt(body.id_token!)).toMatchObject({ aud: CLIENT, oid: entra.user.oid });
  });

  it("redeems a code once only", async () => {
    const { verifier, challenge } = pkce();
    const code = await getCode(challenge);
    expect((await redeem(code, verifier)).status).toBe(200);
    const again = await redeem(code, verifier);
    expect(again.status).toBe(400);
    expect(await again.json()).toMatchObject({ error: "invalid_grant" });
  });

  it("refuses a wrong code_verifier", async () => {
    const { challenge } = pkce();
    const res = await redeem(await getCode(challenge), pkce().verifier);
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error_description: string }).error_description).toMatch(/code_verifier does not match/);
  });

  it("refuses a missing code_verifier", async () => {
    const { challenge } = pkce();
    const code = await getCode(challenge);
    const res = await redeem(code, "");
    expect(await res.json()).toMatchObject({ error: "invalid_grant" });
  });

  it("refuses a redirect_uri different from the authorization request's", async () => {
    const { verifier, challenge } = pkce();
    const res = await redeem(await getCode(challenge), verifier, { redirect_uri: "http://127.0.0.1:9999/other" });
    expect(await res.json()).toMatchObject({ error: "invalid_grant" });
  });

  it("refuses authorize without S256 PKCE, with plain PKCE, and with resource next to scope", async () => {
    const cases: Record<string, string>[] = [{}, { code_challenge: pkce().challenge, code_challenge_method: "plain" }, { code_challenge: pkce().challenge, code_challenge_method: "S256", resource: "http://x" }];
    for (const params of cases) {
      const res = await authorize(params);
      expect(res.status).toBe(302);
      const loc = new URL(res.headers.get("location")!);
      expect(loc.searchParams.get("error")).toBe("invalid_request");
      expect(loc.searchParams.get("code")).toBeNull();
    }
  });

  it("refuses an unregistered redirect URI without redirecting", async () => {
    const res = await authorize({ redirect_uri: "http://127.0.0.1:9999/evil", code_challenge: pkce().challenge, code_challenge_method: "S256" });
    expect(res.status).toBe(400);
    expect(res.headers.get("location")).toBeNull();
  });

  it("refuses a client secret, a missing assertion, and assertions with the wrong audience, subject or signer", async () => {
    const { verifier, challenge } = pkce();
    const code = await getCode(challenge);
    const expectInvalidClient = async (res: Response) => {
      expect(res.status).toBe(401);
      expect(await res.json()).toMatchObject({ error: "invalid_client" });
    };
    await expectInvalidClient(await redeem(code, verifier, { client_secret: "s" }));
    await expectInvalidClient(await token({ grant_type: "authorization_code", client_id: CLIENT, code, redirect_uri: REDIRECT, code_verifier: verifier }));
    await expectInvalidClient(await redeem(code, verifier, { client_assertion: await entra.managedIdentityToken("api://other") }));
    const { privateKey } = await generateKeyPair("RS256");
    const forged = await new SignJWT({}).setProtectedHeader({ alg: "RS256", kid: "x" }).setIssuer(entra.issuer).setAudience("api://AzureADTokenExchange").setSubject(MI.principalId).setIssuedAt().setExpirationTime("5m").sign(privateKey);
    await expectInvalidClient(await redeem(code, verifier, { client_assertion: forged }));
  });

  it("rotates refresh tokens: a used refresh token stops working", async () => {
    const { verifier, challenge } = pkce();
    const first = (await (await redeem(await getCode(challenge), verifier)).json()) as Record<string, string>;
    const refresh = async (rt: string) =>
      token({ grant_type: "refresh_token", client_id: CLIENT, refresh_token: rt, client_assertion_type: "urn:ietf:params:oauth:client-assertion-type:jwt-bearer", client_assertion: await assertion() });
    const second = await refresh(first.refresh_token!);
    expect(second.status).toBe(200);
    const reused = await refresh(first.refresh_token!);
    expect(await reused.json()).toMatchObject({ error: "invalid_grant" });
  });

  it("serves managed-identity tokens only with the Metadata header and for its own identity", async () => {
    const u = new URL(entra.managedIdentityTokenUrl);
    u.searchParams.set("resource", "api://AzureADTokenExchange");
    expect((await fetch(u)).status).toBe(400);
    const ok = (await (await fetch(u, { headers: { Metadata: "true" } })).json()) as { access_token: string };
    expect(decodeJwt(ok.access_token)).toMatchObject({ aud: "api://AzureADTokenExchange", sub: MI.principalId, iss: entra.issuer });
    u.searchParams.set("client_id", "someone-else");
    expect((await fetch(u, { headers: { Metadata: "true" } })).status).toBe(400);
  });

  it("refuses a token request that is not form-encoded and an unknown grant type", async () => {
    const res = await fetch(entra.tokenUrl, { method: "POST", headers: { "Content-Type": "application/json" }, body: "{}" });
    expect(res.status).toBe(400);
    const res2 = await token({ grant_type: "password", client_id: CLIENT, client_assertion_type: "urn:ietf:params:oauth:client-assertion-type:jwt-bearer", client_assertion: await assertion() });
    expect(await res2.json()).toMatchObject({ error: "unsupported_grant_type" });
  });
});

describe("Entra stand-in as a token issuer for MCP server tests", () => {
  it("starts without options, with random ids, and gives the MCP server's environment", async () => {
    const other = await startEntraStandIn();
    try {
      expect(other.tenantId).toMatch(/^[0-9a-f-]{36}$/);
      expect(other.clientId).not.toBe(other.tenantId);
      expect(other.env).toEqual({
        ENTRA_TENANT_ID: other.tenantId,
        ENTRA_CLIENT_ID: other.clientId,
        ENTRA_JWKS_URI: other.jwksUri,
        ENTRA_ISSUER: other.issuer,
        MCP_REQUIRED_SCOPE: "user_impersonate",
      });
    } finally {
      await other.close();
    }
  });

  it("mints access tokens valid for the app as the test user, with claims changed or removed on request", async () => {
    const jwks = createRemoteJWKSet(new URL(entra.jwksUri));
    const { payload } = await jwtVerify(await entra.mint(), jwks, { issuer: entra.issuer, audience: CLIENT });
    expect(payload).toMatchObject({ aud: CLIENT, azp: CLIENT, scp: "user_impersonate", oid: entra.user.oid, name: entra.user.name, tid: TENANT, ver: "2.0" });
    expect(payload.exp! - entra.now()).toBeGreaterThan(3000);
    const changed = decodeJwt(await entra.mint({ claims: { scp: "other", azp: undefined } }));
    expect(changed.scp).toBe("other");
    expect(changed).not.toHaveProperty("azp");
    expect((await entra.mint({ alg: "none" })).split(".")[2]).toBe("");
  });

  it("signs with a foreign key on request, rotates keys and retires old ones from the JWKS", async () => {
    const other = await startEntraStandIn();
    try {
      const jwks = () => createRemoteJWKSet(new URL(other.jwksUri));
      const foreign = await other.createKey();
      await expect(jwtVerify(await other.mint({ key: foreign, kid: other.publishedKids[0] }), jwks())).rejects.toThrow();
      const old = await other.mint();
      const first = other.publishedKids[0];
      await other.rotate();
      expect(other.publishedKids).toHaveLength(2);
      await jwtVerify(old, jwks());
      await other.rotate({ retireOld: true });
      expect(other.publishedKids).toHaveLength(1);
      expect(other.publishedKids).not.toContain(first);
      await expect(jwtVerify(old, jwks())).rejects.toThrow();
      await jwtVerify(await other.mint(), jwks());
    } finally {
      await other.close();
    }
  });

  it("counts JWKS fetches and answers 503 while switched off", async () => {
    const before = entra.jwksFetches;
    entra.setUnavailable(true);
    expect((await fetch(entra.jwksUri)).status).toBe(503);
    entra.setUnavailable(false);
    expect((await fetch(entra.jwksUri)).status).toBe(200);
    expect(entra.jwksFetches).toBe(before + 2);
  });

  it("keeps every token request's form, for tests of what a client sent", async () => {
    const before = entra.tokenRequests.length;
    await token({ grant_type: "password", client_id: CLIENT });
    expect(entra.tokenRequests.length).toBe(before + 1);
    expect(entra.tokenRequests.at(-1)!.get("grant_type")).toBe("password");
  });
});

describe("Entra stand-in: extra delegated scopes and app roles (per-tool authorization)", () => {
  it("grants an extra scope the app exposes only when requested, and issues the user's app roles", async () => {
    const roles = await startEntraStandIn({
      tenantId: TENANT,
      app: { clientId: CLIENT, redirectUris: [REDIRECT], extraScopeNames: ["forecast.read"] },
      managedIdentity: MI,
      user: { oid: "11111111-2222-4333-8444-555555555556", name: "Role User", preferredUsername: "role.user@contoso.example", roles: ["Weather.Auditor"] },
    });
    try {
      const tokenFor = async (scope: string) => {
        const { verifier, challenge } = pkce();
        const u = new URL(roles.authorizeUrl);
        for (const [k, v] of Object.entries({ client_id: CLIENT, redirect_uri: REDIRECT, response_type: "code", scope, state: "s", code_challenge: challenge, code_challenge_method: "S256" })) u.searchParams.set(k, v);
        const code = new URL((await fetch(u, { redirect: "manual" })).headers.get("location")!).searchParams.get("code")!;
        const res = await fetch(roles.tokenUrl, {
          method: "POST",
          headers: { "Content-Type": "application/x-www-form-urlencoded" },
          body: new URLSearchParams({
            grant_type: "authorization_code",
            client_id: CLIENT,
            code,
            redirect_uri: REDIRECT,
            code_verifier: verifier,
            client_assertion_type: "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            client_assertion: await roles.managedIdentityToken("api://AzureADTokenExchange"),
          }),
        });
        expect(res.status).toBe(200);
        return decodeJwt(((await res.json()) as { access_token: string }).access_token);
      };
      const base = await tokenFor(`api://${CLIENT}/user_impersonate openid`);
      expect(base.scp).toBe("user_impersonate");
      expect(base.roles).toEqual(["Weather.Auditor"]);
      const both = await tokenFor(`api://${CLIENT}/user_impersonate api://${CLIENT}/forecast.read openid`);
      expect(both.scp).toBe("user_impersonate forecast.read");
    } finally {
      await roles.close();
    }
    // The default user has no roles: no claim at all.
    const { verifier, challenge } = pkce();
    const code = await getCode(challenge);
    const plain = decodeJwt(((await (await redeem(code, verifier)).json()) as { access_token: string }).access_token);
    expect(plain).not.toHaveProperty("roles");
    expect(plain.scp).toBe("user_impersonate");
  });
});

describe("Entra stand-in: several app registrations (one per MCP server of a platform)", () => {
  const TICKETS = "7b2c3d4e-0000-4000-8000-000000000005";
  const TICKETS_REDIRECT = "http://127.0.0.1:9998/oauth-callback";
  const start = () =>
    startEntraStandIn({
      tenantId: TENANT,
      apps: [
        { clientId: CLIENT, redirectUris: [REDIRECT] },
        { clientId: TICKETS, redirectUris: [TICKETS_REDIRECT], extraScopeNames: ["tickets.write"] },
      ],
      managedIdentity: MI,
    });

  async function signIn(stand: EntraStandIn, clientId: string, redirectUri: string, scope: string) {
    const { verifier, challenge } = pkce();
    const u = new URL(stand.authorizeUrl);
    for (const [k, v] of Object.entries({ client_id: clientId, redirect_uri: redirectUri, response_type: "code", scope, state: "s", code_challenge: challenge, code_challenge_method: "S256" })) u.searchParams.set(k, v);
    const back = new URL((await fetch(u, { redirect: "manual" })).headers.get("location")!);
    const code = back.searchParams.get("code");
    if (!code) return { error: back.searchParams.get("error"), description: back.searchParams.get("error_description") };
    const res = await fetch(stand.tokenUrl, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ grant_type: "authorization_code", client_id: clientId, code, redirect_uri: redirectUri, code_verifier: verifier, client_assertion_type: "urn:ietf:params:oauth:client-assertion-type:jwt-bearer", client_assertion: await stand.managedIdentityToken("api://AzureADTokenExchange") }),
    });
    expect(res.status).toBe(200);
    return { token: ((await res.json()) as { access_token: string }).access_token };
  }

  it("signs each app in as itself: aud = azp = its client id, scp from its own scopes", async () => {
    const stand = await start();
    try {
      expect(stand.clientIds).toEqual([CLIENT, TICKETS]);
      expect(stand.clientId).toBe(CLIENT);
      const jwks = createRemoteJWKSet(new URL(stand.jwksUri));
      const weather = await signIn(stand, CLIENT, REDIRECT, `api://${CLIENT}/user_impersonate openid offline_access`);
      expect((await jwtVerify(weather.token!, jwks, { issuer: stand.issuer, audience: CLIENT })).payload).toMatchObject({ azp: CLIENT, scp: "user_impersonate" });
      const tickets = await signIn(stand, TICKETS, TICKETS_REDIRECT, `api://${TICKETS}/user_impersonate api://${TICKETS}/tickets.write openid offline_access`);
      expect((await jwtVerify(tickets.token!, jwks, { issuer: stand.issuer, audience: TICKETS })).payload).toMatchObject({ azp: TICKETS, scp: "user_impersonate tickets.write" });
    } finally {
      await stand.close();
    }
  });

  it("fails an app's sign-in at another app's redirect URI, with another app's scope only, or with two apps' scopes", async () => {
    const stand = await start();
    try {
      const u = new URL(stand.authorizeUrl);
      for (const [k, v] of Object.entries({ client_id: TICKETS, redirect_uri: REDIRECT, response_type: "code", scope: `api://${TICKETS}/user_impersonate`, code_challenge: pkce().challenge, code_challenge_method: "S256" })) u.searchParams.set(k, v);
      const wrongRedirect = await fetch(u, { redirect: "manual" });
      expect(wrongRedirect.status).toBe(400);
      expect(await wrongRedirect.text()).toContain("AADSTS50011");
      const foreignOnly = await signIn(stand, TICKETS, TICKETS_REDIRECT, `api://${CLIENT}/user_impersonate openid`);
      expect(foreignOnly).toMatchObject({ error: "invalid_scope", description: expect.stringContaining("AADSTS28000") });
      const mixed = await signIn(stand, CLIENT, REDIRECT, `api://${CLIENT}/user_impersonate api://${TICKETS}/tickets.write`);
      expect(mixed).toMatchObject({ error: "invalid_scope", description: expect.stringContaining(`api://${TICKETS}/tickets.write`) });
    } finally {
      await stand.close();
    }
  });

  it("fails to start with both app and apps, no app, or one client id twice", async () => {
    await expect(startEntraStandIn({ app: { clientId: CLIENT, redirectUris: [] }, apps: [{ clientId: TICKETS, redirectUris: [] }] })).rejects.toThrow(/either app or apps/);
    await expect(startEntraStandIn({ apps: [] })).rejects.toThrow(/apps is empty/);
    await expect(startEntraStandIn({ apps: [{ clientId: CLIENT, redirectUris: [] }, { clientId: CLIENT, redirectUris: [] }] })).rejects.toThrow(new RegExp(`${CLIENT} is given twice`));
  });
});
