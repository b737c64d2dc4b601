/**
 * Threat: consent bypass / account takeover through a forwarded upstream sign-in link (issue 8
 * finding 1; RFC 9700 §4.7 CSRF, MCP security best practices "confused deputy"). The attacker
 * approves his own consent page, keeps the Entra link instead of following it, and makes a victim
 * open it: the victim's browser must get an error page and no code, and the attacker nothing.
 */
import { describe, expect, it } from "vitest";
import { ATTACK_REDIRECT, Browser, pkce, useAttackStack, type AttackEnv } from "../../test-support/attack-client.js";

let env: AttackEnv;
useAttackStack((started) => (env = started));

describe("the upstream sign-in is bound to the browser that approved consent", () => {
  it("completes in the browser that approved (honest flow), and the token calls MCP", async () => {
    const flow = await env.signIn();
    expect((await env.mcp(flow.tokens.access_token)).status).toBe(200);
  });

  it("gives a victim who opens the attacker's Entra link an error page and no code", async () => {
    const attacker = new Browser();
    const attackerRedirect = "https://attacker.example/cb";
    const clientId = await env.register([attackerRedirect]);
    const { challenge } = pkce();
    const { reply } = await env.consent(attacker, env.authorizeUrl({ clientId, challenge, redirectUri: attackerRedirect }));
    expect(reply.status).toBe(302);
    const entraLink = reply.location!;
    expect(entraLink.pathname).toContain("/authorize");

    const victim = new Browser();
    const { final, stopped, hops } = await env.follow(victim, entraLink, attackerRedirect);
    expect(final, `victim was sent to ${final?.toString()}`).toBeUndefined();
    expect(hops.some((h) => h.includes("/oauth-callback"))).toBe(true);
    expect(stopped?.status).toBe(400);
    expect(stopped?.headers.get("content-type")).toContain("text/html");
    expect(stopped?.text).not.toMatch(/code=/);
  });

  it("refuses a binding cookie from another sign-in (the attacker's own cookie planted in the victim's browser)", async () => {
    const attacker = new Browser();
    const clientId = await env.register([ATTACK_REDIRECT]);
    const first = await env.consent(attacker, env.authorizeUrl({ clientId, challenge: pkce().challenge }));
    const plantedCookie = attacker.jar.header(env.base)!;
    expect(plantedCookie).toMatch(/^__Host-mcp-consent=[A-Za-z0-9_-]{43}$/);
    const second = await env.consent(new Browser(), env.authorizeUrl({ clientId, challenge: pkce().challenge }));
    const callback = await env.follow(new Browser(), second.reply.location!, `${env.base}/oauth-callback`);
    const reply = await fetch(callback.final!, { redirect: "manual", headers: { Cookie: plantedCookie } });
    expect(reply.status).toBe(400);
    expect(reply.headers.get("location")).toBeNull();
    expect(first.reply.location!.searchParams.get("state")).not.toBe(second.reply.location!.searchParams.get("state"));
  });

  it("refuses the consent page's own ticket cookie as a binding", async () => {
    const browser = new Browser();
    const clientId = await env.register([ATTACK_REDIRECT]);
    const { page, reply } = await env.consent(browser, env.authorizeUrl({ clientId, challenge: pkce().challenge }));
    const ticket = /__Host-mcp-consent=([^;]+)/.exec(page.headers.getSetCookie().join("\n"))![1]!;
    const callback = await env.follow(new Browser(), reply.location!, `${env.base}/oauth-callback`);
    const res = await fetch(callback.final!, { redirect: "manual", headers: { Cookie: `__Host-mcp-consent=${ticket}` } });
    expect(res.status).toBe(400);
  });

  it("clears the binding cookie once the callback has redirected to the client", async () => {
    const browser = new Browser();
    await env.signIn({ browser });
    expect(browser.jar.header(env.base) ?? "").toBe("__Host-mcp-consent=");
  });
});
