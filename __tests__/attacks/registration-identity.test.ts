/**
 * Threat: T-registration-identity (issue 17 finding 6; RFC 7591 §3.2.1: the authorization server
 * issues each registration its own client identifier). The signed client_id held only the
 * registration's metadata and the second it was issued, so two identical registrations in the same
 * second (two users of one MCP client starting at once, or a fast machine) got the same client_id:
 * one client's codes, refresh tokens, revocations and rate limit were the other's. Every
 * registration now carries a random nonce in its signed payload.
 */
import { describe, expect, it } from "vitest";
import { ATTACK_REDIRECT, Browser, call, json, pkce, useAttackStack, type AttackEnv } from "../../test-support/attack-client.js";

let env: AttackEnv;
useAttackStack((started) => (env = started));

const IDENTICAL = { redirect_uris: [ATTACK_REDIRECT], client_name: "Twin", token_endpoint_auth_method: "none", grant_types: ["authorization_code", "refresh_token"], response_types: ["code"] };

async function registerIdentical(count: number): Promise<Record<string, unknown>[]> {
  const replies = await Promise.all(Array.from({ length: count }, () => call("POST", `${env.base}/register`, { body: JSON.stringify(IDENTICAL), headers: { "Content-Type": "application/json" } })));
  for (const reply of replies) expect(reply.status, reply.text).toBe(201);
  return replies.map(json);
}

describe("identical registrations", () => {
  it("get a client_id each: 20 identical registrations sent at once get 20 client_ids", async () => {
    const ids = (await registerIdentical(20)).map((r) => r.client_id as string);
    expect(new Set(ids).size).toBe(20);
    // Each one is a registration of this gateway: payload.mac, both base64url.
    for (const id of ids) expect(id).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{22}$/);
  });

  it("stay separate clients: a code issued to one is refused to its twin, and the twin's refresh cannot use the first's token", async () => {
    const [first, twin] = (await registerIdentical(2)).map((r) => r.client_id as string) as [string, string];
    expect(first).not.toBe(twin);
    const browser = new Browser();
    const { verifier, challenge } = pkce();
    const { reply } = await env.consent(browser, env.authorizeUrl({ clientId: first, challenge }));
    const { final } = await env.follow(browser, reply.location!, ATTACK_REDIRECT);
    const code = final!.searchParams.get("code")!;
    const stolen = await env.token({ grant_type: "authorization_code", code, client_id: twin, redirect_uri: ATTACK_REDIRECT, code_verifier: verifier, resource: env.resource });
    expect(stolen.status).toBe(400);
    expect(json(stolen).error).toBe("invalid_grant");

    const flow = await env.signIn({ clientId: first });
    expect((await env.mcp(flow.tokens.access_token)).status).toBe(200);
    const theft = await env.refresh(twin, flow.tokens.refresh_token);
    expect(json(theft).error).toBe("invalid_grant");
  });
});
