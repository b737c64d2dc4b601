import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { loadConfig } from "../../mcp-app/config.js";
import { createLogger, silentLogger } from "../../mcp-app/logging.js";
import { createApp } from "../../mcp-app/server.js";
import { createTokenVerifier } from "../../mcp-app/auth.js";
import { startEntraStandIn, type EntraStandIn } from "../../local/entra/stand-in.js";
import { connectClient, postMcp, readJsonRpc } from "../../test-support/mcp-client.js";

const LIST = JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" });

describe("Entra token check on /mcp", () => {
  let entra: EntraStandIn;
  let app: ReturnType<typeof createApp>;
  const logLines: string[] = [];

  beforeAll(async () => {
    entra = await startEntraStandIn();
    app = createApp(loadConfig({ ...entra.env }), {
      logger: createLogger("debug", (line) => logLines.push(line)),
      auth: { jwksCooldownMs: 0 },
    });
  });
  afterAll(async () => entra.close());

  const call = (authorization?: string) => postMcp(app, LIST, { authorization });

  async function expectRefused(authorization: string | undefined, status: number, challenge: string) {
    const response = await call(authorization);
    expect(response.status).toBe(status);
    expect(response.headers.get("www-authenticate")).toBe(challenge);
    const body = await response.json();
    expect(body).toEqual({ jsonrpc: "2.0", error: { code: -32001, message: status === 403 ? "Forbidden" : "Unauthorized" }, id: null });
  }
  const INVALID = 'Bearer error="invalid_token"';

  it("accepts a valid token and lists the tools", async () => {
    const response = await call(`Bearer ${await entra.mint()}`);
    expect(response.status).toBe(200);
    expect(await readJsonRpc(response)).toMatchObject({ id: 1, result: { tools: expect.any(Array) } });
  });

  it("accepts the api://<clientId> audience form", async () => {
    const response = await call(`Bearer ${await entra.mint({ claims: { aud: `api://${entra.clientId}` } })}`);
    expect(response.status).toBe(200);
  });

  it("accepts appid (v1-shaped claim) as the authorized party", async () => {
    const response = await call(`Bearer ${await entra.mint({ claims: { azp: undefined, appid: entra.clientId } })}`);
    expect(response.status).toBe(200);
  });

  it("accepts a token just past exp within the clock tolerance (60 s)", async () => {
    const response = await call(`Bearer ${await entra.mint({ claims: { exp: entra.now() - 20 } })}`);
    expect(response.status).toBe(200);
  });

  it("refuses a request without a token: 401 Bearer (no error code)", async () => {
    await expectRefused(undefined, 401, "Bearer");
  });
  it("refuses another auth scheme: 401 Bearer", async () => {
    await expectRefused("Basic dXNlcjpwYXNz", 401, "Bearer");
  });
  it("refuses an expired token", async () => {
    await expectRefused(`Bearer ${await entra.mint({ claims: { exp: entra.now() - 300 } })}`, 401, INVALID);
  });
  it("refuses a token without exp", async () => {
    await expectRefused(`Bearer ${await entra.mint({ claims: { exp: undefined } })}`, 401, INVALID);
  });
  it("refuses a token that is not yet valid (nbf in the future)", async () => {
    await expectRefused(`Bearer ${await entra.mint({ claims: { nbf: entra.now() + 600 } })}`, 401, INVALID);
  });
  it("refuses a wrong audience", async () => {
    await expectRefused(`Bearer ${await entra.mint({ claims: { aud: "00000003-0000-0000-c000-000000000000" } })}`, 401, INVALID);
  });
  it("refuses a wrong issuer (another tenant)", async () => {
    await expectRefused(`Bearer ${await entra.mint({ claims: { iss: "https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47/v2.0" } })}`, 401, INVALID);
  });
  it("refuses a v1 issuer", async () => {
    await expectRefused(`Bearer ${await entra.mint({ claims: { iss: `https://sts.windows.net/${entra.tenantId}/` } })}`, 401, INVALID);
  });
  it("refuses a wrong authorized party (azp of another client)", async () => {
    await expectRefused(`Bearer ${await entra.mint({ claims: { azp: "11111111-2222-3333-4444-555555555555" } })}`, 401, INVALID);
  });
  it("refuses a token without azp/appid", async () => {
    await expectRefused(`Bearer ${await entra.mint({ claims: { azp: undefined } })}`, 401, INVALID);
  });
  it("refuses a token without the required scope: 403 insufficient_scope", async () => {
    await expectRefused(`Bearer ${await entra.mint({ claims: { scp: "openid profile" } })}`, 403, 'Bearer error="insufficient_scope", scope="user_impersonate"');
  });
  it("refuses an app-only token (roles, no scp): 403", async () => {
    await expectRefused(`Bearer ${await entra.mint({ claims: { scp: undefined, roles: ["Weather.Read"] } })}`, 403, 'Bearer error="insufficient_scope", scope="user_impersonate"');
  });
  it("does not accept a scope that only contains the required one as a substring", async () => {
    await expectRefused(`Bearer ${await entra.mint({ claims: { scp: "user_impersonate_all" } })}`, 403, 'Bearer error="insufficient_scope", scope="user_impersonate"');
  });
  it("refuses alg none", async () => {
    await expectRefused(`Bearer ${await entra.mint({ alg: "none" })}`, 401, INVALID);
  });
  it("refuses a token signed by an unpublished key under a published kid (wrong key)", async () => {
    const foreign = await entra.createKey();
    await expectRefused(`Bearer ${await entra.mint({ key: foreign, kid: entra.publishedKids[0] })}`, 401, INVALID);
  });
  it("refuses a token signed by an unpublished key with its own kid", async () => {
    const foreign = await entra.createKey();
    await expectRefused(`Bearer ${await entra.mint({ key: foreign })}`, 401, INVALID);
  });
  it("refuses an HS256 token keyed with the public key material (algorithm confusion)", async () => {
    const good = await entra.mint();
    const [, payload] = good.split(".");
    const header = Buffer.from(JSON.stringify({ alg: "HS256", typ: "JWT", kid: entra.publishedKids[0] })).toString("base64url");
    await expectRefused(`Bearer ${header}.${payload}.${Buffer.from("sig").toString("base64url")}`, 401, INVALID);
  });
  it("refuses a tampered payload", async () => {
    const [h, , s] = (await entra.mint()).split(".");
    const payload = Buffer.from(JSON.stringify({ aud: entra.clientId, azp: entra.clientId, scp: "user_impersonate", exp: entra.now() + 60 })).toString("base64url");
    await expectRefused(`Bearer ${h}.${payload}.${s}`, 401, INVALID);
  });
  it.each([
    ["not a JWT", "Bearer not-a-jwt"],
    ["two segments", "Bearer abc.def"],
    ["garbage base64", "Bearer e30.e30.e30"],
    ["empty Bearer", "Bearer "],
    ["spaces in token", "Bearer a b c"],
  ])("refuses a malformed token (%s)", async (_name, header) => {
    await expectRefused(header, 401, INVALID);
  });

  it("picks up a rotated key (new kid appears in the JWKS)", async () => {
    await (await call(`Bearer ${await entra.mint()}`)).text(); // keys cached
    const fetchesBefore = entra.jwksFetches;
    await entra.rotate();
    const response = await call(`Bearer ${await entra.mint()}`);
    expect(response.status).toBe(200);
    expect(entra.jwksFetches).toBeGreaterThan(fetchesBefore);
  });

  it("answers 503 (not 401, not 500) when the key set cannot be fetched", async () => {
    const other = await startEntraStandIn();
    try {
      other.setUnavailable(true);
      const isolated = createApp(loadConfig({ ...other.env }), { logger: silentLogger, auth: { jwksCooldownMs: 0 } });
      const response = await postMcp(isolated, LIST, { authorization: `Bearer ${await other.mint()}` });
      expect(response.status).toBe(503);
      expect(response.headers.get("retry-after")).toBe("5");
      other.setUnavailable(false);
      const recovered = await postMcp(isolated, LIST, { authorization: `Bearer ${await other.mint()}` });
      expect(recovered.status).toBe(200);
    } finally {
      await other.close();
    }
  });

  it("whoami returns the identity from the validated token", async () => {
    const client = await connectClient("http://127.0.0.1/mcp", { app, token: await entra.mint({ claims: { scp: "user_impersonate Files.Read" } }) });
    try {
      const result = await client.callTool({ name: "whoami", arguments: {} });
      expect(result.structuredContent).toEqual({
        authenticated: true,
        name: entra.user.name,
        oid: entra.user.oid,
        tenant: entra.tenantId,
        scopes: ["user_impersonate", "Files.Read"],
        roles: [],
      });
      expect((await client.listTools()).tools).toHaveLength(4);
    } finally {
      await client.close();
    }
  });

  it("keeps concurrent callers apart: same JSON-RPC id, each gets its own identity (GHSA-345p-7cg4-v4c7)", async () => {
    for (const responseMode of ["json", "sse"] as const) {
      const isolated = createApp(loadConfig({ ...entra.env, MCP_RESPONSE_MODE: responseMode }), { logger: silentLogger });
      const oids = Array.from({ length: 40 }, (_, i) => `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`);
      const tokens = await Promise.all(oids.map((oid) => entra.mint({ claims: { oid } })));
      const body = JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "whoami", arguments: {} } });
      const answers = await Promise.all(tokens.map(async (token) => readJsonRpc(await postMcp(isolated, body, { authorization: `Bearer ${token}` }))));
      expect(answers.map((a) => (a as { result: { structuredContent: { oid: string } } }).result.structuredContent.oid)).toEqual(oids);
    }
  });

  it("/healthz needs no token", async () => {
    const response = await app.request("/healthz");
    expect(response.status).toBe(200);
  });

  it("GET and DELETE /mcp still require a token before the 405", async () => {
    const response = await app.request("/mcp", { method: "GET" });
    expect(response.status).toBe(401);
  });

  it("never writes a token or the Authorization header to the log", async () => {
    const token = await entra.mint({ claims: { exp: entra.now() - 3600 } });
    await (await call(`Bearer ${token}`)).text();
    const log = logLines.join("");
    expect(logLines.length).toBeGreaterThan(5);
    expect(log).toContain("ERR_JWT_EXPIRED");
    expect(log).not.toContain(token.split(".")[1]!);
    expect(log).not.toMatch(/eyJ/);
    expect(log.toLowerCase()).not.toContain("bearer ");
  });
});

describe("verified-token cache (createTokenVerifier)", () => {
  let entra: EntraStandIn;
  beforeAll(async () => {
    entra = await startEntraStandIn();
  });
  afterAll(async () => entra.close());
  const authConfig = () => loadConfig({ ...entra.env }).auth!;

  it("remembers a verified token until the TTL, bounded in size, oldest dropped first", async () => {
    const verify = createTokenVerifier(authConfig(), { jwksCooldownMs: 0, jwksCacheMaxAgeMs: 0, verifiedTokenCacheSize: 1 });
    const a = await entra.mint({ claims: { oid: "a" } });
    const b = await entra.mint({ claims: { oid: "b" } });
    expect((await verify(`Bearer ${a}`)).ok).toBe(true);
    expect((await verify(`Bearer ${b}`)).ok).toBe(true); // evicts a
    await entra.rotate({ retireOld: true }); // the key of a and b leaves the JWKS
    expect(await verify(`Bearer ${a}`)).toMatchObject({ ok: false, status: 401 });
    expect(await verify(`Bearer ${b}`)).toMatchObject({ ok: true, caller: { oid: "b" } });
  });

  it("with the cache off every request is verified against the current JWKS", async () => {
    const verify = createTokenVerifier(authConfig(), { jwksCooldownMs: 0, jwksCacheMaxAgeMs: 0, verifiedTokenTtlMs: 0 });
    const token = await entra.mint();
    expect((await verify(`Bearer ${token}`)).ok).toBe(true);
    await entra.rotate({ retireOld: true });
    expect(await verify(`Bearer ${token}`)).toMatchObject({ ok: false, status: 401 });
  });

  it("still refuses a remembered token once it expires", async () => {
    // The clock is the test's (only Date is faked: the JWKS fetch runs for real), so no load can make the token
    // expire before the first check, and none is needed to see it expire after.
    const verify = createTokenVerifier(authConfig(), { clockToleranceSeconds: 0 });
    const exp = entra.now() + 600;
    const token = await entra.mint({ claims: { exp } });
    vi.useFakeTimers({ toFake: ["Date"], now: (exp - 1) * 1000 });
    try {
      expect((await verify(`Bearer ${token}`)).ok).toBe(true);
      vi.setSystemTime((exp + 1) * 1000);
      expect(await verify(`Bearer ${token}`)).toMatchObject({ ok: false, status: 401, reason: "ERR_JWT_EXPIRED" });
    } finally {
      vi.useRealTimers();
    }
  });

  it("does not remember refused tokens", async () => {
    const verify = createTokenVerifier(authConfig(), { jwksCooldownMs: 0 });
    const token = await entra.mint({ claims: { scp: "other" } });
    expect(await verify(`Bearer ${token}`)).toMatchObject({ status: 403 });
    expect(await verify(`Bearer ${token}`)).toMatchObject({ status: 403 });
  });
});
