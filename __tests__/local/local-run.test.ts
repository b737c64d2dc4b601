/**
 * `npm run local`'s settings (local/run.ts): each variable is checked, a bad value fails naming it,
 * and the knobs the attack tests need work on a real stack: LOCAL_URL_REWRITES serves an https
 * client ID metadata document from a local server, LOCAL_ENTRA_TOKEN_LIFETIME sets the Entra
 * stand-in's token lifetime, and the synth settings OAUTH_ACCESS_TOKEN_LIFETIME /
 * OAUTH_REFRESH_TOKEN_LIFETIME reach the gateway's tokens. Every examples/*.json configuration
 * runs (several servers, an existing API Management, a custom domain), and a url backend without a
 * rewrite is named at start and answers 502.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { localSettings, parseUrlRewrites, startLocalStack, synthesizeIfChanged, type LocalStack } from "../../local/run.js";
import { synthesize } from "../../main.js";
import { startBackend } from "../../test-support/local-gateway.js";
import { browserAuthorize, pkcePair, postForm } from "../../test-support/local-oauth-client.js";
import { json, startAttackStack, type AttackEnv } from "../../test-support/attack-client.js";
import { ExpressionHost } from "../../local/csharp/expression-host.js";
import { loadPlatformConfig } from "../../config/platform.js";

describe("localSettings", () => {
  it("applies the defaults", () => {
    expect(localSettings({})).toEqual({ ports: { gateway: 8080, mcp: 8081, entra: 8082 }, logLevel: "info", mcpResponseMode: undefined, urlRewrites: {}, entraAccessTokenLifetimeSeconds: undefined });
  });

  it("reads every variable", () => {
    expect(
      localSettings({
        LOCAL_GATEWAY_PORT: "9080",
        LOCAL_MCP_PORT: "0",
        LOCAL_ENTRA_PORT: "9082",
        LOCAL_LOG_LEVEL: "debug",
        MCP_RESPONSE_MODE: "sse",
        LOCAL_URL_REWRITES: '{"https://cimd.example.test":"http://127.0.0.1:9000","https://docs.example.test:8443":"http://[::1]:9001","https://backend.example.test":"http://localhost:9002"}',
        LOCAL_ENTRA_TOKEN_LIFETIME: "90",
        LOCAL_ENTRA_USERS: '[{"name":"Ada","roles":["Tickets.Admin"]},{"name":"Bob","oid":"11111111-2222-4333-8444-555555555556","preferredUsername":"bob@contoso.example"}]',
      }),
    ).toEqual({
      ports: { gateway: 9080, mcp: 0, entra: 9082 },
      logLevel: "debug",
      mcpResponseMode: "sse",
      urlRewrites: { "https://cimd.example.test": "http://127.0.0.1:9000", "https://docs.example.test:8443": "http://[::1]:9001", "https://backend.example.test": "http://localhost:9002" },
      entraAccessTokenLifetimeSeconds: 90,
      entraUsers: [
        { name: "Ada", oid: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/), preferredUsername: "ada@contoso.example", roles: ["Tickets.Admin"] },
        { name: "Bob", oid: "11111111-2222-4333-8444-555555555556", preferredUsername: "bob@contoso.example" },
      ],
    });
  });

  it("treats empty variables as unset", () => {
    expect(localSettings({ LOCAL_URL_REWRITES: "", LOCAL_ENTRA_TOKEN_LIFETIME: "", LOCAL_LOG_LEVEL: "" })).toMatchObject({ urlRewrites: {}, entraAccessTokenLifetimeSeconds: undefined, logLevel: "info" });
  });

  it.each([
    ["LOCAL_GATEWAY_PORT", "70000", 'LOCAL_GATEWAY_PORT="70000" is not valid: expected a port number 0-65535'],
    ["LOCAL_LOG_LEVEL", "loud", 'LOCAL_LOG_LEVEL="loud" is not valid: expected one of debug, info, warn, error, silent'],
    ["MCP_RESPONSE_MODE", "xml", 'MCP_RESPONSE_MODE="xml" is not valid: expected "json" or "sse"'],
    ["LOCAL_ENTRA_TOKEN_LIFETIME", "0", 'LOCAL_ENTRA_TOKEN_LIFETIME="0" is not valid: expected a whole number of seconds from 1 to 86400'],
    ["LOCAL_ENTRA_TOKEN_LIFETIME", "86401", 'LOCAL_ENTRA_TOKEN_LIFETIME="86401" is not valid'],
    ["LOCAL_ENTRA_TOKEN_LIFETIME", "1h", 'LOCAL_ENTRA_TOKEN_LIFETIME="1h" is not valid'],
    ["LOCAL_URL_REWRITES", "{not json", 'LOCAL_URL_REWRITES="{not json" is not valid JSON'],
    ["LOCAL_URL_REWRITES", '["https://a.example"]', 'LOCAL_URL_REWRITES="[\\"https://a.example\\"]" is not a JSON object'],
    ["LOCAL_ENTRA_USERS", "Ada, Bob", 'LOCAL_ENTRA_USERS="Ada, Bob" is not valid JSON'],
    ["LOCAL_ENTRA_USERS", '{"name":"Ada"}', "is not an array of 1 to 20 users"],
    ["LOCAL_ENTRA_USERS", '[{"name":"Ada","roles":"Admin"}]', 'LOCAL_ENTRA_USERS[0].roles has "Admin"; expected an array of app role values'],
  ])("fails for %s=%j, naming it", (name, value, message) => {
    expect(() => localSettings({ [name]: value })).toThrow(message);
  });
});

describe("parseUrlRewrites", () => {
  it.each([
    ['{"http://cimd.example.test":"http://127.0.0.1:9000"}', 'LOCAL_URL_REWRITES key "http://cimd.example.test" is not an https origin'],
    ['{"https://cimd.example.test/":"http://127.0.0.1:9000"}', 'LOCAL_URL_REWRITES key "https://cimd.example.test/" is not an https origin'],
    ['{"https://cimd.example.test/docs":"http://127.0.0.1:9000"}', 'LOCAL_URL_REWRITES key "https://cimd.example.test/docs" is not an https origin'],
    ['{"https://CIMD.example.test":"http://127.0.0.1:9000"}', 'LOCAL_URL_REWRITES key "https://CIMD.example.test" is not an https origin'],
    ['{"cimd.example.test":"http://127.0.0.1:9000"}', 'LOCAL_URL_REWRITES key "cimd.example.test" is not an https origin'],
    ['{"https://cimd.example.test":"http://10.0.0.5:9000"}', 'LOCAL_URL_REWRITES value "http://10.0.0.5:9000" (for https://cimd.example.test) is not a local http origin'],
    ['{"https://cimd.example.test":"https://127.0.0.1:9000"}', 'LOCAL_URL_REWRITES value "https://127.0.0.1:9000" (for https://cimd.example.test) is not a local http origin'],
    ['{"https://cimd.example.test":"http://127.0.0.1:9000/docs"}', 'LOCAL_URL_REWRITES value "http://127.0.0.1:9000/docs" (for https://cimd.example.test) is not a local http origin'],
    ['{"https://cimd.example.test":"http://localhost.evil.example:9000"}', 'LOCAL_URL_REWRITES value "http://localhost.evil.example:9000" (for https://cimd.example.test) is not a local http origin'],
    ['{"https://cimd.example.test":9000}', 'LOCAL_URL_REWRITES value 9000 (for https://cimd.example.test) is not a local http origin'],
  ])("fails for %s, naming the bad key or value", (raw, message) => {
    expect(() => parseUrlRewrites(raw)).toThrow(message);
  });
});

describe("the knobs on a running stack", () => {
  const CIMD_ORIGIN = "https://cimd.knobs.example";
  const CLIENT_ID = `${CIMD_ORIGIN}/client.json`;
  const REDIRECT = "http://127.0.0.1:33418/callback";
  let stack: LocalStack;
  let docs: Awaited<ReturnType<typeof startBackend>>;

  beforeAll(async () => {
    docs = await startBackend((req, _body, res) => {
      if (req.url !== "/client.json") return void res.writeHead(404).end();
      res.writeHead(200, { "Content-Type": "application/json" });
      res.end(JSON.stringify({ client_id: CLIENT_ID, client_name: "Knob Client", redirect_uris: [REDIRECT], token_endpoint_auth_method: "none" }));
    });
    const outdir = mkdtempSync(join(tmpdir(), "local-run-synth-"));
    let tf: Record<string, unknown>;
    try {
      await synthesize({ env: { OAUTH_ACCESS_TOKEN_LIFETIME: "5", OAUTH_REFRESH_TOKEN_LIFETIME: "60" }, outdir, buildDir: join(outdir, "build") });
      tf = JSON.parse(readFileSync(join(outdir, "stacks", "mcp", "cdk.tf.json"), "utf8")) as Record<string, unknown>;
    } finally {
      rmSync(outdir, { recursive: true, force: true });
    }
    const settings = localSettings({ LOCAL_GATEWAY_PORT: "0", LOCAL_MCP_PORT: "0", LOCAL_ENTRA_PORT: "0", LOCAL_LOG_LEVEL: "silent", LOCAL_URL_REWRITES: JSON.stringify({ [CIMD_ORIGIN]: docs.url }), LOCAL_ENTRA_TOKEN_LIFETIME: "120" });
    stack = await startLocalStack({ tf, ports: settings.ports, logLevel: settings.logLevel, extraUrlRewrites: settings.urlRewrites, entraAccessTokenLifetimeSeconds: settings.entraAccessTokenLifetimeSeconds });
  }, 180_000);
  afterAll(async () => {
    await stack?.close();
    await docs?.close();
  });

  it("LOCAL_URL_REWRITES serves an https client ID metadata document from a local server, and OAUTH_*_TOKEN_LIFETIME reach the tokens", async () => {
    const p = pkcePair();
    const url = new URL(`${stack.gateway.url}/authorize`);
    for (const [k, v] of Object.entries({ response_type: "code", client_id: CLIENT_ID, redirect_uri: REDIRECT, state: "s", code_challenge: p.challenge, code_challenge_method: "S256", resource: stack.mcpEndpoint })) url.searchParams.set(k, v);
    const { finalUrl, consentPage } = await browserAuthorize(url, REDIRECT);
    expect(await consentPage.text()).toContain("Knob Client");
    expect(docs.requests.map((r) => r.url)).toContain("/client.json");
    const token = await postForm(`${stack.gateway.url}/token`, { grant_type: "authorization_code", code: finalUrl.searchParams.get("code")!, client_id: CLIENT_ID, redirect_uri: REDIRECT, code_verifier: p.verifier, resource: stack.mcpEndpoint });
    expect(token.status).toBe(200);
    expect(token.body.expires_in).toBe(5);
  });

  it("LOCAL_ENTRA_TOKEN_LIFETIME sets the lifetime of the Entra stand-in's tokens", async () => {
    const url = new URL(stack.entra.managedIdentityTokenUrl);
    url.searchParams.set("resource", "api://AzureADTokenExchange");
    const res = await fetch(url, { headers: { Metadata: "true" } });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { expires_in: string }).expires_in).toBe("120");
  });

  it("refuses a rewrite of an origin the stack rewrites itself, naming it", async () => {
    await expect(startLocalStack({ tf: {}, extraUrlRewrites: { "https://login.microsoftonline.com": "http://127.0.0.1:1" } })).rejects.toThrow(
      /URL rewrite for https:\/\/login\.microsoftonline\.com \(LOCAL_URL_REWRITES\) collides with one npm run local makes itself/,
    );
  });
});

describe("synthesizeIfChanged", () => {
  it("after a plain synth of the default configuration, MCP_PLATFORM_CONFIG=examples/two-servers.json synthesizes both servers, then not again", async () => {
    const outdir = mkdtempSync(join(tmpdir(), "local-run-resynth-"));
    const tfPath = join(outdir, "stacks", "mcp", "cdk.tf.json");
    const platformFile = join(import.meta.dirname, "..", "..", "examples", "two-servers.json");
    const servers = () => {
      const tf = JSON.parse(readFileSync(tfPath, "utf8")) as Record<string, unknown>;
      return Object.keys(((tf.output as Record<string, { value: Record<string, unknown> }>).servers).value).sort();
    };
    try {
      await synthesize({ env: {}, outdir, buildDir: join(outdir, "build") });
      expect(servers()).toHaveLength(1);
      expect(await synthesizeIfChanged(tfPath, { MCP_PLATFORM_CONFIG: platformFile }, outdir)).toBe(true);
      expect(servers()).toEqual(loadPlatformConfig(platformFile, { baseScope: "user_impersonate" }).servers.map((s) => s.name).sort());
      expect(await synthesizeIfChanged(tfPath, { MCP_PLATFORM_CONFIG: platformFile }, outdir)).toBe(false);
      expect(await synthesizeIfChanged(tfPath, {}, outdir)).toBe(true);
      expect(servers()).toHaveLength(1);
    } finally {
      rmSync(outdir, { recursive: true, force: true });
    }
  }, 240_000);
});

describe("npm run local with every examples/*.json configuration", () => {
  const examples = readdirSync(join(import.meta.dirname, "..", "..", "examples")).filter((f) => f.endsWith(".json")).sort();
  let host: ExpressionHost;
  beforeAll(async () => {
    host = await ExpressionHost.start();
  }, 60_000);
  afterAll(async () => {
    await host?.close();
  });

  it.each(examples)("%s starts: every server, one Entra application each, the gateway's host (default, existing or custom) served locally", async (file) => {
    const path = join(import.meta.dirname, "..", "..", "examples", file);
    const platform = loadPlatformConfig(path, { baseScope: "user_impersonate" });
    const outdir = mkdtempSync(join(tmpdir(), "local-run-example-"));
    let tf: Record<string, unknown>;
    try {
      await synthesize({ env: { MCP_PLATFORM_CONFIG: path }, outdir, buildDir: join(outdir, "build") });
      tf = JSON.parse(readFileSync(join(outdir, "stacks", "mcp", "cdk.tf.json"), "utf8")) as Record<string, unknown>;
    } finally {
      rmSync(outdir, { recursive: true, force: true });
    }
    const stack = await startLocalStack({ tf, evaluator: host, logLevel: "silent" });
    try {
      expect(stack.servers.map((s) => [s.name, s.path, s.kind])).toEqual(platform.servers.map((s) => [s.name, s.path, s.backend.kind]));
      expect(stack.entra.clientIds).toEqual(stack.servers.map((s) => s.entraClientId));
      for (const server of stack.servers) {
        expect(server.endpoint).toBe(`${stack.gateway.url}/${server.path}`);
        if (server.kind === "sample") {
          expect(server.mcp, server.name).toBeDefined();
          expect(server.unavailable).toBeUndefined();
        } else {
          // Not run here and no rewrite given: named with its URL and the rewrite to add, never called.
          const url = (platform.servers.find((s) => s.name === server.name)!.backend as { url: string }).url;
          expect(server.unavailable).toContain(`MCP server "${server.name}"`);
          expect(server.unavailable).toContain(new URL(url).origin);
          expect(server.unavailable).toContain("LOCAL_URL_REWRITES");
          expect(stack.values.urlRewrites?.[new URL(url).origin]).toBe(server.localBackend);
          await expect(fetch(`${server.localBackend}/mcp`)).rejects.toThrow();
        }
      }
      const host = platform.gateway?.hostName ?? (platform.apim?.existing ? `${platform.apim.existing.name}.azure-api.net` : undefined);
      if (host) expect(stack.values.urlRewrites?.[`https://${host}`]).toBe(stack.gateway.url);
      const as = (await (await fetch(`${stack.gateway.url}/.well-known/oauth-authorization-server`)).json()) as { issuer: string };
      expect(as.issuer).toBe(stack.gateway.url);
      const prm = (await (await fetch(`${stack.gateway.url}/.well-known/oauth-protected-resource/${stack.servers.at(-1)!.path}`)).json()) as { resource: string };
      expect(prm.resource).toBe(stack.servers.at(-1)!.endpoint);
    } finally {
      await stack.close();
    }
  }, 120_000);
});

describe("npm run local: a url backend without a rewrite", () => {
  let env: AttackEnv;
  beforeAll(async () => {
    env = await startAttackStack({ platform: JSON.parse(readFileSync(join(import.meta.dirname, "..", "..", "examples", "two-servers.json"), "utf8")) });
  }, 180_000);
  afterAll(async () => {
    await env?.close();
  });

  it("answers that server's requests with 502 naming it, and the sample keeps working", async () => {
    const tickets = env.stack.servers.find((s) => s.name === "tickets")!;
    const flow = await env.signIn({ resource: tickets.endpoint });
    const reply = await env.mcp(flow.tokens.access_token, undefined, tickets.endpoint);
    expect(reply.status).toBe(502);
    expect((json(reply) as { error: { message: string } }).error.message).toContain("tickets");
    const weather = await env.signIn();
    expect((await env.mcp(weather.tokens.access_token)).status).toBe(200);
  });
});
