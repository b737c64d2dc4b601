/**
 * Threats on the token endpoint (issue 8 findings 3 and the RFC recommendations): parallel
 * redemptions of one code or one refresh token must end in at most one grant family (RFC 9700
 * §4.14, API Management's cache has no compare-and-swap: the new tokens are derived from the
 * consumed credential, so concurrent requests converge); a replayed code revokes the tokens of its
 * first redemption (RFC 6749 §4.1.2); a reused rotated refresh token revokes its family (RFC 9700
 * §4.14.2); a refresh token presented by another client revokes its family.
 */
import { describe, expect, it } from "vitest";
import { ATTACK_REDIRECT, Browser, json, pkce, useAttackStack, type AttackEnv, type Reply } from "../../test-support/attack-client.js";

let env: AttackEnv;
useAttackStack((started) => (env = started));

/** Signs in up to the client's callback; returns the code and verifier, unredeemed. */
async function codeFor(clientId: string): Promise<{ code: string; verifier: string }> {
  const browser = new Browser();
  const { verifier, challenge } = pkce();
  const { reply } = await env.consent(browser, env.authorizeUrl({ clientId, challenge }));
  const { final } = await env.follow(browser, reply.location!, ATTACK_REDIRECT);
  return { code: final!.searchParams.get("code")!, verifier };
}

/** Which of these access tokens still call the MCP endpoint. */
async function working(accessTokens: Iterable<string>): Promise<string[]> {
  const out: string[] = [];
  for (const t of new Set(accessTokens)) if ((await env.mcp(t)).status === 200) out.push(t);
  return out;
}

const successes = (replies: Reply[]): { access_token: string; refresh_token: string }[] =>
  replies.filter((r) => r.status === 200).map((r) => json(r) as { access_token: string; refresh_token: string });

describe("parallel requests converge", () => {
  it("20 parallel redemptions of one code leave at most one grant family", async () => {
    const clientId = await env.register();
    const { code, verifier } = await codeFor(clientId);
    const replies = await Promise.all(
      Array.from({ length: 20 }, () => env.token({ grant_type: "authorization_code", code, client_id: clientId, redirect_uri: ATTACK_REDIRECT, code_verifier: verifier })),
    );
    for (const r of replies) expect([200, 400]).toContain(r.status);
    const ok = successes(replies);
    expect(ok.length).toBeGreaterThan(0);
    expect(new Set(ok.map((t) => t.access_token)).size).toBe(1);
    expect(new Set(ok.map((t) => t.refresh_token)).size).toBe(1);
    expect((await working(ok.map((t) => t.access_token))).length).toBeLessThanOrEqual(1);
  });

  it("20 parallel refreshes with one refresh token leave at most one grant family", async () => {
    const flow = await env.signIn();
    const replies = await Promise.all(Array.from({ length: 20 }, () => env.refresh(flow.clientId, flow.tokens.refresh_token)));
    for (const r of replies) expect([200, 400]).toContain(r.status);
    const ok = successes(replies);
    expect(ok.length).toBeGreaterThan(0);
    expect(new Set(ok.map((t) => t.access_token)).size).toBe(1);
    expect(new Set(ok.map((t) => t.refresh_token)).size).toBe(1);
    const live = await working([flow.tokens.access_token, ...ok.map((t) => t.access_token)]);
    expect(live.length).toBeLessThanOrEqual(1);
    expect(live).not.toContain(flow.tokens.access_token);
  });
});

describe("replays revoke", () => {
  it("a replayed code is invalid_grant and revokes the tokens of its first redemption", async () => {
    const clientId = await env.register();
    const { code, verifier } = await codeFor(clientId);
    const form = { grant_type: "authorization_code", code, client_id: clientId, redirect_uri: ATTACK_REDIRECT, code_verifier: verifier };
    const first = await env.token(form);
    expect(first.status).toBe(200);
    const tokens = json(first) as { access_token: string; refresh_token: string };
    expect((await env.mcp(tokens.access_token)).status).toBe(200);
    const replay = await env.token(form);
    expect(replay.status).toBe(400);
    expect(json(replay).error).toBe("invalid_grant");
    expect((await env.mcp(tokens.access_token)).status).toBe(401);
    expect(json(await env.refresh(clientId, tokens.refresh_token)).error).toBe("invalid_grant");
  });

  it("a reused rotated refresh token is invalid_grant and revokes the whole family, successors included", async () => {
    const flow = await env.signIn();
    const second = json(await env.refresh(flow.clientId, flow.tokens.refresh_token)) as { access_token: string; refresh_token: string };
    const third = json(await env.refresh(flow.clientId, second.refresh_token)) as { access_token: string; refresh_token: string };
    expect((await env.mcp(third.access_token)).status).toBe(200);
    const reuse = await env.refresh(flow.clientId, flow.tokens.refresh_token);
    expect(reuse.status).toBe(400);
    expect(json(reuse).error).toBe("invalid_grant");
    expect((await env.mcp(third.access_token)).status).toBe(401);
    expect(json(await env.refresh(flow.clientId, third.refresh_token)).error).toBe("invalid_grant");
  });

  it("a refresh token presented by another client is refused and revokes its family", async () => {
    const flow = await env.signIn();
    const thief = await env.register(["http://127.0.0.1:9999/thief"]);
    const stolen = await env.refresh(thief, flow.tokens.refresh_token);
    expect(stolen.status).toBe(400);
    expect(json(stolen).error).toBe("invalid_grant");
    expect((await env.mcp(flow.tokens.access_token)).status).toBe(401);
  });

  it("an access token is not a refresh token, nor the reverse", async () => {
    const flow = await env.signIn();
    expect(json(await env.refresh(flow.clientId, flow.tokens.access_token)).error).toBe("invalid_grant");
    expect((await env.mcp(flow.tokens.refresh_token)).status).toBe(401);
    expect((await env.mcp(flow.tokens.access_token)).status).toBe(200);
  });
});
