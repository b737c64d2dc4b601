/**
 * Threat: a backend that is down (issue 10 item 2). The client gets a 502 with a JSON-RPC error
 * body and the CORS headers, never a 500 or a hang, and the gateway keeps answering.
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
    const body = json(reply) as { jsonrpc: string; error: { code: number; message: string } };
    expect(body.jsonrpc).toBe("2.0");
    expect(body.error.code).toBe(-32603);
    expect(body.error.message).toContain("weather");
    expect(env.auditEvents.slice(before)).toEqual([expect.objectContaining({ decision: "error", status: 502 })]);
    expect((await call("GET", `${env.base}/.well-known/oauth-authorization-server`)).status).toBe(200);
  });
});
