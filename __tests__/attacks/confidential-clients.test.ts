/**
 * Confidential clients (issue 19): registrations with client_secret_basic or client_secret_post and
 * static clients configured confidential, on the local stack with the real synthesized policies.
 * An attacker without the secret tries to use a confidential client anyway: no credentials (as if
 * it were public), the other method, a wrong or another client's secret, a public registration
 * with the same metadata, a client_id altered to drop its method, two methods at once, secrets
 * guessed at speed. Every refusal is 401 invalid_client (WWW-Authenticate: Basic when Basic was
 * tried) or 400 invalid_request, touches no code or grant, and never echoes the secret.
 * Threats: T-confidential-downgrade, T-confidential-impersonation, T-client-secret-guessing,
 * T-client-secret-leak.
 */
import { describe, expect, it } from "vitest";
import { ATTACK_REDIRECT, Browser, call, clientAuthentication, json, pkce, useAttackStack, type AttackEnv, type ClientSecret, type Reply } from "../../test-support/attack-client.js";
import { platformWithClients } from "../../test-support/local-oauth-client.js";

const STATIC_REDIRECT = "https://portal.contoso.example/oauth/callback";
const POST_REDIRECT = "https://agents.contoso.example/oauth/callback";

let env: AttackEnv;
useAttackStack((started) => (env = started), {
  platform: platformWithClients({
    static: [
      { client_id: "portal", client_name: "Portal", redirect_uris: [STATIC_REDIRECT], application_type: "web", confidential: true },
      { client_id: "agents", client_name: "Agents", redirect_uris: [POST_REDIRECT], application_type: "web", confidential: true, token_endpoint_auth_method: "client_secret_post" },
      { client_id: "cli", client_name: "CLI", redirect_uris: ["http://127.0.0.1/callback"] },
    ],
  }),
});

interface Registered {
  readonly client_id: string;
  readonly client_secret?: string;
  readonly client_secret_expires_at?: number;
  readonly token_endpoint_auth_method: string;
}

async function register(metadata: Record<string, unknown>): Promise<Reply> {
  return call("POST", `${env.base}/register`, { body: JSON.stringify({ redirect_uris: [ATTACK_REDIRECT], client_name: "Confidential test client", ...metadata }), headers: { "Content-Type": "application/json" } });
}

async function confidential(method: ClientSecret["method"] = "client_secret_basic"): Promise<{ clientId: string; secret: ClientSecret }> {
  const reply = await register({ token_endpoint_auth_method: method });
  expect(reply.status, reply.text).toBe(201);
  const body = json(reply) as unknown as Registered;
  return { clientId: body.client_id, secret: { method, secret: body.client_secret! } };
}

/** A code for `clientId` (the browser part of the flow), with its verifier. */
async function codeFor(clientId: string, redirectUri = ATTACK_REDIRECT): Promise<{ code: string; verifier: string }> {
  const browser = new Browser();
  const { verifier, challenge } = pkce();
  const { reply } = await env.consent(browser, env.authorizeUrl({ clientId, challenge, redirectUri }));
  const { final } = await env.follow(browser, reply.location!, redirectUri);
  return { code: final!.searchParams.get("code")!, verifier };
}

function redeem(clientId: string, code: string, verifier: string, secret?: ClientSecret, redirectUri = ATTACK_REDIRECT): Promise<Reply> {
  const auth = clientAuthentication(clientId, secret);
  return env.token({ grant_type: "authorization_code", code, ...auth.fields, redirect_uri: redirectUri, code_verifier: verifier, resource: env.resource }, auth.headers);
}

const basic = (id: string, secret: string): string => `Basic ${Buffer.from(`${id}:${secret}`).toString("base64")}`;

function expectInvalidClient(reply: Reply, challenge: boolean): void {
  expect(reply.status, reply.text).toBe(401);
  expect(json(reply).error).toBe("invalid_client");
  if (challenge) expect(reply.headers.get("www-authenticate")).toMatch(/^Basic realm="/);
  else expect(reply.headers.get("www-authenticate")).toBeNull();
  expect(reply.headers.get("cache-control")).toBe("no-store");
}

describe("dynamic registration with a secret", () => {
  it.each(["client_secret_basic", "client_secret_post"] as const)("answers %s with a 256-bit base64url client_secret that never expires on its own, and the method as registered", async (method) => {
    const reply = await register({ token_endpoint_auth_method: method });
    expect(reply.status).toBe(201);
    expect(reply.headers.get("cache-control")).toBe("no-store");
    const body = json(reply) as unknown as Registered;
    expect(body.token_endpoint_auth_method).toBe(method);
    expect(body.client_secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(body.client_secret!, "base64url")).toHaveLength(32);
    expect(body.client_secret_expires_at).toBe(0);
  });

  it("keeps a registration that omits the method public: no secret, none", async () => {
    const body = json(await register({})) as unknown as Registered;
    expect(body.token_endpoint_auth_method).toBe("none");
    expect(body.client_secret).toBeUndefined();
    expect(body.client_secret_expires_at).toBeUndefined();
  });

  it.each(["private_key_jwt", "tls_client_auth", "client_secret_jwt", "self_signed_tls_client_auth", "magic"])("refuses token_endpoint_auth_method %s, naming it and what is supported", async (method) => {
    const reply = await register({ token_endpoint_auth_method: method });
    expect(reply.status).toBe(400);
    expect(json(reply).error).toBe("invalid_client_metadata");
    expect(json(reply).error_description).toContain(`token_endpoint_auth_method ${method} is not supported here: expected none`);
    expect(json(reply).error_description).toContain("client_secret_basic or client_secret_post");
  });

  it("refuses a method that is not a string, and does not echo a hostile one", async () => {
    expect(json(await register({ token_endpoint_auth_method: ["client_secret_basic"] })).error_description).toMatch(/^token_endpoint_auth_method must be a string/);
    const hostile = json(await register({ token_endpoint_auth_method: "x\r\nSet-Cookie: a=b" }));
    expect(hostile.error).toBe("invalid_client_metadata");
    expect(hostile.error_description).not.toContain("Set-Cookie");
  });

  it("gives 20 identical confidential registrations sent at once 20 client_ids and 20 secrets", async () => {
    const replies = await Promise.all(Array.from({ length: 20 }, () => register({ token_endpoint_auth_method: "client_secret_basic", client_name: "Twin" })));
    const bodies = replies.map((r) => json(r) as unknown as Registered);
    expect(new Set(bodies.map((b) => b.client_id)).size).toBe(20);
    expect(new Set(bodies.map((b) => b.client_secret)).size).toBe(20);
  });
});

describe("a confidential client signs in", () => {
  it.each(["client_secret_basic", "client_secret_post"] as const)("with %s: code, MCP call, refresh and revocation, authenticated every time", async (method) => {
    const { clientId, secret } = await confidential(method);
    const flow = await env.signIn({ clientId, secret });
    expect((await env.mcp(flow.tokens.access_token, { jsonrpc: "2.0", id: 2, method: "tools/call", params: { name: "get_weather", arguments: { city: "Paris" } } })).status).toBe(200);
    const refreshed = await env.refresh(clientId, flow.tokens.refresh_token, secret);
    expect(refreshed.status, refreshed.text).toBe(200);
    const next = json(refreshed) as { access_token: string; refresh_token: string };
    const auth = clientAuthentication(clientId, secret);
    const revoked = await env.revoke({ token: next.refresh_token, ...auth.fields }, auth.headers);
    expect(revoked.status).toBe(200);
    expect((await env.mcp(next.access_token)).status).toBe(401);
  });

  it("reads the Basic credentials form-url-decoded (RFC 6749 2.3.1): a percent-encoded client_id is the same client", async () => {
    const { clientId, secret } = await confidential();
    const { code, verifier } = await codeFor(clientId);
    const encoded = clientId.replace(/-/g, "%2D").replace(/\./g, "%2E");
    expect(encoded).not.toBe(clientId);
    const reply = await env.token({ grant_type: "authorization_code", code, redirect_uri: ATTACK_REDIRECT, code_verifier: verifier, resource: env.resource }, { Authorization: basic(encoded, secret.secret) });
    expect(reply.status, reply.text).toBe(200);
  });

  it("accepts the Basic scheme name in any letter case and a client_id repeated in the body", async () => {
    const { clientId, secret } = await confidential();
    const { code, verifier } = await codeFor(clientId);
    const reply = await env.token({ grant_type: "authorization_code", code, client_id: clientId, redirect_uri: ATTACK_REDIRECT, code_verifier: verifier, resource: env.resource }, { Authorization: basic(clientId, secret.secret).replace("Basic", "bAsIc") });
    expect(reply.status, reply.text).toBe(200);
  });

  it("still needs PKCE: a code redeemed with the right secret and no code_verifier is refused", async () => {
    const { clientId, secret } = await confidential();
    const { code } = await codeFor(clientId);
    const auth = clientAuthentication(clientId, secret);
    const reply = await env.token({ grant_type: "authorization_code", code, redirect_uri: ATTACK_REDIRECT, resource: env.resource }, auth.headers);
    expect(reply.status).toBe(400);
    expect(json(reply).error).toBe("invalid_request");
    expect(json(reply).error_description).toContain("code_verifier");
    const wrongVerifier = await redeem(clientId, (await codeFor(clientId)).code, pkce().verifier, secret);
    expect(json(wrongVerifier).error).toBe("invalid_grant");
  });
});

describe("downgrade to none", () => {
  it("refuses a confidential client's code redeemed without credentials, with 401 and no challenge, and the code still works afterwards", async () => {
    const { clientId, secret } = await confidential();
    const { code, verifier } = await codeFor(clientId);
    const reply = await redeem(clientId, code, verifier);
    expectInvalidClient(reply, false);
    expect(json(reply).error_description).toContain("This client is confidential (token_endpoint_auth_method client_secret_basic)");
    expect((await redeem(clientId, code, verifier, secret)).status).toBe(200);
  });

  it("refuses its refresh and its revocation without credentials, and the tokens keep working", async () => {
    const { clientId, secret } = await confidential("client_secret_post");
    const flow = await env.signIn({ clientId, secret });
    expectInvalidClient(await env.refresh(clientId, flow.tokens.refresh_token), false);
    expectInvalidClient(await env.revoke({ token: flow.tokens.refresh_token, client_id: clientId }), false);
    expect((await env.mcp(flow.tokens.access_token)).status).toBe(200);
    expect((await env.refresh(clientId, flow.tokens.refresh_token, secret)).status).toBe(200);
  });

  it("refuses a client_id altered to drop its method: the MAC no longer verifies", async () => {
    const { clientId } = await confidential();
    const [payload, mac] = clientId.split(".") as [string, string];
    const registration = JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as Record<string, unknown>;
    expect(registration.m).toBe("b");
    delete registration.m;
    const forged = `${Buffer.from(JSON.stringify(registration)).toString("base64url")}.${mac}`;
    const page = await call("GET", env.authorizeUrl({ clientId: forged, challenge: pkce().challenge }));
    expect(page.status).toBe(400);
    expect(page.text).toContain("The client_id was not issued by this server or has been altered");
  });

  it("lists the methods in the authorization server metadata, for tokens and revocation alike", async () => {
    const metadata = json(await call("GET", `${env.base}/.well-known/oauth-authorization-server`));
    expect(metadata.token_endpoint_auth_methods_supported).toEqual(["none", "client_secret_basic", "client_secret_post"]);
    expect(metadata.revocation_endpoint_auth_methods_supported).toEqual(["none", "client_secret_basic", "client_secret_post"]);
  });
});

describe("impersonation of a confidential client", () => {
  it("refuses a wrong secret over Basic with 401 and WWW-Authenticate: Basic, and keeps the code redeemable", async () => {
    const { clientId, secret } = await confidential();
    const { code, verifier } = await codeFor(clientId);
    const reply = await redeem(clientId, code, verifier, { ...secret, secret: `${secret.secret.slice(0, -1)}${secret.secret.endsWith("A") ? "B" : "A"}` });
    expectInvalidClient(reply, true);
    expect(json(reply).error_description).toBe("Client authentication failed: the client secret is not this client's.");
    expect((await redeem(clientId, code, verifier, secret)).status).toBe(200);
  });

  it("refuses another client's secret, and its own secret under the other client's id", async () => {
    const victim = await confidential();
    const attacker = await confidential();
    const { code, verifier } = await codeFor(victim.clientId);
    expectInvalidClient(await redeem(victim.clientId, code, verifier, attacker.secret), true);
    // The attacker's own valid credentials do not redeem the victim's code either.
    const stolen = await redeem(attacker.clientId, code, verifier, attacker.secret);
    expect(stolen.status).toBe(400);
    expect(json(stolen).error).toBe("invalid_grant");
  });

  it("refuses the other method: the body for a Basic client, Basic for a body client", async () => {
    const basicClient = await confidential("client_secret_basic");
    const postClient = await confidential("client_secret_post");
    const a = await codeFor(basicClient.clientId);
    const asPost = await redeem(basicClient.clientId, a.code, a.verifier, { method: "client_secret_post", secret: basicClient.secret.secret });
    expectInvalidClient(asPost, false);
    expect(json(asPost).error_description).toContain("registered token_endpoint_auth_method client_secret_basic and this request used client_secret_post");
    const b = await codeFor(postClient.clientId);
    const asBasic = await redeem(postClient.clientId, b.code, b.verifier, { method: "client_secret_basic", secret: postClient.secret.secret });
    expectInvalidClient(asBasic, true);
    expect(json(asBasic).error_description).toContain("registered token_endpoint_auth_method client_secret_post and this request used client_secret_basic");
  });

  it("refuses a public registration with the same metadata: it is another client, and its code cannot be swapped in", async () => {
    const victim = await confidential();
    const publicTwin = json(await register({})).client_id as string;
    const { code, verifier } = await codeFor(victim.clientId);
    const reply = await redeem(publicTwin, code, verifier);
    expect(json(reply).error).toBe("invalid_grant");
  });

  it("refuses a secret sent by a public client, a static public client and a metadata document client", async () => {
    const publicClient = json(await register({})).client_id as string;
    for (const id of [publicClient, "cli", "https://cimd.attack.example/client.json"]) {
      const reply = await env.token({ grant_type: "refresh_token", refresh_token: `${"a".repeat(43)}.${"b".repeat(43)}` }, clientAuthentication(id, { method: "client_secret_basic", secret: "guess" }).headers);
      expectInvalidClient(reply, true);
      expect(json(reply).error_description, id).toContain("this client is public (token_endpoint_auth_method none)");
    }
  });

  it("refuses credentials for a client_id the gateway never issued", async () => {
    const reply = await env.token({ grant_type: "refresh_token", refresh_token: `${"a".repeat(43)}.${"b".repeat(43)}`, client_id: "made.up", client_secret: "x" });
    expectInvalidClient(reply, false);
    expect(json(reply).error_description).toContain("this client_id was not issued by this gateway");
  });

  it("answers both methods at once, or two client_ids, with invalid_request", async () => {
    const { clientId, secret } = await confidential();
    const { code, verifier } = await codeFor(clientId);
    const twice = await env.token({ grant_type: "authorization_code", code, client_id: clientId, client_secret: secret.secret, redirect_uri: ATTACK_REDIRECT, code_verifier: verifier, resource: env.resource }, { Authorization: basic(clientId, secret.secret) });
    expect(twice.status).toBe(400);
    expect(json(twice).error).toBe("invalid_request");
    expect(json(twice).error_description).toContain("one method per request");
    const other = await env.token({ grant_type: "authorization_code", code, client_id: "another", redirect_uri: ATTACK_REDIRECT, code_verifier: verifier, resource: env.resource }, { Authorization: basic(clientId, secret.secret) });
    expect(json(other).error).toBe("invalid_request");
    expect((await redeem(clientId, code, verifier, secret)).status).toBe(200);
  });

  it.each([
    ["a Bearer token", "Bearer abc"],
    ["Basic without a colon", `Basic ${Buffer.from("no-colon").toString("base64")}`],
    ["Basic with an empty client_id", `Basic ${Buffer.from(":secret").toString("base64")}`],
    ["Basic that is not base64", "Basic ***"],
    ["two Authorization values", `${basic("a", "b")}, ${basic("c", "d")}`],
  ])("refuses %s with 401 and the Basic challenge", async (_what, header) => {
    const reply = await env.token({ grant_type: "refresh_token", refresh_token: `${"a".repeat(43)}.${"b".repeat(43)}` }, { Authorization: header });
    expectInvalidClient(reply, true);
    expect(json(reply).error_description).toContain("must be HTTP Basic");
  });

  it("refuses client_assertion (private_key_jwt) with 401", async () => {
    const { clientId } = await confidential();
    const reply = await env.token({ grant_type: "refresh_token", refresh_token: `${"a".repeat(43)}.${"b".repeat(43)}`, client_id: clientId, client_assertion_type: "urn:ietf:params:oauth:client-assertion-type:jwt-bearer", client_assertion: "e30.e30.sig" });
    expectInvalidClient(reply, false);
    expect(json(reply).error_description).toContain("client_assertion (private_key_jwt, client_secret_jwt) is not supported");
  });
});

describe("guessing secrets", () => {
  it("refuses every request naming the client_id with 429 and Retry-After after 10 failed authentications, the right secret included, and no other client", async () => {
    const target = await confidential();
    const bystander = await confidential();
    const { code, verifier } = await codeFor(target.clientId);
    const guesses = await Promise.all(Array.from({ length: 10 }, (_, i) => redeem(target.clientId, code, verifier, { ...target.secret, secret: `guess-${i}` })));
    for (const reply of guesses) expectInvalidClient(reply, true);
    const locked = await redeem(target.clientId, code, verifier, target.secret);
    expect(locked.status).toBe(429);
    expect(json(locked).error).toBe("invalid_client");
    expect(json(locked).error_description).toContain("Too many failed client authentications for this client_id");
    const retry = Number(locked.headers.get("retry-after"));
    expect(retry).toBeGreaterThan(0);
    expect(retry).toBeLessThanOrEqual(300);
    expect(locked.text).not.toContain(target.secret.secret);
    const other = await codeFor(bystander.clientId);
    expect((await redeem(bystander.clientId, other.code, other.verifier, bystander.secret)).status).toBe(200);
  });

  it("does not count successful authentications: 12 refreshes in a row keep working", async () => {
    const { clientId, secret } = await confidential("client_secret_post");
    const flow = await env.signIn({ clientId, secret });
    let refresh = flow.tokens.refresh_token;
    for (let i = 0; i < 12; i++) {
      const reply = await env.refresh(clientId, refresh, secret);
      expect(reply.status, `refresh ${i}`).toBe(200);
      refresh = (json(reply) as { refresh_token: string }).refresh_token;
    }
  });
});

describe("static confidential clients", () => {
  const secretOf = (id: string): string => env.stack.values.clientSecrets![id]!;

  it("get a generated secret each, kept under clientSecrets in the local values, for confidential clients only", () => {
    const secrets = env.stack.values.clientSecrets ?? {};
    expect(Object.keys(secrets).sort()).toEqual(["agents", "portal"]);
    for (const secret of Object.values(secrets)) expect(secret).toMatch(/^[A-Za-z0-9]{48}$/);
    expect(secrets.portal).not.toBe(secrets.agents);
  });

  it("signs in with client_secret_basic by default, refreshes and revokes", async () => {
    const secret: ClientSecret = { method: "client_secret_basic", secret: secretOf("portal") };
    const flow = await env.signIn({ clientId: "portal", redirectUri: STATIC_REDIRECT, secret });
    expect((await env.mcp(flow.tokens.access_token)).status).toBe(200);
    const refreshed = await env.refresh("portal", flow.tokens.refresh_token, secret);
    expect(refreshed.status).toBe(200);
    const auth = clientAuthentication("portal", secret);
    expect((await env.revoke({ token: (json(refreshed) as { refresh_token: string }).refresh_token, ...auth.fields }, auth.headers)).status).toBe(200);
    expect((await env.mcp((json(refreshed) as { access_token: string }).access_token)).status).toBe(401);
  });

  it("signs in with client_secret_post where configured, and refuses Basic for it", async () => {
    const secret: ClientSecret = { method: "client_secret_post", secret: secretOf("agents") };
    const flow = await env.signIn({ clientId: "agents", redirectUri: POST_REDIRECT, secret });
    expect((await env.refresh("agents", flow.tokens.refresh_token, { ...secret, method: "client_secret_basic" })).status).toBe(401);
    expect((await env.refresh("agents", flow.tokens.refresh_token, secret)).status).toBe(200);
  });

  it("refuses no credentials and another static client's secret, and takes its own", async () => {
    const { code, verifier } = await codeFor("portal", STATIC_REDIRECT);
    expectInvalidClient(await redeem("portal", code, verifier, undefined, STATIC_REDIRECT), false);
    expectInvalidClient(await redeem("portal", code, verifier, { method: "client_secret_basic", secret: secretOf("agents") }, STATIC_REDIRECT), true);
    expect((await redeem("portal", code, verifier, { method: "client_secret_basic", secret: secretOf("portal") }, STATIC_REDIRECT)).status).toBe(200);
  });
});

describe("secret leakage", () => {
  it("never shows a secret in an audit event, a token, a consent page or an error description", async () => {
    const { clientId, secret } = await confidential();
    const statics = Object.values(env.stack.values.clientSecrets ?? {});
    const before = env.auditEvents.length;
    const flow = await env.signIn({ clientId, secret });
    await env.mcp(flow.tokens.access_token, { jsonrpc: "2.0", id: 2, method: "tools/call", params: { name: "whoami", arguments: {} } });
    const wrong = await env.refresh(clientId, flow.tokens.refresh_token, { ...secret, secret: `${secret.secret}x` });
    const seen = [JSON.stringify(env.auditEvents.slice(before)), JSON.stringify(flow), wrong.text, flow.consentPage.text].join("\n");
    for (const s of [secret.secret, ...statics]) expect(seen).not.toContain(s);
    expect(env.auditEvents.length).toBeGreaterThan(before);
  });
});
