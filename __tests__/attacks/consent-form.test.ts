/**
 * Threats on the consent form itself (issue 8 findings 9 and 12; RFC 6749 §10.12 CSRF, RFC 9700
 * §4.7): fields moved between each other through a newline in state, and one consent ticket
 * submitted many times in parallel.
 */
import { describe, expect, it } from "vitest";
import { ATTACK_REDIRECT, Browser, call, json, pkce, useAttackStack, type AttackEnv } from "../../test-support/attack-client.js";

let env: AttackEnv;
useAttackStack((started) => (env = started));

describe("the consent ticket binds each field on its own", () => {
  it("refuses a state with a newline at /authorize (the old \\n-joined binding let such a state move resource and scope)", async () => {
    const clientId = await env.register();
    const reply = await call("GET", env.authorizeUrl({ clientId, challenge: pkce().challenge, state: `s\nhttps://other.example/mcp` }));
    expect(reply.status).toBe(400);
    expect(reply.headers.get("location")).toBeNull();
  });

  it("refuses a form whose resource was moved into state, and one whose scope was moved into resource", async () => {
    const clientId = await env.register();
    for (const tamper of [
      (f: Record<string, string>) => ({ ...f, state: `${f.state} ${f.resource}`, resource: "" }),
      (f: Record<string, string>) => ({ ...f, resource: `${f.resource} ${f.scope}`, scope: "" }),
    ]) {
      const { reply } = await env.consent(new Browser(), env.authorizeUrl({ clientId, challenge: pkce().challenge, state: "s" }), { tamper: (form) => ({ ...form, fields: tamper(form.fields) }) });
      expect(reply.status).toBe(400);
      expect(reply.location).toBeUndefined();
    }
  });

  it("accepts a state of every printable ASCII character and returns it unchanged", async () => {
    const state = Array.from({ length: 95 }, (_, i) => String.fromCharCode(32 + i)).join("");
    const browser = new Browser();
    const clientId = await env.register();
    const { reply } = await env.consent(browser, env.authorizeUrl({ clientId, challenge: pkce().challenge, state }));
    const { final } = await env.follow(browser, reply.location!, ATTACK_REDIRECT);
    expect(final!.searchParams.get("state")).toBe(state);
  });
});

describe("one consent ticket, one upstream sign-in", () => {
  it("makes 10 parallel submissions of one ticket converge on one Entra sign-in, completed at most once", async () => {
    const clientId = await env.register();
    const browser = new Browser();
    const { verifier, challenge } = pkce();
    const url = env.authorizeUrl({ clientId, challenge });
    const page = await browser.get(url);
    const { parseConsentForm } = await import("../../test-support/local-oauth-client.js");
    const form = parseConsentForm(page.text, url.toString());
    const replies = await Promise.all(Array.from({ length: 10 }, () => browser.postForm(form.action, { ...form.fields, decision: "approve" })));
    const states = new Set(replies.filter((r) => r.status === 302).map((r) => r.location!.searchParams.get("state")));
    expect(replies.some((r) => r.status === 302)).toBe(true);
    expect(states.size).toBe(1);
    const verifiers = new Set(replies.filter((r) => r.status === 302).map((r) => r.location!.searchParams.get("code_challenge")));
    expect(verifiers.size).toBe(1);

    const redirects = replies.filter((r) => r.status === 302).map((r) => r.location!);
    const first = await env.follow(browser, redirects[0]!, ATTACK_REDIRECT);
    const code = first.final!.searchParams.get("code")!;
    const tokens = await env.token({ grant_type: "authorization_code", code, client_id: clientId, redirect_uri: ATTACK_REDIRECT, code_verifier: verifier, resource: env.resource });
    expect(tokens.status).toBe(200);
    const again = await env.follow(browser, redirects[redirects.length - 1]!, ATTACK_REDIRECT);
    expect(again.final?.searchParams.get("code") ?? null).toBeNull();
    expect(json(tokens).access_token).toBeTruthy();
  });

  it("refuses the ticket once it was used (sequential replay)", async () => {
    const clientId = await env.register();
    const browser = new Browser();
    const { reply, form } = await env.consent(browser, env.authorizeUrl({ clientId, challenge: pkce().challenge }));
    expect(reply.status).toBe(302);
    const replay = await fetch(form.action, { method: "POST", redirect: "manual", headers: { "Content-Type": "application/x-www-form-urlencoded", Cookie: "" }, body: new URLSearchParams({ ...form.fields, decision: "approve" }) });
    expect(replay.status).toBe(400);
  });
});
