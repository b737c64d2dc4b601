/**
 * Threat T-header-allow-list (issue 17 finding 4): a client sends the identity and forwarding headers App Service
 * apps and proxies often trust (X-MS-CLIENT-PRINCIPAL-*, X-MS-TOKEN-AAD-*, X-Forwarded-Authorization,
 * Proxy-Authorization, Cookie, ...). The gateway forwards only what MCP needs and its own Authorization; every other
 * header is deleted before the backend, and a request with more such headers than the policy can delete is refused.
 */
import http from "node:http";
import { describe, expect, it } from "vitest";
import { json, useAttackStack, type AttackEnv, type Reply } from "../../test-support/attack-client.js";
import { MCP_ACCEPT } from "../../test-support/mcp-client.js";
import { post2025, postModernCall, toolCall } from "../../test-support/mcp-posts.js";

let env: AttackEnv;
useAttackStack((started) => (env = started), { countBackend: true });

/** What a backend may see: the allow list of policies/fragments/mcp-header-allow-list.xml, plus the transport's own headers. */
const ALLOWED = new Set(["content-type", "accept", "mcp-protocol-version", "mcp-session-id", "mcp-method", "mcp-name", "last-event-id", "traceparent", "tracestate", "user-agent", "authorization"]);
const TRANSPORT = new Set(["host", "content-length", "connection", "keep-alive", "transfer-encoding", "x-forwarded-for"]);

/** Headers a backend might trust, with the values an attacker would choose. */
const FORGED: Record<string, string> = {
  "X-MS-CLIENT-PRINCIPAL": Buffer.from(JSON.stringify({ auth_typ: "aad", claims: [{ typ: "roles", val: "Admin" }] })).toString("base64"),
  "X-MS-CLIENT-PRINCIPAL-ID": "00000000-0000-0000-0000-000000000001",
  "X-MS-CLIENT-PRINCIPAL-NAME": "admin@contoso.example",
  "X-MS-CLIENT-PRINCIPAL-IDP": "aad",
  "X-MS-TOKEN-AAD-ACCESS-TOKEN": "forged.access.token",
  "X-MS-TOKEN-AAD-ID-TOKEN": "forged.id.token",
  "X-Forwarded-Authorization": "Bearer forged",
  "Proxy-Authorization": "Basic YWRtaW46YWRtaW4=",
  Cookie: "AppServiceAuthSession=forged; session=admin",
  "X-Forwarded-Host": "admin.contoso.example",
  "X-Original-URL": "/admin",
  "X-Client-Roles": "Admin",
  "Mcp-Param-Bad_Name": "underscore",
  [`Mcp-Param-${"a".repeat(65)}`]: "too long",
};

const lastForwarded = () => env.backendRequests[env.backendRequests.length - 1]!;

/** A POST with exactly these headers (node:http adds only Host, Content-Length and Connection), so a test can count what is dropped. */
function rawPost(token: string, body: string, headers: Record<string, string>): Promise<Reply> {
  const url = new URL(env.resource);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: url.hostname, port: url.port, path: url.pathname, method: "POST", headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json", Accept: MCP_ACCEPT, ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => {
        const replyHeaders = new Headers();
        for (const [k, v] of Object.entries(res.headers)) if (typeof v === "string") replyHeaders.set(k, v);
        resolve({ status: res.statusCode ?? 0, headers: replyHeaders, text: Buffer.concat(chunks).toString("utf8") });
      });
    });
    req.on("error", reject);
    req.end(body);
  });
}

describe("the headers a backend receives", () => {
  it("forwards only the allowed headers: identity, forwarding, cookie and unknown headers never reach the backend", async () => {
    const flow = await env.signIn();
    for (const send of [
      () => post2025(env.resource, flow.tokens.access_token, { jsonrpc: "2.0", id: 1, method: "tools/list", params: {} }, FORGED),
      () => postModernCall(env.resource, flow.tokens.access_token, toolCall("get_weather", { city: "Oslo" }), FORGED),
    ]) {
      const before = env.backendRequests.length;
      expect((await send()).status).toBe(200);
      expect(env.backendRequests.length).toBe(before + 1);
      const names = Object.keys(lastForwarded().headers);
      expect(names.filter((n) => !ALLOWED.has(n) && !TRANSPORT.has(n)), "headers outside the allow list").toEqual([]);
      const values = JSON.stringify(lastForwarded().headers);
      for (const value of Object.values(FORGED)) expect(values).not.toContain(value);
      // The client's own token is not among them either: the backend's Authorization is the user's Entra token.
      expect(values).not.toContain(flow.tokens.access_token);
    }
    // The gateway itself says where the request came from: the client's X-Forwarded-For is not passed on as written.
    await post2025(env.resource, flow.tokens.access_token, { jsonrpc: "2.0", id: 1, method: "tools/list", params: {} }, { "X-Forwarded-For": "10.0.0.1, 203.0.113.9" });
    expect(lastForwarded().headers["x-forwarded-for"] ?? "").not.toContain("203.0.113.9");
  });

  it("keeps what MCP needs: the protocol headers, Mcp-Param headers in any letter case and the trace context", async () => {
    const flow = await env.signIn();
    const kept = {
      "Mcp-Session-Id": "session-1",
      "Last-Event-ID": "42",
      "Mcp-Param-Region": "eu-west",
      "MCP-PARAM-UNITS": "metric",
      traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
      tracestate: "contoso=t61rcWkgMzE",
      "User-Agent": "declared-client/1.0",
    };
    expect((await postModernCall(env.resource, flow.tokens.access_token, toolCall("get_weather", { city: "Oslo" }), kept)).status).toBe(200);
    const forwarded = lastForwarded().headers;
    for (const [name, value] of Object.entries(kept)) expect(forwarded[name.toLowerCase()], name).toBe(value);
    expect(forwarded).toMatchObject({ "mcp-method": "tools/call", "mcp-name": "get_weather", "mcp-protocol-version": "2026-07-28", "content-type": "application/json" });
    expect(forwarded.authorization).toMatch(/^Bearer ey/);
  });

  it("refuses a request with more headers outside the list than it can drop with 431, before the backend", async () => {
    const flow = await env.signIn();
    const junk = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`X-Junk-${i}`, "x"]));
    const body = JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list", params: {} });
    // 64 headers to drop (with Connection, which the transport owns) are dropped, every one of them.
    const before = env.backendRequests.length;
    expect((await rawPost(flow.tokens.access_token, body, junk(64))).status).toBe(200);
    expect(env.backendRequests.length).toBe(before + 1);
    expect(Object.keys(lastForwarded().headers).filter((n) => n.startsWith("x-junk-"))).toEqual([]);
    // One more cannot be dropped, so the request is not forwarded.
    const refused = await rawPost(flow.tokens.access_token, body, junk(65));
    expect(refused.status).toBe(431);
    expect(json(refused)).toMatchObject({ jsonrpc: "2.0", id: null, error: { code: -32600, message: expect.stringContaining("65 headers") } });
    expect(refused.headers.get("access-control-allow-origin")).toBe("*");
    expect(env.backendRequests.length).toBe(before + 1);
    expect(env.auditEvents.at(-1)).toMatchObject({ decision: "denied", status: 431 });
  });
});
