/**
 * Executes the OAuth and MCP policies: the synthesized McpOAuth configuration runs on the local
 * gateway (real C# via Mono), with the project's Entra stand-in (local/entra/stand-in.ts: PKCE,
 * single-use codes, the managed identity's client assertion, managed-identity tokens; access tokens
 * of 120 s, so the first MCP call refreshes upstream) and an echo MCP backend, all on 127.0.0.1.
 * Drives the whole flow and the attacks the lab was open to.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { createHash, randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Testing } from "cdktf";
import { decodeJwt } from "jose";
import { ApimGateway } from "../../constructs/apim-gateway.js";
import { EntraAppRegistration } from "../../constructs/entra-app-registration.js";
import { McpAppService } from "../../constructs/mcp-app-service.js";
import { McpOAuth } from "../../constructs/mcp-oauth.js";
import { serverNaming } from "../../constructs/server-naming.js";
import { Observability } from "../../constructs/observability.js";
import { ExpressionHost } from "../../local/csharp/expression-host.js";
import { startEntraStandIn, type EntraStandIn } from "../../local/entra/stand-in.js";
import { loadGatewayConfig } from "../../local/gateway/config.js";
import { generateLocalValues, localIdentities, type LocalIdentities } from "../../local/gateway/local-values.js";
import { RateLimiter, ValueCache } from "../../local/gateway/runtime-services.js";
import { startGateway, type RunningGateway } from "../../local/gateway/server.js";
import { baseStack, fixturePackage } from "../../test-support/synth.js";
import { listenLoopback } from "../../local/run.js";

interface Reply {
  status: number;
  headers: Headers;
  text: string;
}

const b64url = (b: Buffer): string => b.toString("base64url");
const FORM = { "Content-Type": "application/x-www-form-urlencoded" };
const JSON_TYPE = { "Content-Type": "application/json" };
const REDIRECT = "http://127.0.0.1:33418/callback";

let base = "";
let gateway: RunningGateway;
let host: ExpressionHost;
let entra: EntraStandIn;
let identities: LocalIdentities;
const servers: http.Server[] = [];
const backendRequests: { url: string; authorization?: string; cookie?: string }[] = [];
/** Types of every value the policy expressions produced (set-variable may hold only basic types in APIM). */
const resultTypes = new Set<string>();

async function listen(handler: http.RequestListener): Promise<number> {
  const server = http.createServer(handler);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return (server.address() as AddressInfo).port;
}

async function call(method: string, path: string, init: { body?: string; headers?: Record<string, string> } = {}): Promise<Reply> {
  const response = await fetch(path.startsWith("http") ? path : base + path, { method, body: init.body, headers: init.headers, redirect: "manual" });
  return { status: response.status, headers: response.headers, text: await response.text() };
}

const form = (fields: Record<string, string>): string => new URLSearchParams(fields).toString();
const json = (reply: Reply): Record<string, unknown> => JSON.parse(reply.text) as Record<string, unknown>;
const location = (reply: Reply): URL => new URL(reply.headers.get("location") ?? "about:blank");

async function register(redirectUris: string[] = [REDIRECT], name = "Test <client> & co"): Promise<string> {
  const reply = await call("POST", "/register", { body: JSON.stringify({ redirect_uris: redirectUris, client_name: name }), headers: JSON_TYPE });
  expect(reply.status).toBe(201);
  return json(reply).client_id as string;
}

function pkce(): { verifier: string; challenge: string } {
  const verifier = b64url(randomBytes(32));
  return { verifier, challenge: b64url(createHash("sha256").update(verifier).digest()) };
}

function authorizeUrl(clientId: string, challenge: string, extra: Record<string, string> = {}): string {
  return `/authorize?${form({ response_type: "code", client_id: clientId, redirect_uri: REDIRECT, state: "client-state", code_challenge: challenge, code_challenge_method: "S256", resource: `${base}/mcp`, ...extra })}`;
}

/** The consent page's hidden fields and cookie. */
async function consentPage(url: string): Promise<{ fields: Record<string, string>; cookie: string; page: Reply }> {
  const page = await call("GET", url);
  expect(page.status).toBe(200);
  const fields: Record<string, string> = {};
  for (const m of page.text.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)"/g)) {
    fields[m[1]] = m[2].replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&quot;/g, '"').replace(/&amp;/g, "&");
  }
  return { fields, cookie: (page.headers.get("set-cookie") ?? "").split(";")[0], page };
}

/** The browser-binding cookie the approved consent sets for the callback (`name=value`). */
const bindingCookie = (approved: Reply): string => (approved.headers.get("set-cookie") ?? "").split(";")[0];

/** Runs authorize, consent, Entra and callback; returns the client's redirect. */
async function signIn(clientId: string, challenge: string, extra: Record<string, string> = {}): Promise<URL> {
  const { fields, cookie } = await consentPage(authorizeUrl(clientId, challenge, extra));
  const approved = await call("POST", "/consent", { body: form({ ...fields, decision: "approve" }), headers: { ...FORM, Cookie: cookie } });
  expect(approved.status).toBe(302);
  const entraBack = location(await call("GET", location(approved).toString()));
  const callback = await call("GET", entraBack.pathname + entraBack.search, { headers: { Cookie: bindingCookie(approved) } });
  expect(callback.status).toBe(302);
  return location(callback);
}

async function tokens(clientId: string): Promise<{ access_token: string; refresh_token: string }> {
  const { verifier, challenge } = pkce();
  const code = (await signIn(clientId, challenge)).searchParams.get("code") ?? "";
  const reply = await call("POST", "/token", { body: form({ grant_type: "authorization_code", code, client_id: clientId, redirect_uri: REDIRECT, code_verifier: verifier }), headers: FORM });
  expect(reply.status).toBe(200);
  return json(reply) as { access_token: string; refresh_token: string };
}

const mcpCall = (token: string): Promise<Reply> =>
  call("POST", "/mcp", { body: '{"jsonrpc":"2.0","id":1,"method":"ping"}', headers: { ...JSON_TYPE, Authorization: `Bearer ${token}`, Cookie: "a=b" } });

beforeAll(async () => {
  const backendPort = await listen((req, res) => {
    backendRequests.push({ url: req.url ?? "", authorization: req.headers.authorization, cookie: req.headers.cookie });
    req.resume();
    req.on("end", () => res.writeHead(200, JSON_TYPE).end('{"jsonrpc":"2.0","id":1,"result":{}}'));
  });
  // The gateway's socket is bound first (its URL is in the configuration), so no port is reserved and then released.
  const listener = await listenLoopback(0, "gateway");
  base = `http://127.0.0.1:${(listener.address() as AddressInfo).port}`;

  const { stack, resourceGroup } = baseStack();
  const observability = new Observability(stack, "observability", { resourceGroup, namePrefix: "test" });
  const apim = new ApimGateway(stack, "gateway", { resourceGroup, name: "test-apim", publisherEmail: "ops@contoso.com", publisherName: "Contoso", observability });
  const entraApp = new EntraAppRegistration(stack, "entra", { displayName: "test", tenantId: "tenant", redirectUris: ["https://test-apim.azure-api.net/oauth-callback"], trustedIdentity: apim.identity });
  const app = new McpAppService(stack, "mcp_app", { resourceGroup, name: "test-app", packageFile: fixturePackage(), entra: entraApp, observability });
  new McpOAuth(stack, "oauth", { gateway: apim, tenantId: entraApp.tenantId }).addServer("weather", {
    path: "mcp",
    title: "Weather",
    entra: entraApp,
    backendUrl: app.url,
    rateLimit: { calls: 1000, renewalPeriod: 60 },
    naming: serverNaming("weather", { sample: true }),
  });
  const tf = JSON.parse(Testing.synth(stack)) as Record<string, unknown>;

  // Ids first; the Entra stand-in binds a free port itself, and the values then name it.
  const early = generateLocalValues(tf, { gatewayUrl: base, mcpAppUrl: `http://127.0.0.1:${backendPort}`, entraUrl: "http://127.0.0.1:9" });
  identities = localIdentities(tf, early);
  entra = await startEntraStandIn({
    tenantId: identities.tenantId,
    app: { clientId: identities.appClientId, redirectUris: [`${base}/oauth-callback`], scopeName: identities.scopeName },
    managedIdentity: { clientId: identities.managedIdentityClientId, principalId: identities.managedIdentityPrincipalId },
    accessTokenLifetimeSeconds: 120,
  });
  const values = generateLocalValues(tf, { gatewayUrl: base, mcpAppUrl: `http://127.0.0.1:${backendPort}`, entraUrl: entra.baseUrl }, early);
  const config = loadGatewayConfig(tf as never, values);
  host = await ExpressionHost.start();
  gateway = await startGateway(config, {
    listener,
    evaluator: {
      compile: (expressions: string[]) => host.compile(expressions),
      evaluate: async (expression: string, ctx: Parameters<ExpressionHost["evaluate"]>[1]) => {
        const result = await host.evaluate(expression, ctx);
        resultTypes.add(result.ok ? result.value.type : "error");
        return result;
      },
    },
    cache: new ValueCache(),
    rateLimiter: new RateLimiter(),
    managedIdentityTokenUrl: entra.managedIdentityTokenUrl,
    logger: { debug: () => undefined, warn: () => undefined },
  } as Parameters<typeof startGateway>[1]);
}, 180_000);

afterAll(async () => {
  await gateway?.close();
  await host?.close();
  await entra?.close();
  for (const server of servers) server.close();
});

describe("discovery", () => {
  it("leads from the 401 challenge to the resource and authorization server metadata", async () => {
    const challenge = await call("POST", "/mcp", { body: "{}", headers: JSON_TYPE });
    expect(challenge.status).toBe(401);
    expect(challenge.headers.get("access-control-allow-origin")).toBe("*");
    const header = challenge.headers.get("www-authenticate") ?? "";
    expect(header).not.toContain("error=");
    const metadataUrl = /resource_metadata="([^"]+)"/.exec(header)?.[1] ?? "";
    expect(metadataUrl).toBe(`${base}/.well-known/oauth-protected-resource/mcp`);
    const prm = json(await call("GET", metadataUrl));
    expect(prm).toMatchObject({ resource: `${base}/mcp`, authorization_servers: [base], bearer_methods_supported: ["header"] });
    const as = json(await call("GET", "/.well-known/oauth-authorization-server"));
    expect(as).toMatchObject({ issuer: base, code_challenge_methods_supported: ["S256"], token_endpoint_auth_methods_supported: ["none", "client_secret_basic", "client_secret_post"], revocation_endpoint_auth_methods_supported: ["none", "client_secret_basic", "client_secret_post"], registration_endpoint: `${base}/register`, revocation_endpoint: `${base}/revoke` });
    expect(json(await call("GET", "/.well-known/openid-configuration"))).toEqual(as);
    expect(json(await call("GET", "/.well-known/oauth-protected-resource"))).toEqual(prm);
  });

  it("answers preflights with the methods each endpoint uses", async () => {
    const register = await call("OPTIONS", "/register", { headers: { Origin: "http://localhost:6274", "Access-Control-Request-Method": "POST" } });
    expect(register.status).toBe(204);
    expect(register.headers.get("access-control-allow-methods")).toBe("POST, OPTIONS");
    expect(register.headers.get("access-control-allow-headers")).toContain("Mcp-Protocol-Version");
    const mcp = await call("OPTIONS", "/mcp");
    expect(mcp.headers.get("access-control-allow-methods")).toBe("GET, POST, DELETE, OPTIONS");
  });
});

describe("the whole flow", () => {
  it("signs in, calls the MCP server with the user's Entra token, refreshes upstream, rotates and revokes", async () => {
    const clientId = await register();
    const issued = await tokens(clientId);
    const before = backendRequests.length;
    const refreshes = entra.grants.refresh_token;
    const first = await mcpCall(issued.access_token);
    expect(first.status).toBe(200);
    expect(first.headers.get("access-control-allow-origin")).toBe("*");
    const forwarded = backendRequests[before];
    expect(forwarded.url).toBe("/mcp");
    // The Entra token from the code redemption expires in 120 s: the gateway refreshed it first.
    expect(entra.grants.refresh_token).toBe(refreshes + 1);
    expect(forwarded.authorization).toMatch(/^Bearer [\w-]+\.[\w-]+\.[\w-]+$/);
    expect(decodeJwt(forwarded.authorization!.slice(7))).toMatchObject({ aud: identities.appClientId, azp: identities.appClientId, oid: entra.user.oid, iss: entra.issuer });
    expect(forwarded.authorization).not.toContain(issued.access_token);
    expect(forwarded.cookie).toBeUndefined();
    const refreshAtEntra = entra.tokenRequests.at(-1)!;
    expect(refreshAtEntra.get("grant_type")).toBe("refresh_token");
    expect(refreshAtEntra.get("client_assertion_type")).toBe("urn:ietf:params:oauth:client-assertion-type:jwt-bearer");

    expect((await mcpCall(issued.refresh_token)).status).toBe(401);

    const rotated = await call("POST", "/token", { body: form({ grant_type: "refresh_token", refresh_token: issued.refresh_token, client_id: clientId }), headers: FORM });
    expect(rotated.status).toBe(200);
    expect(rotated.headers.get("cache-control")).toBe("no-store");
    const next = json(rotated) as { access_token: string; refresh_token: string };
    expect((await mcpCall(issued.access_token)).status).toBe(401);
    expect((await mcpCall(next.access_token)).status).toBe(200);

    expect((await call("POST", "/revoke", { body: form({ token: next.access_token, client_id: clientId }), headers: FORM })).status).toBe(200);
    const revoked = await mcpCall(next.access_token);
    expect(revoked.status).toBe(401);
    expect(revoked.headers.get("www-authenticate")).toContain('error="invalid_token"');
    expect(json(await call("POST", "/token", { body: form({ grant_type: "refresh_token", refresh_token: next.refresh_token, client_id: clientId }), headers: FORM })).error).toBe("invalid_grant");

    // Reuse of a rotated refresh token revokes the family (RFC 9700 section 4.14.2).
    const other = await tokens(clientId);
    const successor = json(await call("POST", "/token", { body: form({ grant_type: "refresh_token", refresh_token: other.refresh_token, client_id: clientId }), headers: FORM })) as { access_token: string };
    expect((await mcpCall(successor.access_token)).status).toBe(200);
    const replay = await call("POST", "/token", { body: form({ grant_type: "refresh_token", refresh_token: other.refresh_token, client_id: clientId }), headers: FORM });
    expect(json(replay).error).toBe("invalid_grant");
    expect((await mcpCall(successor.access_token)).status).toBe(401);
  });

  it("redeems the Entra code with the managed identity's assertion and the gateway's own PKCE, never the client's", async () => {
    const clientId = await register();
    const { challenge } = pkce();
    const back = await signIn(clientId, challenge);
    expect(back.searchParams.get("state")).toBe("client-state");
    expect(back.searchParams.get("iss")).toBe(base);
    const redemption = entra.tokenRequests.at(-1)!;
    expect(redemption.get("grant_type")).toBe("authorization_code");
    expect(decodeJwt(redemption.get("client_assertion") ?? "")).toMatchObject({ aud: "api://AzureADTokenExchange", sub: identities.managedIdentityPrincipalId, iss: entra.issuer });
    expect(redemption.get("code_verifier")).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(redemption.get("redirect_uri")).toBe(`${base}/oauth-callback`);
    expect(redemption.has("client_secret")).toBe(false);
    expect(redemption.has("resource")).toBe(false);
  });
});

describe("attacks at /authorize and /consent", () => {
  it("refuses plain PKCE and a foreign resource at the verified redirect URI with a page linking back with state and iss, not a redirect", async () => {
    const clientId = await register();
    const plain = await call("GET", authorizeUrl(clientId, "x".repeat(43), { code_challenge_method: "plain" }));
    expect(plain.status).toBe(400);
    expect(plain.headers.get("location")).toBeNull();
    const link = new URL(/<a href="([^"]+)"/.exec(plain.text)![1]!.replace(/&amp;/g, "&"));
    expect(`${link.origin}${link.pathname}`).toBe(REDIRECT);
    expect(link.searchParams.get("error")).toBe("invalid_request");
    expect(link.searchParams.get("state")).toBe("client-state");
    expect(link.searchParams.get("iss")).toBe(base);
    const resource = await call("GET", authorizeUrl(clientId, pkce().challenge, { resource: "https://elsewhere.example/mcp" }));
    expect(resource.status).toBe(400);
    expect(resource.text).toContain("invalid_target");
  });

  it("answers a 400 page, not a redirect, for a tampered client_id or an unregistered redirect URI", async () => {
    const clientId = await register();
    const tampered = clientId.replace(/.$/, (c) => (c === "A" ? "B" : "A"));
    for (const url of [authorizeUrl(tampered, pkce().challenge), authorizeUrl(clientId, pkce().challenge, { redirect_uri: "https://attacker.example/cb" })]) {
      const reply = await call("GET", url);
      expect(reply.status).toBe(400);
      expect(reply.headers.get("location")).toBeNull();
      expect(reply.headers.get("content-type")).toContain("text/html");
    }
  });

  it("lets only the port of a loopback redirect URI vary, and escapes the client name on the consent page", async () => {
    const clientId = await register();
    const { page } = await consentPage(authorizeUrl(clientId, pkce().challenge, { redirect_uri: "http://127.0.0.1:51234/callback" }));
    expect(page.text).toContain("Test &lt;client&gt; &amp; co");
    expect(page.text).not.toContain("<client>");
    expect(page.headers.get("x-frame-options")).toBe("DENY");
    expect(page.headers.get("content-security-policy")).toContain("frame-ancestors 'none'");
    expect(page.headers.get("set-cookie")).toMatch(/^__Host-mcp-consent=[\w-]+\.[\w-]+; Path=\/; Secure; HttpOnly; SameSite=Lax; Max-Age=600$/);
    expect((await call("GET", authorizeUrl(clientId, pkce().challenge, { redirect_uri: "http://127.0.0.1:51234/other" }))).status).toBe(400);
  });

  it("refuses the consent form without its cookie, with a forged cookie, a wrong CSRF token or altered fields", async () => {
    const clientId = await register();
    const { fields, cookie } = await consentPage(authorizeUrl(clientId, pkce().challenge));
    const [name, value] = cookie.split("=");
    const forged = `${name}=${value.split(".")[0]}.${b64url(randomBytes(32))}`;
    const attempts: [Record<string, string>, string | undefined][] = [
      [{ ...fields, decision: "approve" }, undefined],
      [{ ...fields, decision: "approve" }, forged],
      [{ ...fields, csrf: b64url(randomBytes(32)), decision: "approve" }, cookie],
      [{ ...fields, code_challenge: pkce().challenge, decision: "approve" }, cookie],
      [{ ...fields, redirect_uri: "http://127.0.0.1:9/cb", decision: "approve" }, cookie],
    ];
    for (const [body, sent] of attempts) {
      const reply = await call("POST", "/consent", { body: form(body), headers: sent ? { ...FORM, Cookie: sent } : FORM });
      expect(reply.status).toBe(400);
      expect(reply.headers.get("location")).toBeNull();
    }
    const denied = location(await call("POST", "/consent", { body: form({ ...fields, decision: "deny" }), headers: { ...FORM, Cookie: cookie } }));
    expect(denied.searchParams.get("error")).toBe("access_denied");
  });
});

describe("attacks at /oauth-callback and /token", () => {
  it("uses the upstream state once", async () => {
    const clientId = await register();
    const { fields, cookie } = await consentPage(authorizeUrl(clientId, pkce().challenge));
    const approved = await call("POST", "/consent", { body: form({ ...fields, decision: "approve" }), headers: { ...FORM, Cookie: cookie } });
    const entraBack = location(await call("GET", location(approved).toString()));
    const binding = { headers: { Cookie: bindingCookie(approved) } };
    expect((await call("GET", entraBack.pathname + entraBack.search, binding)).status).toBe(302);
    const replay = await call("GET", entraBack.pathname + entraBack.search, binding);
    expect(replay.status).toBe(400);
    expect(replay.text).toContain("already completed");
    expect((await call("GET", "/oauth-callback?code=x")).status).toBe(400);
  });

  it("redeems a code once, only for its client, redirect URI and verifier", async () => {
    const clientId = await register();
    const otherClient = await register(["https://other.example/cb"]);
    const { verifier, challenge } = pkce();
    const code = (await signIn(clientId, challenge)).searchParams.get("code") ?? "";
    const attempt = (fields: Record<string, string>) => call("POST", "/token", { body: form({ grant_type: "authorization_code", code, client_id: clientId, redirect_uri: REDIRECT, code_verifier: verifier, ...fields }), headers: FORM });
    const stolen = await attempt({ client_id: otherClient });
    expect(stolen.status).toBe(400);
    expect(json(stolen).error).toBe("invalid_grant");
    expect(json(await attempt({})).error).toBe("invalid_grant"); // consumed by the failed attempt

    const fresh = pkce();
    const code2 = (await signIn(clientId, fresh.challenge)).searchParams.get("code") ?? "";
    const wrongVerifier = await call("POST", "/token", { body: form({ grant_type: "authorization_code", code: code2, client_id: clientId, redirect_uri: REDIRECT, code_verifier: verifier }), headers: FORM });
    expect(json(wrongVerifier).error).toBe("invalid_grant");

    const fresh3 = pkce();
    const code3 = (await signIn(clientId, fresh3.challenge)).searchParams.get("code") ?? "";
    const ok = await call("POST", "/token", { body: form({ grant_type: "authorization_code", code: code3, client_id: clientId, redirect_uri: REDIRECT, code_verifier: fresh3.verifier }), headers: FORM });
    expect(ok.status).toBe(200);
    expect(ok.headers.get("pragma")).toBe("no-cache");
    const replayed = await call("POST", "/token", { body: form({ grant_type: "authorization_code", code: code3, client_id: clientId, redirect_uri: REDIRECT, code_verifier: fresh3.verifier }), headers: FORM });
    expect(json(replayed).error).toBe("invalid_grant");
  });

  it("returns RFC 6749 errors for malformed and unsupported token requests", async () => {
    const cases: [string, Record<string, string>, number, string][] = [
      ['{"grant_type":"authorization_code"}', JSON_TYPE, 400, "invalid_request"],
      [form({ grant_type: "password", username: "u", password: "p" }), FORM, 400, "unsupported_grant_type"],
      [form({ code: "x" }), FORM, 400, "invalid_request"],
      ["grant_type=refresh_token&grant_type=refresh_token", FORM, 400, "invalid_request"],
      [form({ grant_type: "refresh_token", refresh_token: "not-ours", client_id: "c" }), FORM, 400, "invalid_grant"],
      [form({ grant_type: "authorization_code", code: "c", client_id: "c", client_secret: "s", redirect_uri: REDIRECT, code_verifier: "v" }), FORM, 401, "invalid_client"],
    ];
    for (const [body, headers, status, error] of cases) {
      const reply = await call("POST", "/token", { body, headers });
      expect(reply.status, body).toBe(status);
      expect(json(reply).error, body).toBe(error);
    }
  });
});

describe("hostile input", () => {
  it("never answers 500, whatever is sent to any endpoint", async () => {
    const junk = ["", "{", "%%%", "a=b&a=c", "x".repeat(20000), JSON.stringify({ redirect_uris: "https://x" }), JSON.stringify({ redirect_uris: Array(11).fill("https://a.example/cb") })];
    const types = ["application/json", "application/x-www-form-urlencoded", "text/plain"];
    for (const path of ["/register", "/token", "/revoke", "/consent", "/mcp"]) {
      for (const body of junk) {
        for (const type of types) {
          const reply = await call("POST", path, { body, headers: { "Content-Type": type, Authorization: "Bearer eyJhbGciOiJSUzI1NiJ9.e30.sig" } });
          expect(reply.status, `${path} ${type} ${body.slice(0, 20)}`).toBeLessThan(500);
        }
      }
    }
    for (const query of ["", "?client_id=", "?client_id=https://127.0.0.1/x", "?client_id=%ZZ", `?client_id=a.b&redirect_uri=${"x".repeat(3000)}`, "?state=x"]) {
      expect((await call("GET", `/authorize${query}`)).status, query).toBe(400);
      expect((await call("GET", `/oauth-callback${query}`)).status, query).toBe(400);
    }
  });

  it("refuses an Entra token or a malformed bearer presented to the MCP API", async () => {
    for (const token of ["eyJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJ4In0.c2ln", "a.b", `${"A".repeat(43)}.${"B".repeat(43)}`]) {
      const reply = await mcpCall(token);
      expect(reply.status).toBe(401);
      expect(reply.headers.get("www-authenticate")).toContain('error="invalid_token"');
    }
  });

  it("validates registrations: redirect URIs https or loopback, no fragment, public or client-secret clients only", async () => {
    const cases: [unknown, string][] = [
      [{ redirect_uris: ["http://example.com/cb"] }, "invalid_redirect_uri"],
      [{ redirect_uris: ["https://example.com/cb#frag"] }, "invalid_redirect_uri"],
      [{ redirect_uris: [] }, "invalid_redirect_uri"],
      [{ redirect_uris: ["https://example.com/cb"], token_endpoint_auth_method: "private_key_jwt" }, "invalid_client_metadata"],
      [{ redirect_uris: ["https://example.com/cb"], token_endpoint_auth_method: "tls_client_auth" }, "invalid_client_metadata"],
      [{ redirect_uris: ["https://example.com/cb"], client_name: "n".repeat(101) }, "invalid_client_metadata"],
    ];
    for (const [body, error] of cases) {
      const reply = await call("POST", "/register", { body: JSON.stringify(body), headers: JSON_TYPE });
      expect(reply.status, JSON.stringify(body)).toBe(400);
      expect(json(reply).error, JSON.stringify(body)).toBe(error);
    }
    const ok = await call("POST", "/register", { body: JSON.stringify({ redirect_uris: ["https://example.com/cb", "http://[::1]/cb"] }), headers: JSON_TYPE });
    expect(ok.status).toBe(201);
    expect(json(ok)).toMatchObject({ token_endpoint_auth_method: "none", redirect_uris: ["https://example.com/cb", "http://[::1]/cb"] });
  });
});

describe("values held in variables", () => {
  it("are only strings, numbers, booleans and send-request responses, as APIM's set-variable allows", async () => {
    resultTypes.clear();
    const clientId = await register();
    const issued = await tokens(clientId);
    expect((await mcpCall(issued.access_token)).status).toBe(200);
    expect((await call("POST", "/revoke", { body: form({ token: issued.refresh_token, client_id: clientId }), headers: FORM })).status).toBe(200);
    expect(resultTypes.has("string")).toBe(true);
    expect([...resultTypes].filter((t) => !["string", "int", "long", "bool", "null"].includes(t))).toEqual([]);
  });
});
