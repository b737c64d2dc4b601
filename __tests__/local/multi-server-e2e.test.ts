/**
 * One gateway, two MCP servers, end to end on the local stack (issue 10): the bundled sample
 * `weather` at /mcp and "your own" server `tickets` at /tickets/mcp, a `url` backend that this test
 * runs itself (test-support/tickets-server.ts, reached through a URL rewrite) and that checks its
 * tokens as README "Protect your own MCP server" says. Real synthesized policies, Mono C#
 * expressions, the Entra stand-in with one application per server, real MCP SDK clients.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tokenCheckEnvironment } from "../../local/token-check-env.js";
import { Client, StreamableHTTPClientTransport, UnauthorizedError } from "@modelcontextprotocol/client";
import { decodeJwt } from "jose";
import { call, json, startAttackStack, type AttackEnv, type Reply } from "../../test-support/attack-client.js";
import { browserAuthorize, MemoryOAuthProvider } from "../../test-support/local-oauth-client.js";
import { connectClient, type ClientEra } from "../../test-support/mcp-client.js";
import { startTicketsServer, type TicketsServer } from "../../test-support/tickets-server.js";
import type { LocalStackServer } from "../../local/run.js";

const TICKETS_ORIGIN = "https://tickets.e2e.example";
const REDIRECT = "http://127.0.0.1:33418/callback";
const PLATFORM = {
  servers: [
    { name: "weather", path: "mcp", title: "Weather", backend: { kind: "sample" } },
    { name: "tickets", path: "tickets/mcp", title: "Tickets", backend: { kind: "url", url: `${TICKETS_ORIGIN}/mcp` }, timeoutSeconds: 2, scopes: ["tickets.write"] },
  ],
};

let env: AttackEnv;
let tickets: TicketsServer;
let weather: LocalStackServer;
let ticketsServer: LocalStackServer;
/** Every gateway access token issued in this file (none of them may ever reach a backend). */
const gatewayTokens: string[] = [];

beforeAll(async () => {
  tickets = await startTicketsServer();
  env = await startAttackStack({ platform: PLATFORM, urlRewrites: { [TICKETS_ORIGIN]: tickets.url } });
  weather = env.stack.servers.find((s) => s.name === "weather")!;
  ticketsServer = env.stack.servers.find((s) => s.name === "tickets")!;
  tickets.expect(tokenCheckEnvironment(env.stack.entra, ticketsServer)); // what npm run local prints for it, under the names README's checks read
}, 180_000);
afterAll(async () => {
  await env?.close();
  await tickets?.close();
});

/** Signs in with the real SDK client's OAuth flow (401, RFC 9728 discovery for this endpoint, registration, consent, Entra, token). */
async function sdkSignIn(endpoint: string): Promise<MemoryOAuthProvider> {
  const provider = new MemoryOAuthProvider(REDIRECT);
  const transport = new StreamableHTTPClientTransport(new URL(endpoint), { authProvider: provider });
  await expect(new Client({ name: "multi-server", version: "1.0.0" }).connect(transport)).rejects.toBeInstanceOf(UnauthorizedError);
  expect(provider.lastAuthorizationUrl?.searchParams.get("resource")).toBe(endpoint);
  const { finalUrl } = await browserAuthorize(provider.lastAuthorizationUrl!, REDIRECT);
  expect(finalUrl.searchParams.get("error")).toBeNull();
  await transport.finishAuth(finalUrl.searchParams);
  gatewayTokens.push(provider.savedTokens!.access_token);
  return provider;
}

async function callTool(endpoint: string, token: string, era: ClientEra, tool: string): Promise<string> {
  const client = await connectClient(endpoint, { token, era });
  try {
    const tools = await client.listTools();
    expect(tools.tools.map((t) => t.name)).toContain(tool);
    const result = await client.callTool({ name: tool, arguments: {} });
    return JSON.stringify(result.content);
  } finally {
    await client.close();
  }
}

async function signedIn(server: LocalStackServer): Promise<string> {
  const flow = await env.signIn({ resource: server.endpoint });
  gatewayTokens.push(flow.tokens.access_token);
  return flow.tokens.access_token;
}

function expectJsonRpcFailure(reply: Reply, status: number, server: string, id: unknown = 1): void {
  expect(reply.status).toBe(status);
  expect(reply.headers.get("access-control-allow-origin")).toBe("*");
  const body = json(reply) as { jsonrpc: string; id: unknown; error: { code: number; message: string } };
  expect(body.jsonrpc).toBe("2.0");
  expect(body.id).toEqual(id); // the request's id (env.mcp's default body has id 1)
  expect(body.error.code).toBe(-32603);
  expect(body.error.message).toContain(server);
}

describe("one gateway, two MCP servers (sample + your own url backend)", () => {
  it("runs both servers locally: the sample on its own MCP server, tickets through the rewrite, each with its own Entra application", () => {
    expect(env.stack.servers.map((s) => [s.name, s.path, s.kind])).toEqual([["weather", "mcp", "sample"], ["tickets", "tickets/mcp", "url"]]);
    expect(weather.mcp).toBeDefined();
    expect(ticketsServer.localBackend).toBe(tickets.url);
    expect(ticketsServer.unavailable).toBeUndefined();
    expect(ticketsServer.entraClientId).not.toBe(weather.entraClientId);
    expect(env.stack.entra.clientIds).toEqual([weather.entraClientId, ticketsServer.entraClientId]);
  });

  it("signs in to each server with the SDK client's discovery and calls a tool on each, in both protocol eras", async () => {
    const w = await sdkSignIn(weather.endpoint);
    const t = await sdkSignIn(ticketsServer.endpoint);
    for (const era of ["legacy", "modern"] as const) {
      expect(await callTool(weather.endpoint, w.savedTokens!.access_token, era, "whoami")).toContain(env.stack.entra.user.name);
      expect(await callTool(ticketsServer.endpoint, t.savedTokens!.access_token, era, "list_tickets")).toContain(`Open tickets of ${env.stack.entra.user.name}`);
    }
    // Both eras reached the tickets server through the gateway: the 2025 initialize handshake and 2026-07-28 requests.
    expect(tickets.protocolVersions).toContain("2026-07-28");
    expect(tickets.protocolVersions.some((v) => v !== undefined && v.startsWith("2025-"))).toBe(true);
  });

  it("publishes each server's protected-resource metadata with its own resource and scopes", async () => {
    const prm = json(await call("GET", `${env.base}/.well-known/oauth-protected-resource/tickets/mcp`));
    expect(prm.resource).toBe(ticketsServer.endpoint);
    expect(prm.scopes_supported).toContain(`api://${ticketsServer.entraClientId}/user_impersonate`);
    expect(JSON.stringify(prm)).not.toContain(weather.entraClientId);
  });

  it("refuses a token for one server at the other, in both directions, before either backend sees it", async () => {
    const weatherToken = await signedIn(weather);
    const ticketsToken = await signedIn(ticketsServer);
    expect((await env.mcp(weatherToken, undefined, weather.endpoint)).status).toBe(200);
    expect((await env.mcp(ticketsToken, undefined, ticketsServer.endpoint)).status).toBe(200);
    const seen = tickets.authorizations.length;
    for (const [token, server] of [[weatherToken, ticketsServer], [ticketsToken, weather]] as const) {
      const reply = await env.mcp(token, undefined, server.endpoint);
      expect(reply.status, `${server.name} with the other server's token`).toBe(401);
      expect(reply.headers.get("www-authenticate")).toMatch(/error="invalid_token"/);
      expect(reply.headers.get("www-authenticate")).toContain(`/.well-known/oauth-protected-resource/${server.path}`);
    }
    expect(tickets.authorizations.length).toBe(seen);
  });

  it("gives the tickets backend the user's Entra token for the tickets application, never a gateway token", async () => {
    await signedIn(ticketsServer).then((token) => env.mcp(token, undefined, ticketsServer.endpoint));
    expect(tickets.authorizations.length).toBeGreaterThan(0);
    for (const header of tickets.authorizations) {
      expect(header).toMatch(/^Bearer /);
      const token = header!.slice("Bearer ".length);
      expect(gatewayTokens).not.toContain(token);
      for (const gatewayToken of gatewayTokens) expect(header).not.toContain(gatewayToken);
      const claims = decodeJwt(token);
      expect(claims).toMatchObject({ iss: env.stack.entra.issuer, aud: ticketsServer.entraClientId, azp: ticketsServer.entraClientId, oid: env.stack.entra.user.oid });
      expect(String(claims.scp).split(" ")).toContain("user_impersonate");
    }
    expect(gatewayTokens.length).toBeGreaterThanOrEqual(4);
  });

  it("answers 504 with a JSON-RPC error and CORS when the tickets backend is silent beyond its timeoutSeconds, while weather keeps working", async () => {
    const ticketsToken = await signedIn(ticketsServer);
    const weatherToken = await signedIn(weather);
    tickets.mode = "silent";
    try {
      const started = Date.now();
      expectJsonRpcFailure(await env.mcp(ticketsToken, { jsonrpc: "2.0", id: "slow-1", method: "tools/list", params: {} }, ticketsServer.endpoint), 504, "tickets", "slow-1");
      expect(Date.now() - started).toBeGreaterThanOrEqual(1_900);
      expect((await env.mcp(weatherToken, undefined, weather.endpoint)).status).toBe(200);
    } finally {
      tickets.mode = "normal";
    }
    expect((await env.mcp(ticketsToken, undefined, ticketsServer.endpoint)).status).toBe(200);
  }, 30_000);

  it("answers 502 with a JSON-RPC error and CORS when the tickets backend is down, while weather keeps working", async () => {
    const ticketsToken = await signedIn(ticketsServer);
    const weatherToken = await signedIn(weather);
    await tickets.close();
    expectJsonRpcFailure(await env.mcp(ticketsToken, undefined, ticketsServer.endpoint), 502, "tickets");
    expect((await env.mcp(weatherToken, undefined, weather.endpoint)).status).toBe(200);
    expect(env.auditEvents.filter((e) => e.server === "tickets" && e.status === 502)).toEqual([expect.objectContaining({ decision: "error" })]);
    expect(env.auditEvents.filter((e) => e.server === "tickets" && e.status === 504)).toEqual([expect.objectContaining({ decision: "error" })]);
  });
});
