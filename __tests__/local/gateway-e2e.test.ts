import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Client, StreamableHTTPClientTransport, UnauthorizedError } from "@modelcontextprotocol/client";
import { startLocalStack, type LocalStack } from "../../local/run.js";
import { startBackend } from "../../test-support/local-gateway.js";
import { ValueCache } from "../../local/gateway/runtime-services.js";
import { MODERN_PROTOCOL_VERSION } from "../../test-support/mcp-client.js";
import { browserAuthorize, CookieJar, MemoryOAuthProvider, pkcePair, postForm, synthesizeForLocal } from "../../test-support/local-oauth-client.js";

const REDIRECT = "http://127.0.0.1:33418/callback";
/** A client ID metadata document host (https in the client_id; served locally over http). */
const CIMD_ORIGIN = "https://cimd.client.example";
const CIMD_CLIENT_ID = `${CIMD_ORIGIN}/oauth/client.json`;
let stack: LocalStack;
/** Added to the gateway cache's clock: lets a test age cached state without waiting. */
let clockOffsetMs = 0;
let cimd: Awaited<ReturnType<typeof startBackend>>;

beforeAll(async () => {
  cimd = await startBackend((req, _body, res) => {
    if (req.url !== "/oauth/client.json") return void res.writeHead(404).end();
    res.writeHead(200, { "Content-Type": "application/json" });
    res.end(JSON.stringify({ client_id: CIMD_CLIENT_ID, client_name: "Metadata Document Client", redirect_uris: [REDIRECT], grant_types: ["authorization_code", "refresh_token"], response_types: ["code"], token_endpoint_auth_method: "none" }));
  });
  const tf = await synthesizeForLocal();
  stack = await startLocalStack({ tf, logLevel: process.env.E2E_LOG === "1" ? "debug" : "silent", extraUrlRewrites: { [CIMD_ORIGIN]: cimd.url }, mcpResponseMode: "sse", cache: new ValueCache(() => Date.now() + clockOffsetMs) });
}, 180_000);
afterAll(async () => {
  await stack?.close();
  await cimd?.close();
});

async function signIn(provider: MemoryOAuthProvider): Promise<void> {
  const transport = new StreamableHTTPClientTransport(new URL(stack.mcpEndpoint), { authProvider: provider });
  const client = new Client({ name: "e2e", version: "1.0.0" });
  await expect(client.connect(transport)).rejects.toBeInstanceOf(UnauthorizedError);
  expect(provider.lastAuthorizationUrl).toBeDefined();
  const { finalUrl } = await browserAuthorize(provider.lastAuthorizationUrl!, REDIRECT);
  expect(finalUrl.searchParams.get("error")).toBeNull();
  expect(finalUrl.searchParams.get("iss")).toBe(stack.gateway.url);
  await transport.finishAuth(finalUrl.searchParams);
}

async function connected(provider: MemoryOAuthProvider): Promise<Client> {
  const client = new Client({ name: "e2e", version: "1.0.0" });
  await client.connect(new StreamableHTTPClientTransport(new URL(stack.mcpEndpoint), { authProvider: provider }));
  return client;
}

describe("local stack end to end (real MCP SDK client, real policies, Mono C# expressions)", () => {
  it("discovers, registers, consents, exchanges the code and calls tools as the test user", async () => {
    const provider = new MemoryOAuthProvider(REDIRECT);
    await signIn(provider);
    expect(provider.savedTokens?.access_token).toBeTruthy();
    const client = await connected(provider);
    const tools = await client.listTools();
    expect(tools.tools.map((t) => t.name)).toEqual(expect.arrayContaining(["get_cities", "get_weather", "whoami"]));
    const who = await client.callTool({ name: "whoami", arguments: {} });
    expect(JSON.stringify(who.content)).toContain(stack.entra.user.name);
    await client.close();
  });
});

describe("per-tool scopes end to end: the SDK v2 client steps up through the gateway (T-tool-scope)", () => {
  const eras = [
    { era: "2025 handshake (initialize)", options: {} },
    { era: "Auto (server/discover, fallback)", options: { versionNegotiation: { mode: "auto" as const } } },
    { era: "Modern pinned to 2026-07-28", options: { versionNegotiation: { mode: { pin: MODERN_PROTOCOL_VERSION } } } },
  ];
  for (const { era, options } of eras) {
    it(`${era}: get_forecast is refused with the step-up challenge, the client re-authorizes with the union of scopes, consents to "Read weather forecasts" and the call works`, async () => {
      const provider = new MemoryOAuthProvider(REDIRECT);
      await signIn(provider);
      const base = `api://${stack.identities.appClientId}/user_impersonate`;
      const forecast = `api://${stack.identities.appClientId}/forecast.read`;
      expect(provider.savedTokens?.scope).toBe(base);
      const transport = new StreamableHTTPClientTransport(new URL(stack.mcpEndpoint), { authProvider: provider });
      const client = new Client({ name: "e2e", version: "1.0.0" }, options);
      await client.connect(transport);
      const weather = await client.callTool({ name: "get_weather", arguments: { city: "London" } });
      expect(weather.isError).not.toBe(true);
      provider.lastAuthorizationUrl = undefined;
      await expect(client.callTool({ name: "get_forecast", arguments: { city: "London", days: 2 } })).rejects.toBeInstanceOf(UnauthorizedError);
      const again = provider.lastAuthorizationUrl!;
      expect(again).toBeDefined();
      expect(again.searchParams.get("scope")!.split(" ")).toEqual(expect.arrayContaining([base, forecast]));
      const { finalUrl, consentPage } = await browserAuthorize(again, REDIRECT);
      expect(await consentPage.text()).toContain("Read weather forecasts");
      await transport.finishAuth(finalUrl.searchParams);
      expect(provider.savedTokens?.scope).toBe(`${base} ${forecast}`);
      const result = await client.callTool({ name: "get_forecast", arguments: { city: "London", days: 2 } });
      expect(result.isError).not.toBe(true);
      expect(JSON.stringify(result.content)).toContain("London");
      await client.close();
    });
  }
});

describe("local stack end to end: tokens, refresh, revocation and attacks", () => {
  const gw = () => stack.gateway.url;

  async function register(redirectUris = [REDIRECT], name = "attack test client"): Promise<string> {
    const res = await fetch(`${gw()}/register`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ client_name: name, redirect_uris: redirectUris, grant_types: ["authorization_code", "refresh_token"], response_types: ["code"], token_endpoint_auth_method: "none" }),
    });
    expect(res.status).toBe(201);
    return ((await res.json()) as { client_id: string }).client_id;
  }

  function authorizeUrl(clientId: string, challenge: string, extra: Record<string, string> = {}): URL {
    const u = new URL(`${gw()}/authorize`);
    const params = { response_type: "code", client_id: clientId, redirect_uri: REDIRECT, code_challenge: challenge, code_challenge_method: "S256", state: "client-state-1", resource: stack.mcpEndpoint, ...extra };
    for (const [k, v] of Object.entries(params)) u.searchParams.set(k, v);
    return u;
  }

  async function code(clientId: string, challenge: string) {
    const r = await browserAuthorize(authorizeUrl(clientId, challenge), REDIRECT);
    expect(r.finalUrl.searchParams.get("state")).toBe("client-state-1");
    return { code: r.finalUrl.searchParams.get("code")!, hops: r.hops };
  }

  const exchange = (clientId: string, c: string, verifier: string, extra: Record<string, string> = {}) =>
    postForm(`${gw()}/token`, { grant_type: "authorization_code", client_id: clientId, code: c, redirect_uri: REDIRECT, code_verifier: verifier, resource: stack.mcpEndpoint, ...extra });

  const mcpCall = (token: string, url = stack.mcpEndpoint) =>
    fetch(url, {
      method: "POST",
      headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json", Accept: "application/json, text/event-stream" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list", params: {} }),
    });

  it("issues tokens once per code, with Cache-Control no-store; a replayed code is invalid_grant", async () => {
    const client = await register();
    const p = pkcePair();
    const { code: c } = await code(client, p.challenge);
    const first = await exchange(client, c, p.verifier);
    expect(first.status).toBe(200);
    expect(first.headers.get("cache-control")).toContain("no-store");
    expect(first.body).toMatchObject({ token_type: "Bearer" });
    expect((await mcpCall(first.body.access_token as string)).status).toBe(200);
    const replay = await exchange(client, c, p.verifier);
    expect(replay.status).toBe(400);
    expect(replay.body.error).toBe("invalid_grant");
  });

  it("streams the MCP server's event-stream answers through the gateway (buffer-response=false)", async () => {
    const client = await register();
    const p = pkcePair();
    const tokens = (await exchange(client, (await code(client, p.challenge)).code, p.verifier)).body;
    const res = await mcpCall(tokens.access_token as string);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/event-stream/);
    expect(await res.text()).toMatch(/^event: message\ndata: \{.*"tools"/m);
  });

  it("refuses a wrong code_verifier, another client's code and a different redirect_uri", async () => {
    // Distinct metadata: a self-contained registration is a pure function of it (and the second it was made).
    const a = await register([REDIRECT], "client A");
    const b = await register([REDIRECT], "client B");
    expect(a).not.toBe(b);
    for (const attack of ["verifier", "client", "redirect"] as const) {
      const p = pkcePair();
      const { code: c } = await code(a, p.challenge);
      const res =
        attack === "verifier"
          ? await exchange(a, c, pkcePair().verifier)
          : attack === "client"
            ? await exchange(b, c, p.verifier)
            : await exchange(a, c, p.verifier, { redirect_uri: "http://127.0.0.1:33418/other" });
      expect(res.status, attack).toBe(400);
      expect(["invalid_grant", "invalid_request"], attack).toContain(res.body.error);
    }
  });

  it("rotates refresh tokens: the new one works, the used one is invalid_grant", async () => {
    const client = await register();
    const p = pkcePair();
    const tokens = (await exchange(client, (await code(client, p.challenge)).code, p.verifier)).body;
    const refresh = (rt: string) => postForm(`${gw()}/token`, { grant_type: "refresh_token", client_id: client, refresh_token: rt, resource: stack.mcpEndpoint });
    const second = await refresh(tokens.refresh_token as string);
    expect(second.status).toBe(200);
    expect(second.body.refresh_token).not.toBe(tokens.refresh_token);
    expect((await mcpCall(second.body.access_token as string)).status).toBe(200);
    const reused = await refresh(tokens.refresh_token as string);
    expect(reused.status).toBe(400);
    expect(reused.body.error).toBe("invalid_grant");
  });

  it("revokes: a revoked access token gets 401 at the MCP endpoint", async () => {
    const client = await register();
    const p = pkcePair();
    const tokens = (await exchange(client, (await code(client, p.challenge)).code, p.verifier)).body;
    const res = await postForm(`${gw()}/revoke`, { token: tokens.access_token as string, client_id: client });
    expect(res.status).toBe(200);
    expect((await mcpCall(tokens.access_token as string)).status).toBe(401);
  });

  it("identifies a client by its client ID metadata document (no registration) and shows its name on the consent page", async () => {
    const p = pkcePair();
    const r = await browserAuthorize(authorizeUrl(CIMD_CLIENT_ID, p.challenge), REDIRECT);
    expect(await r.consentPage.text()).toContain("Metadata Document Client");
    expect(cimd.requests.some((q) => q.url === "/oauth/client.json")).toBe(true);
    const tokens = await exchange(CIMD_CLIENT_ID, r.finalUrl.searchParams.get("code")!, p.verifier);
    expect(tokens.status).toBe(200);
    expect((await mcpCall(tokens.body.access_token as string)).status).toBe(200);
  });

  it("refuses a replayed Entra callback (state is single use)", async () => {
    const client = await register();
    const p = pkcePair();
    const { hops } = await code(client, p.challenge);
    const callback = hops.find((h) => h.startsWith(`${gw()}/oauth-callback`));
    expect(callback).toBeDefined();
    const replay = await fetch(callback!, { redirect: "manual" });
    const location = replay.headers.get("location") ?? "";
    expect(new URL(location || "http://x/").searchParams.get("code")).toBeNull();
    expect(replay.status).toBeLessThan(500);
  });

  it("refuses an expired state: the Entra callback after the pending request's lifetime issues no code", async () => {
    const client = await register();
    try {
      // The pending request is gone, so the gateway cannot know where to send an error: it shows a 400 page.
      const run = browserAuthorize(authorizeUrl(client, pkcePair().challenge), REDIRECT, {
        beforeHop: (url) => {
          if (url.startsWith(`${gw()}/oauth-callback`)) clockOffsetMs = 60 * 60 * 1000;
        },
      });
      await expect(run).rejects.toThrow(/the flow stopped at .*\/oauth-callback\?.* with 400/);
    } finally {
      clockOffsetMs = 0;
    }
  });

  it("refuses an unregistered or extended redirect URI at /authorize without redirecting to it", async () => {
    const client = await register();
    for (const redirect of ["http://127.0.0.1:33418/evil", `${REDIRECT}?extra=1`, `${REDIRECT}/more`, "https://127.0.0.1:33418/callback"]) {
      const res = await fetch(authorizeUrl(client, pkcePair().challenge, { redirect_uri: redirect }), { redirect: "manual" });
      expect(res.status, redirect).toBe(400);
      expect(res.headers.get("location"), redirect).toBeNull();
    }
  });

  it("refuses a tampered client_id", async () => {
    const client = await register();
    // One character of the MAC changed (never to itself; the last character may carry only padding bits).
    const tampered = client.slice(0, -2) + (client.at(-2) === "A" ? "B" : "A") + client.slice(-1);
    expect(tampered).not.toBe(client);
    const res = await fetch(authorizeUrl(tampered, pkcePair().challenge), { redirect: "manual" });
    expect(res.status).toBe(400);
    expect(res.headers.get("location")).toBeNull();
  });

  it("refuses a consent form with a tampered CSRF field or cookie", async () => {
    const client = await register();
    for (const what of ["field", "cookie"] as const) {
      const jar = new CookieJar();
      const url = authorizeUrl(client, pkcePair().challenge);
      const run = browserAuthorize(url, REDIRECT, {
        jar,
        tamper: (form) => {
          if (what === "field") {
            const k = Object.keys(form.fields).find((f) => /csrf/i.test(f)) ?? Object.keys(form.fields)[0]!;
            return { ...form, fields: { ...form.fields, [k]: `${form.fields[k]}x` } };
          }
          jar.corrupt(gw());
          return form;
        },
      });
      await expect(run, what).rejects.toThrow(/the flow stopped at .*\/consent with 4\d\d/);
    }
  });

  it("does not accept an Entra token at the gateway, nor a gateway token at the MCP server", async () => {
    const entraToken = await stack.entra.managedIdentityToken(stack.identities.appClientId);
    expect((await mcpCall(entraToken)).status).toBe(401);
    const client = await register();
    const p = pkcePair();
    const tokens = (await exchange(client, (await code(client, p.challenge)).code, p.verifier)).body;
    expect((await mcpCall(tokens.access_token as string, `${stack.mcp!.url}/mcp`)).status).toBe(401);
  });

  it("answers malformed, oversized and wrong-content-type requests to every endpoint without a 500", async () => {
    const big = "x".repeat(5 * 1024 * 1024);
    const cases: [string, RequestInit][] = [
      ["/token", { method: "POST", headers: { "Content-Type": "application/json" }, body: "{}" }],
      ["/token", { method: "POST", headers: { "Content-Type": "application/x-www-form-urlencoded" }, body: "%%%=&&&grant_type" }],
      ["/token", { method: "POST", headers: { "Content-Type": "application/x-www-form-urlencoded" }, body: big }],
      ["/register", { method: "POST", headers: { "Content-Type": "application/json" }, body: "{not json" }],
      ["/register", { method: "POST", headers: { "Content-Type": "text/plain" }, body: "hello" }],
      ["/register", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ redirect_uris: ["javascript:alert(1)"] }) }],
      ["/revoke", { method: "POST", headers: { "Content-Type": "application/json" }, body: "[]" }],
      ["/authorize", { method: "GET" }],
      ["/authorize?client_id=%00&redirect_uri=%zz", { method: "GET" }],
      ["/consent", { method: "POST", headers: { "Content-Type": "application/x-www-form-urlencoded" }, body: "a=b" }],
      ["/oauth-callback?state=nope&code=x", { method: "GET" }],
      ["/mcp", { method: "POST", headers: { Authorization: "Bearer garbage", "Content-Type": "application/json" }, body: "{" }],
      ["/mcp", { method: "POST", headers: { Authorization: "Bearer a.b", "Content-Type": "text/plain" }, body: big }],
    ];
    for (const [path, init] of cases) {
      const res = await fetch(`${gw()}${path}`, { ...init, redirect: "manual" });
      expect(res.status, `${init.method} ${path}`).toBeGreaterThanOrEqual(200);
      expect(res.status, `${init.method} ${path}`).toBeLessThan(500);
    }
  });
});

describe("local stack end to end: upstream refresh", () => {
  let short: LocalStack;
  beforeAll(async () => {
    // Entra tokens that always expire within the gateway's 5-minute margin: every MCP call refreshes upstream.
    short = await startLocalStack({ tf: await synthesizeForLocal(), logLevel: "silent", entraAccessTokenLifetimeSeconds: 120 });
  }, 180_000);
  afterAll(async () => {
    await short?.close();
  });

  it("refreshes the user's Entra token with the managed-identity assertion and keeps the rotated refresh token", async () => {
    const provider = new MemoryOAuthProvider(REDIRECT, "refresh test client");
    const transport = new StreamableHTTPClientTransport(new URL(short.mcpEndpoint), { authProvider: provider });
    await expect(new Client({ name: "e2e", version: "1.0.0" }).connect(transport)).rejects.toBeInstanceOf(UnauthorizedError);
    const { finalUrl } = await browserAuthorize(provider.lastAuthorizationUrl!, REDIRECT);
    await transport.finishAuth(finalUrl.searchParams);
    const before = short.entra.grants.refresh_token;
    const client = new Client({ name: "e2e", version: "1.0.0" });
    await client.connect(new StreamableHTTPClientTransport(new URL(short.mcpEndpoint), { authProvider: provider }));
    for (let i = 0; i < 3; i++) {
      const who = await client.callTool({ name: "whoami", arguments: {} });
      expect(JSON.stringify(who.content)).toContain(short.entra.user.name);
    }
    await client.close();
    // The stand-in refuses a used refresh token, so several successful refreshes prove each rotated one was kept.
    expect(short.entra.grants.refresh_token - before).toBeGreaterThanOrEqual(3);
  });
});
