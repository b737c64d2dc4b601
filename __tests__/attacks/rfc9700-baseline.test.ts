/**
 * The threats of RFC 9700 (OAuth 2.0 Security BCP) §2 and §4 and of the MCP security best
 * practices that the findings of issue 8 did not cover, attacked once each against the real
 * policies (docs/threat-model.md names the row of each test).
 */
import { describe, expect, it } from "vitest";
import { ATTACK_REDIRECT, Browser, call, json, pkce, useAttackStack, type AttackEnv } from "../../test-support/attack-client.js";

let env: AttackEnv;
useAttackStack((started) => (env = started));

describe("RFC 9700 §4.2 and §4.3: credentials leak through neither Referer nor history", () => {
  it("sends no-referrer and no-store on the consent page, the error page and every redirect", async () => {
    const clientId = await env.register();
    const browser = new Browser();
    const { page, reply } = await env.consent(browser, env.authorizeUrl({ clientId, challenge: pkce().challenge }));
    const { final } = await env.follow(browser, reply.location!, `${env.base}/oauth-callback`);
    const callback = await browser.get(final!);
    const errorPage = await call("GET", env.authorizeUrl({ clientId, challenge: pkce().challenge, extra: { code_challenge_method: "plain" } }));
    for (const r of [page, reply, callback, errorPage]) {
      expect(r.headers.get("referrer-policy")).toBe("no-referrer");
      expect(r.headers.get("cache-control")).toBe("no-store");
    }
    expect(callback.location!.searchParams.get("code")).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it("answers tokens only in no-store JSON bodies, never in a URL", async () => {
    const flow = await env.signIn();
    const reply = await env.refresh(flow.clientId, flow.tokens.refresh_token);
    expect(reply.headers.get("cache-control")).toBe("no-store");
    expect(reply.headers.get("location")).toBeNull();
  });
});

describe("RFC 9700 §4.4: mix-up", () => {
  it("returns iss with every authorization response and advertises it (RFC 9207)", async () => {
    const as = json(await call("GET", `${env.base}/.well-known/oauth-authorization-server`));
    expect(as.authorization_response_iss_parameter_supported).toBe(true);
    const clientId = await env.register();
    const browser = new Browser();
    const { reply } = await env.consent(browser, env.authorizeUrl({ clientId, challenge: pkce().challenge }));
    const { final } = await env.follow(browser, reply.location!, ATTACK_REDIRECT);
    expect(final!.searchParams.get("iss")).toBe(as.issuer);
  });
});

describe("RFC 9700 §4.5 and §4.8: code injection and PKCE downgrade", () => {
  it("refuses a stolen code injected into another session (other verifier), and spends it", async () => {
    const clientId = await env.register();
    const browser = new Browser();
    const victim = pkce();
    const { reply } = await env.consent(browser, env.authorizeUrl({ clientId, challenge: victim.challenge }));
    const { final } = await env.follow(browser, reply.location!, ATTACK_REDIRECT);
    const code = final!.searchParams.get("code")!;
    const injected = await env.token({ grant_type: "authorization_code", code, client_id: clientId, redirect_uri: ATTACK_REDIRECT, code_verifier: pkce().verifier });
    expect(json(injected).error).toBe("invalid_grant");
    const honest = await env.token({ grant_type: "authorization_code", code, client_id: clientId, redirect_uri: ATTACK_REDIRECT, code_verifier: victim.verifier });
    expect(json(honest).error).toBe("invalid_grant");
  });

  it("refuses an authorization request without PKCE and a token request without code_verifier", async () => {
    const clientId = await env.register();
    const noPkce = new URL(env.authorizeUrl({ clientId, challenge: "" }));
    noPkce.searchParams.delete("code_challenge");
    noPkce.searchParams.delete("code_challenge_method");
    expect((await call("GET", noPkce)).status).toBe(400);
    const flow = await env.signIn();
    const noVerifier = await env.token({ grant_type: "authorization_code", code: flow.code, client_id: flow.clientId, redirect_uri: ATTACK_REDIRECT });
    expect(json(noVerifier).error).toBe("invalid_request");
  });
});

describe("RFC 9700 §2.1.2, §2.4, §4.12: no implicit grant, no password grant, no 307", () => {
  it("refuses response_type=token and grant_type=password", async () => {
    const clientId = await env.register();
    const implicit = await call("GET", env.authorizeUrl({ clientId, challenge: pkce().challenge, extra: { response_type: "token" } }));
    expect(implicit.status).toBe(400);
    expect(implicit.text).toContain("unsupported_response_type");
    const password = await env.token({ grant_type: "password", username: "u", password: "p", client_id: clientId });
    expect(json(password).error).toBe("unsupported_grant_type");
  });

  it("answers the consent post with 302, never 307 (which would resend the form with the user's input)", async () => {
    const clientId = await env.register();
    for (const decision of ["approve", "deny"]) {
      const { reply } = await env.consent(new Browser(), env.authorizeUrl({ clientId, challenge: pkce().challenge }), { decision });
      expect(reply.status).toBe(302);
    }
  });
});

describe("RFC 9700 §2.3 and §4.9: tokens are bound to the resource and carried in a header only", () => {
  it("refuses a token request for another resource and a token in the query string", async () => {
    const flow = await env.signIn();
    const other = await env.signIn();
    const foreign = await env.token({ grant_type: "refresh_token", refresh_token: other.tokens.refresh_token, client_id: other.clientId, resource: "https://other.example/mcp" });
    expect(json(foreign).error).toBe("invalid_target");
    const inQuery = await call("POST", `${env.resource}?access_token=${encodeURIComponent(flow.tokens.access_token)}`, {
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" }),
      headers: { "Content-Type": "application/json", Accept: "application/json, text/event-stream" },
    });
    expect(inQuery.status).toBe(401);
  });
});

describe("MCP security best practices", () => {
  it("token passthrough: an Entra token presented to the gateway is refused, and the gateway token never reaches the server", async () => {
    const entraLike = "eyJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJ4In0.c2ln";
    expect((await env.mcp(entraLike)).status).toBe(401);
  });

  it("confused deputy: consent is per client and never remembered, so a second client always shows its own page", async () => {
    const first = await env.signIn();
    const second = await env.register(["http://127.0.0.1:44444/other"]);
    const browser = new Browser();
    const page = await browser.get(env.authorizeUrl({ clientId: second, challenge: pkce().challenge, redirectUri: "http://127.0.0.1:44444/other" }));
    expect(page.status).toBe(200);
    expect(page.text).toContain("Allow access?");
    const again = await browser.get(env.authorizeUrl({ clientId: first.clientId, challenge: pkce().challenge }));
    expect(again.status).toBe(200);
    expect(again.text).toContain("Allow access?");
  });

  it("session hijacking: a session id is no credential (no token: 401, whatever Mcp-Session-Id says)", async () => {
    const reply = await call("POST", env.resource, {
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" }),
      headers: { "Content-Type": "application/json", Accept: "application/json, text/event-stream", "Mcp-Session-Id": "0123456789abcdef" },
    });
    expect(reply.status).toBe(401);
    expect(reply.headers.get("www-authenticate")).toContain("resource_metadata=");
  });
});
