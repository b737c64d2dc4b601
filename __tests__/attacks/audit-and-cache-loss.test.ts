/**
 * Audit trail (issue 13 item 7, issue 17 finding 3) and a volatile cache (issue 13 item 6), against
 * the real policies: every MCP request leaves one audit event with who, which client, server,
 * method, tool, decision, status and latency, and never a token, code or secret; its methods and
 * tools are what the body carried (every one of a batch), never what a header claims; and when the
 * cache loses what a step wrote, the next step fails cleanly (401 or invalid_grant the client
 * recovers from), never a 500.
 */
import { describe, expect, it } from "vitest";
import { ATTACK_REDIRECT, Browser, json, pkce, useAttackStack, type AttackEnv } from "../../test-support/attack-client.js";
import { MODERN_PROTOCOL_VERSION } from "../../test-support/mcp-client.js";
import { post2025, postModernCall, toolCall } from "../../test-support/mcp-posts.js";

let env: AttackEnv;
useAttackStack((started) => (env = started));

const eventsSince = (n: number) => env.auditEvents.slice(n);

describe("audit events", () => {
  it("names the user, client, server, method, tool, decision, status and latency of each MCP request", async () => {
    const flow = await env.signIn();
    const before = env.auditEvents.length;
    expect((await env.mcp(flow.tokens.access_token)).status).toBe(200);
    expect((await env.mcp(flow.tokens.access_token, { jsonrpc: "2.0", id: 2, method: "tools/call", params: { name: "whoami", arguments: {} } })).status).toBe(200);
    expect((await env.mcp("not-a-token")).status).toBe(401);
    const events = eventsSince(before);
    expect(events).toHaveLength(3);
    expect(events[0]).toMatchObject({ event: "mcp-audit", user: env.stack.entra.user.oid, server: "weather", method: "tools/list", tool: "", decision: "allowed", status: 200 });
    expect(String(events[0]!.client)).toMatch(/^registered:[A-Za-z0-9_-]{16}$/);
    expect(events[1]).toMatchObject({ method: "tools/call", tool: "whoami", decision: "allowed", status: 200 });
    expect(events[2]).toMatchObject({ user: "", client: "", method: "tools/list", decision: "denied", status: 401 });
    for (const e of events) {
      expect(typeof e.latencyMs).toBe("number");
      expect(Date.parse(String(e.time))).toBeGreaterThan(0);
    }
  });

  it("reduces a hostile tool name from the body to \"other\" (no forged JSON in the log)", async () => {
    const flow = await env.signIn();
    const before = env.auditEvents.length;
    await env.mcp(flow.tokens.access_token, { jsonrpc: "2.0", id: 3, method: "tools/call", params: { name: `x"}\n{"event":"forged`, arguments: {} } });
    expect(eventsSince(before)[0]).toMatchObject({ method: "tools/call", tool: "other" });
  });

  it("names every method and every tool of a 2025-era batch, in order, from the body", async () => {
    const flow = await env.signIn();
    const before = env.auditEvents.length;
    const batch = [{ jsonrpc: "2.0", id: 1, method: "tools/list", params: {} }, toolCall("whoami", {}, 2), { jsonrpc: "2.0", method: "notifications/progress", params: { progressToken: 1, progress: 1 } }, toolCall("get_weather", { city: "Paris" }, 3)];
    await post2025(env.resource, flow.tokens.access_token, batch);
    expect(eventsSince(before)).toEqual([expect.objectContaining({ method: "tools/list tools/call notifications/progress tools/call", tool: "whoami get_weather", messages: 4 })]);
  });

  it("names no tool for a request that calls none, whatever its Mcp-Name header says", async () => {
    const flow = await env.signIn();
    const before = env.auditEvents.length;
    const reply = await post2025(env.resource, flow.tokens.access_token, { jsonrpc: "2.0", id: 1, method: "tools/list", params: {} }, { "MCP-Protocol-Version": MODERN_PROTOCOL_VERSION, "Mcp-Method": "tools/list", "Mcp-Name": "get_forecast" });
    expect(reply.status).toBeLessThan(500);
    expect(eventsSince(before)).toEqual([expect.objectContaining({ method: "tools/list", tool: "", messages: 1 })]);
  });

  it("names the body's tool when the Mcp-Name header names another, and the request is refused", async () => {
    const flow = await env.signIn();
    const before = env.auditEvents.length;
    const reply = await postModernCall(env.resource, flow.tokens.access_token, toolCall("whoami"), { "Mcp-Name": "get_weather" });
    expect(reply.status).toBe(400);
    expect(eventsSince(before)).toEqual([expect.objectContaining({ method: "tools/call", tool: "whoami", decision: "denied", status: 400 })]);
  });

  it("never carries a token, code, cookie or secret", async () => {
    const flow = await env.signIn();
    await env.mcp(flow.tokens.access_token);
    const all = JSON.stringify(env.auditEvents);
    for (const secret of [flow.tokens.access_token, flow.tokens.refresh_token, flow.code, flow.verifier, flow.tokens.access_token.split(".")[1]!]) {
      expect(all).not.toContain(secret);
    }
    expect(all).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}/); // no JWT
  });
});

describe("a volatile cache: every read-after-write tolerates a miss", () => {
  it("a lost pending sign-in: the callback answers a 400 page, no code", async () => {
    const browser = new Browser();
    const clientId = await env.register();
    const { reply } = await env.consent(browser, env.authorizeUrl({ clientId, challenge: pkce().challenge }));
    env.cache.clear();
    const { final, stopped } = await env.follow(browser, reply.location!, ATTACK_REDIRECT);
    expect(final).toBeUndefined();
    expect(stopped?.status).toBe(400);
  });

  it("a lost code: invalid_grant", async () => {
    const browser = new Browser();
    const clientId = await env.register();
    const { verifier, challenge } = pkce();
    const { reply } = await env.consent(browser, env.authorizeUrl({ clientId, challenge }));
    const { final } = await env.follow(browser, reply.location!, ATTACK_REDIRECT);
    env.cache.clear();
    const token = await env.token({ grant_type: "authorization_code", code: final!.searchParams.get("code")!, client_id: clientId, redirect_uri: ATTACK_REDIRECT, code_verifier: verifier });
    expect(token.status).toBe(400);
    expect(json(token).error).toBe("invalid_grant");
  });

  it("a lost grant: 401 invalid_token at the MCP endpoint, invalid_grant at /token", async () => {
    const flow = await env.signIn();
    env.cache.clear();
    const mcp = await env.mcp(flow.tokens.access_token);
    expect(mcp.status).toBe(401);
    expect(mcp.headers.get("www-authenticate")).toContain('error="invalid_token"');
    expect(json(await env.refresh(flow.clientId, flow.tokens.refresh_token)).error).toBe("invalid_grant");
  });
});
