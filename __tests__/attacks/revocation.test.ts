/**
 * Threats on revocation (issue 8 findings 4 and 7; RFC 7009 §2.1): a revocation or a rotation that
 * happens while an MCP call refreshes the user's Entra token upstream must stay in force when that
 * call writes back; only the client a token was issued to may revoke it.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { json, startAttackStack, type AttackEnv } from "../../test-support/attack-client.js";

let env: AttackEnv;
beforeAll(async () => {
  // Entra access tokens of 60 s: every MCP call finds less than 5 minutes left and refreshes upstream.
  env = await startAttackStack({ entraAccessTokenLifetimeSeconds: 60, gateUpstream: true });
}, 180_000);
afterAll(async () => {
  await env?.close();
});

describe("a revoked or rotated grant never comes back", () => {
  it("stays revoked when a concurrent MCP call's upstream refresh writes back after the revocation", async () => {
    const flow = await env.signIn();
    const held = env.holdUpstreamRefresh();
    const inFlight = env.mcp(flow.tokens.access_token);
    await held.reached;
    expect((await env.revoke({ token: flow.tokens.refresh_token, client_id: flow.clientId })).status).toBe(200);
    held.release();
    await inFlight;
    expect((await env.mcp(flow.tokens.access_token)).status).toBe(401);
    expect(json(await env.refresh(flow.clientId, flow.tokens.refresh_token)).error).toBe("invalid_grant");
  });

  it("stays rotated when a concurrent MCP call's upstream refresh writes back after the rotation", async () => {
    const flow = await env.signIn();
    const held = env.holdUpstreamRefresh();
    const inFlight = env.mcp(flow.tokens.access_token);
    await held.reached;
    const rotated = await env.refresh(flow.clientId, flow.tokens.refresh_token);
    expect(rotated.status).toBe(200);
    held.release();
    await inFlight;
    expect((await env.mcp(flow.tokens.access_token)).status).toBe(401);
    const next = json(rotated) as { access_token: string };
    expect((await env.mcp(next.access_token)).status).toBe(200);
  });
});

describe("revocation is bound to the client (RFC 7009 section 2.1)", () => {
  it("refuses a revocation by another client and keeps the token working", async () => {
    const flow = await env.signIn();
    const other = await env.register(["http://127.0.0.1:9999/other"]);
    const reply = await env.revoke({ token: flow.tokens.access_token, client_id: other });
    expect(reply.status).toBe(400);
    expect(json(reply).error).toBe("unauthorized_client");
    expect((await env.mcp(flow.tokens.access_token)).status).toBe(200);
  });

  it("refuses a revocation without client_id and keeps the token working", async () => {
    const flow = await env.signIn();
    const reply = await env.revoke({ token: flow.tokens.refresh_token });
    expect(reply.status).toBe(400);
    expect(json(reply).error).toBe("invalid_request");
    expect((await env.mcp(flow.tokens.access_token)).status).toBe(200);
  });

  it("revokes for the right client: both tokens of the grant stop working", async () => {
    const flow = await env.signIn();
    expect((await env.revoke({ token: flow.tokens.access_token, client_id: flow.clientId })).status).toBe(200);
    expect((await env.mcp(flow.tokens.access_token)).status).toBe(401);
    expect(json(await env.refresh(flow.clientId, flow.tokens.refresh_token)).error).toBe("invalid_grant");
  });

  it("answers 200 for an unknown token, with or without client_id (RFC 7009 section 2.2)", async () => {
    expect((await env.revoke({ token: `${"a".repeat(43)}.${"b".repeat(43)}` })).status).toBe(200);
    expect((await env.revoke({ token: "not-a-gateway-token", client_id: "x" })).status).toBe(200);
  });
});
