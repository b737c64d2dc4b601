/**
 * Threat: a backend that is down (issue 10 item 2). The client gets a 502 with a JSON-RPC error
 * body carrying its request's id (issue 21) and the CORS headers, never a 500 or a hang, and the
 * gateway keeps answering.
 */
import { describe, expect, it } from "vitest";
import { call, json, useAttackStack, type AttackEnv } from "../../test-support/attack-client.js";

let env: AttackEnv;
useAttackStack((started) => (env = started));

describe("a backend that is down", () => {
  it("answers 502 with a JSON-RPC error and CORS, and the gateway keeps working", async () => {
    const flow = await env.signIn();
    expect((await env.mcp(flow.tokens.access_token)).status).toBe(200);
    await env.stack.mcp!.close();
    const before = env.auditEvents.length;
    const reply = await env.mcp(flow.tokens.access_token);
    expect(reply.status).toBe(502);
    expect(reply.headers.get("access-control-allow-origin")).toBe("*");
    const body = json(reply) as { jsonrpc: string; id: unknown; error: { code: number; message: string } };
    expect(body.jsonrpc).toBe("2.0");
    expect(body.id).toBe(1); // the request's id (env.mcp sends tools/list with id 1)
    expect(body.error.code).toBe(-32603);
    expect(body.error.message).toContain("weather");
    expect(env.auditEvents.slice(before)).toEqual([expect.objectContaining({ decision: "error", status: 502 })]);
    expect((await call("GET", `${env.base}/.well-known/oauth-authorization-server`)).status).toBe(200);
    // A string id comes back exactly, escaped as JSON; a batch, answered as a whole, gets null.
    const id = 'list "1"\n\u0007';
    const named = await env.mcp(flow.tokens.access_token, { jsonrpc: "2.0", id, method: "tools/list", params: {} });
    expect(named.status).toBe(502);
    expect((json(named) as { id: unknown }).id).toBe(id);
    const batch = await env.mcp(flow.tokens.access_token, [{ jsonrpc: "2.0", id: 2, method: "tools/list", params: {} }]);
    expect(batch.status).toBe(502);
    expect((json(batch) as { id: unknown }).id).toBeNull();
  });
});
