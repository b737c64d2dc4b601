import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHash, randomBytes } from "node:crypto";
import { createRemoteJWKSet, jwtVerify, SignJWT, generateKeyPair, decodeJwt } from "jose";
import { parseEntraUsers, startEntraStandIn, type EntraStandIn, type EntraUser } from "../../local/entra/stand-in.js";
import { parseEntraSignInPage } from "../../test-support/local-oauth-client.js";

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
      app: { clientId: CLIENT, redirectUris: [REDIRECT], extraScopeNames: ["forecast.read"], appRoles: ["Weather.Auditor"] },
      managedIdentity: MI,
      // A role the app does not define is never issued by it.
      user: { oid: "11111111-2222-4333-8444-555555555556", name: "Role User", preferredUsername: "role.user@contoso.example", roles: ["Weather.Auditor", "Tickets.Admin"] },
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

describe("Entra stand-in: several users (LOCAL_ENTRA_USERS)", () => {
  const TICKETS = "7b2c3d4e-0000-4000-8000-000000000006";
  const TICKETS_REDIRECT = "http://127.0.0.1:9997/oauth-callback";
  const ADA: EntraUser = { oid: "aaaaaaaa-0000-4000-8000-00000000000a", name: "Ada Admin", preferredUsername: "ada@contoso.example", roles: ["Tickets.Admin", "Weather.Auditor"] };
  const BOB: EntraUser = { oid: "bbbbbbbb-0000-4000-8000-00000000000b", name: "Bob <Reader>", preferredUsername: "bob@contoso.example" };
  const start = () =>
    startEntraStandIn({
      tenantId: TENANT,
      apps: [
        { clientId: CLIENT, redirectUris: [REDIRECT] },
        { clientId: TICKETS, redirectUris: [TICKETS_REDIRECT], appRoles: ["Tickets.Admin"], assignmentRequired: true },
      ],
      managedIdentity: MI,
      users: [ADA, BOB],
    });

  function authorizeQuery(clientId: string, redirectUri: string, challenge: string) {
    return new URLSearchParams({ client_id: clientId, redirect_uri: redirectUri, response_type: "code", scope: `api://${clientId}/user_impersonate openid offline_access`, state: "st&<ate>", code_challenge: challenge, code_challenge_method: "S256", nonce: "n1" });
  }

  async function redeemAt(stand: EntraStandIn, clientId: string, redirectUri: string, code: string, verifier: string) {
    const res = await fetch(stand.tokenUrl, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ grant_type: "authorization_code", client_id: clientId, code, redirect_uri: redirectUri, code_verifier: verifier, client_assertion_type: "urn:ietf:params:oauth:client-assertion-type:jwt-bearer", client_assertion: await stand.managedIdentityToken("api://AzureADTokenExchange") }),
    });
    expect(res.status).toBe(200);
    return (await res.json()) as { access_token: string; id_token: string; refresh_token: string };
  }

  it("answers /authorize with a sign-in page: one form carrying the request, one button per user naming them", async () => {
    const stand = await start();
    try {
      const query = authorizeQuery(CLIENT, REDIRECT, pkce().challenge);
      const res = await fetch(`${stand.authorizeUrl}?${query}`, { redirect: "manual" });
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toMatch(/^text\/html/);
      const html = await res.text();
      expect(html.match(/<form method="post"/g)).toHaveLength(1);
      const page = parseEntraSignInPage(html, stand.authorizeUrl);
      expect(page.action).toBe(stand.authorizeUrl);
      expect(page.fields).toEqual(Object.fromEntries(query));
      expect(page.users.map((b) => b.oid)).toEqual([ADA.oid, BOB.oid]);
      expect(page.users[0]!.text).toContain("Ada Admin");
      // Names are escaped, never markup.
      expect(html).toContain("Bob &lt;Reader&gt;");
      expect(page.users[1]!.text).toContain("Bob <Reader>");
    } finally {
      await stand.close();
    }
  });

  it("continues as the chosen user when the page is posted: 302 with code and state, tokens for that user with the app's roles only", async () => {
    const stand = await start();
    try {
      for (const who of [BOB, ADA]) {
        const { verifier, challenge } = pkce();
        const page = parseEntraSignInPage(await (await fetch(`${stand.authorizeUrl}?${authorizeQuery(CLIENT, REDIRECT, challenge)}`)).text(), stand.authorizeUrl);
        const posted = await fetch(page.action, { method: "POST", redirect: "manual", headers: { "Content-Type": "application/x-www-form-urlencoded" }, body: new URLSearchParams({ ...page.fields, user: who.oid }) });
        expect(posted.status).toBe(302);
        const back = new URL(posted.headers.get("location")!);
        expect(`${back.origin}${back.pathname}`).toBe(REDIRECT);
        expect(back.searchParams.get("state")).toBe("st&<ate>");
        const tokens = await redeemAt(stand, CLIENT, REDIRECT, back.searchParams.get("code")!, verifier);
        const access = decodeJwt(tokens.access_token);
        expect(access).toMatchObject({ oid: who.oid, name: who.name, preferred_username: who.preferredUsername, aud: CLIENT });
        // The weather app defines no app roles: none is issued, whatever the user holds.
        expect(access).not.toHaveProperty("roles");
        expect(decodeJwt(tokens.id_token)).toMatchObject({ oid: who.oid, nonce: "n1" });
        // A refresh stays the same user's.
        const refreshed = await fetch(stand.tokenUrl, {
          method: "POST",
          headers: { "Content-Type": "application/x-www-form-urlencoded" },
          body: new URLSearchParams({ grant_type: "refresh_token", client_id: CLIENT, refresh_token: tokens.refresh_token, client_assertion_type: "urn:ietf:params:oauth:client-assertion-type:jwt-bearer", client_assertion: await stand.managedIdentityToken("api://AzureADTokenExchange") }),
        });
        expect(decodeJwt(((await refreshed.json()) as { access_token: string }).access_token).oid).toBe(who.oid);
      }
    } finally {
      await stand.close();
    }
  });

  it("issues a user's roles in the app that defines them, and refuses an unassigned user where assignment is required (AADSTS50105)", async () => {
    const stand = await start();
    try {
      const post = async (who: string, challenge: string) =>
        fetch(stand.authorizeUrl, { method: "POST", redirect: "manual", headers: { "Content-Type": "application/x-www-form-urlencoded" }, body: new URLSearchParams({ ...Object.fromEntries(authorizeQuery(TICKETS, TICKETS_REDIRECT, challenge)), user: who }) });
      const { verifier, challenge } = pkce();
      const ada = new URL((await post(ADA.oid, challenge)).headers.get("location")!);
      const access = decodeJwt((await redeemAt(stand, TICKETS, TICKETS_REDIRECT, ada.searchParams.get("code")!, verifier)).access_token);
      expect(access.roles).toEqual(["Tickets.Admin"]);
      const bob = new URL((await post(BOB.oid, pkce().challenge)).headers.get("location")!);
      expect(bob.searchParams.get("code")).toBeNull();
      expect(bob.searchParams.get("error")).toBe("access_denied");
      expect(bob.searchParams.get("error_description")).toMatch(/^AADSTS50105: .*bob@contoso\.example/);
      expect(bob.searchParams.get("state")).toBe("st&<ate>");
      // A user the directory does not know, and a request that fails its checks, get no code.
      const stranger = await post("cccccccc-0000-4000-8000-00000000000c", pkce().challenge);
      expect(stranger.status).toBe(400);
      expect(await stranger.text()).toContain("AADSTS50034");
      const noPkce = await fetch(stand.authorizeUrl, { method: "POST", redirect: "manual", headers: { "Content-Type": "application/x-www-form-urlencoded" }, body: new URLSearchParams({ client_id: CLIENT, redirect_uri: REDIRECT, response_type: "code", scope: `api://${CLIENT}/user_impersonate`, user: ADA.oid }) });
      expect(new URL(noPkce.headers.get("location")!).searchParams.get("error_description")).toContain("AADSTS501491");
    } finally {
      await stand.close();
    }
  });

  it("assignRoles changes the roles of the tokens issued from then on, refreshed ones included, and fails for an unknown user or a bad value", async () => {
    const stand = await start();
    try {
      const { verifier, challenge } = pkce();
      const posted = await fetch(stand.authorizeUrl, { method: "POST", redirect: "manual", headers: { "Content-Type": "application/x-www-form-urlencoded" }, body: new URLSearchParams({ ...Object.fromEntries(authorizeQuery(TICKETS, TICKETS_REDIRECT, challenge)), user: ADA.oid }) });
      const tokens = await redeemAt(stand, TICKETS, TICKETS_REDIRECT, new URL(posted.headers.get("location")!).searchParams.get("code")!, verifier);
      expect(decodeJwt(tokens.access_token).roles).toEqual(["Tickets.Admin"]);
      stand.assignRoles(ADA.oid, []);
      const refreshed = await fetch(stand.tokenUrl, {
        method: "POST",
        headers: { "Content-Type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ grant_type: "refresh_token", client_id: TICKETS, refresh_token: tokens.refresh_token, client_assertion_type: "urn:ietf:params:oauth:client-assertion-type:jwt-bearer", client_assertion: await stand.managedIdentityToken("api://AzureADTokenExchange") }),
      });
      expect(decodeJwt(((await refreshed.json()) as { access_token: string }).access_token)).not.toHaveProperty("roles");
      expect(() => stand.assignRoles("cccccccc-0000-4000-8000-00000000000c", [])).toThrow(/assignRoles: no user "cccccccc-0000-4000-8000-00000000000c"/);
      expect(() => stand.assignRoles(ADA.oid, ["Tickets Admin"])).toThrow(/assignRoles: "Tickets Admin" is not an app role value/);
    } finally {
      await stand.close();
    }
  });

  it("signs the one user in at once, as before", async () => {
    const { challenge } = pkce();
    const res = await authorize({ code_challenge: challenge, code_challenge_method: "S256" });
    expect(res.status).toBe(302);
    expect(entra.users).toEqual([entra.user]);
  });

  it("parses LOCAL_ENTRA_USERS: defaults derived from the name, stable across runs", () => {
    const users = parseEntraUsers('[{"name":"Ada Admin","roles":["Tickets.Admin"]},{"name":"Bob","oid":"bbbbbbbb-0000-4000-8000-00000000000b","preferredUsername":"bob@fabrikam.example"}]');
    expect(users[0]).toEqual({ oid: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/), name: "Ada Admin", preferredUsername: "ada.admin@contoso.example", roles: ["Tickets.Admin"] });
    expect(parseEntraUsers('[{"name":"Ada Admin"}]')[0]!.oid).toBe(users[0]!.oid);
    expect(users[1]).toEqual({ oid: "bbbbbbbb-0000-4000-8000-00000000000b", name: "Bob", preferredUsername: "bob@fabrikam.example" });
  });

  it.each([
    ["not JSON", "[{", /LOCAL_ENTRA_USERS="\[\{" is not valid JSON/],
    ["no array", '{"name":"Ada"}', /is not an array of 1 to 20 users/],
    ["an empty array", "[]", /is not an array of 1 to 20 users/],
    ["a string entry", '["Ada"]', /LOCAL_ENTRA_USERS\[0\] "Ada" is not an object/],
    ["an unknown key", '[{"name":"Ada","role":"X"}]', /LOCAL_ENTRA_USERS\[0\] has unknown key "role"/],
    ["no name", '[{"oid":"aaaaaaaa-0000-4000-8000-00000000000a"}]', /LOCAL_ENTRA_USERS\[0\]\.name undefined is not a usable name/],
    ["markup in the name", '[{"name":"<b>Ada"}]', /\.name "<b>Ada" is not a usable name/],
    ["a bad oid", '[{"name":"Ada","oid":"AAAA"}]', /LOCAL_ENTRA_USERS\[0\]\.oid "AAAA" is not an object id/],
    ["a bad sign-in name", '[{"name":"Ada","preferredUsername":"ada at contoso"}]', /\.preferredUsername "ada at contoso" is not a sign-in name/],
    ["a bad role", '[{"name":"Ada","roles":["Tickets Admin"]}]', /LOCAL_ENTRA_USERS\[0\]\.roles has "Tickets Admin"/],
    ["roles not an array", '[{"name":"Ada","roles":"Tickets.Admin"}]', /\.roles has "Tickets.Admin"; expected an array/],
    ["two users with one oid", '[{"name":"Ada"},{"name":"Ada"}]', /LOCAL_ENTRA_USERS\[1\] has the oid .* of LOCAL_ENTRA_USERS\[0\]/],
  ])("refuses LOCAL_ENTRA_USERS with %s, naming the value", (_what, raw, message) => {
    expect(() => parseEntraUsers(raw)).toThrow(message);
  });

  it("fails to start with both user and users, or no user", async () => {
    await expect(startEntraStandIn({ user: ADA, users: [BOB] })).rejects.toThrow(/either user or users/);
    await expect(startEntraStandIn({ users: [] })).rejects.toThrow(/users is empty/);
    await expect(startEntraStandIn({ users: [ADA, ADA] })).rejects.toThrow(/repeat an oid/);
  });
});

describe("Entra stand-in: workload identities (agents without a user)", () => {
  const APP = "11111111-0000-4000-8000-0000000000a1";
  const OTHER_APP = "22222222-0000-4000-8000-0000000000a2";
  const AGENT = "33333333-0000-4000-8000-0000000000a3";
  const UNLISTED = "44444444-0000-4000-8000-0000000000a4";
  let stand: EntraStandIn;
  beforeAll(async () => {
    stand = await startEntraStandIn({
      tenantId: TENANT,
      managedIdentity: MI,
      apps: [
        { clientId: APP, redirectUris: [REDIRECT], appRoles: ["Tickets.Read", "Tickets.Admin"], agents: [{ clientId: AGENT, roles: ["Tickets.Read", "Not.Defined"] }] },
        { clientId: OTHER_APP, redirectUris: [REDIRECT], appRoles: ["Tickets.Read"] },
      ],
    });
  });
  afterAll(() => stand.close());

  const msi = (resource: string, clientId: string, headers: Record<string, string> = { Metadata: "true" }) => {
    const u = new URL(stand.managedIdentityTokenUrl);
    u.searchParams.set("resource", resource);
    u.searchParams.set("client_id", clientId);
    return fetch(u, { headers });
  };

  it("issues a listed workload an app-only token for the application with the roles assigned to it there, signed by the published keys", async () => {
    const res = await msi(`api://${APP}`, AGENT);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { access_token: string; client_id: string; token_type: string; expires_on: string };
    expect(body).toMatchObject({ client_id: AGENT, token_type: "Bearer" });
    const { payload } = await jwtVerify(body.access_token, createRemoteJWKSet(new URL(stand.jwksUri)), { issuer: stand.issuer, audience: APP });
    expect(payload).toMatchObject({ aud: APP, azp: AGENT, appid: AGENT, idtyp: "app", tid: TENANT, ver: "2.0", roles: ["Tickets.Read"] });
    expect(payload.scp).toBeUndefined();
    expect(payload.oid).toBe(payload.sub);
  });

  it("accepts the application's client id as the resource too, and gives the same workload the same object id every time", async () => {
    const a = decodeJwt(((await (await msi(APP, AGENT)).json()) as { access_token: string }).access_token);
    const b = decodeJwt(((await (await msi(`api://${APP}/.default`, AGENT)).json()) as { access_token: string }).access_token);
    expect(a.aud).toBe(APP);
    expect(b.aud).toBe(APP);
    expect(a.oid).toBe(b.oid);
  });

  it("issues an unlisted workload a token without roles, as Entra does when assignment is not required", async () => {
    const token = decodeJwt(((await (await msi(`api://${APP}`, UNLISTED)).json()) as { access_token: string }).access_token);
    expect(token).toMatchObject({ aud: APP, azp: UNLISTED, idtyp: "app" });
    expect(token.roles).toBeUndefined();
  });

  it("gives a workload no roles in an application that assigned it none", async () => {
    const token = decodeJwt(((await (await msi(`api://${OTHER_APP}`, AGENT)).json()) as { access_token: string }).access_token);
    expect(token).toMatchObject({ aud: OTHER_APP, azp: AGENT });
    expect(token.roles).toBeUndefined();
  });

  it("fails a workload's request for a resource that names no registered application, and one without the Metadata header", async () => {
    const unknown = await msi("api://99999999-0000-4000-8000-000000000099", AGENT);
    expect(unknown.status).toBe(400);
    expect(await unknown.json()).toMatchObject({ error: "invalid_resource" });
    expect((await msi(`api://${APP}`, AGENT, {})).status).toBe(400);
  });
});
