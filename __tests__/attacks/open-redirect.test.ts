/**
 * Threat: open redirect through the authorization endpoint (issue 8 finding 2; RFC 9700 §4.11.2,
 * RFC 6749 §4.1.2.1). Anyone can register an https redirect URI; an invalid /authorize request for
 * such a client must not bounce the browser there without the user acting: it shows a page that
 * names the client's host, with a link the user may follow.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Browser, call, pkce, startAttackStack, type AttackEnv } from "../../test-support/attack-client.js";

let env: AttackEnv;
const EVIL = "https://evil.example/landing";
let clientId = "";
beforeAll(async () => {
  env = await startAttackStack();
  clientId = await env.register([EVIL]);
}, 180_000);
afterAll(async () => {
  await env?.close();
});

const invalidRequests: [string, Record<string, string>][] = [
  ["PKCE method plain", { code_challenge_method: "plain" }],
  ["no PKCE", { code_challenge_method: "", code_challenge: "" }],
  ["a wrong response_type", { response_type: "token" }],
  ["a foreign resource", { resource: "https://other.example/mcp" }],
  ["a short code_challenge", { code_challenge: "abc" }],
];

describe("errors at /authorize for self-registered clients never redirect", () => {
  it.each(invalidRequests)("answers %s with a 400 page naming the client's host, not a redirect", async (_what, extra) => {
    const reply = await call("GET", env.authorizeUrl({ clientId, challenge: pkce().challenge, redirectUri: EVIL, extra }));
    expect(reply.status).toBe(400);
    expect(reply.headers.get("location")).toBeNull();
    expect(reply.headers.get("content-type")).toContain("text/html");
    expect(reply.text).toContain("<strong>evil.example</strong>");
    const link = /<a href="([^"]+)"/.exec(reply.text)?.[1]?.replace(/&amp;/g, "&");
    expect(link && new URL(link).origin).toBe("https://evil.example");
    expect(new URL(link!).searchParams.get("error")).toBeTruthy();
    expect(new URL(link!).searchParams.get("state")).toBe("client-state");
  });

  it("also for client ID metadata document clients", async () => {
    const docId = "https://cimd.attack.example/evil.json";
    env.serveDocument("/evil.json", { client_id: docId, client_name: "Evil", redirect_uris: [EVIL], token_endpoint_auth_method: "none" });
    const reply = await call("GET", env.authorizeUrl({ clientId: docId, challenge: pkce().challenge, redirectUri: EVIL, extra: { code_challenge_method: "plain" } }));
    expect(reply.status).toBe(400);
    expect(reply.headers.get("location")).toBeNull();
  });

  it("redirects an error only after the user acted on the consent page (Deny)", async () => {
    const browser = new Browser();
    const { reply } = await env.consent(browser, env.authorizeUrl({ clientId, challenge: pkce().challenge, redirectUri: EVIL }), { decision: "deny" });
    expect(reply.status).toBe(302);
    expect(reply.location!.origin).toBe("https://evil.example");
    expect(reply.location!.searchParams.get("error")).toBe("access_denied");
  });
});
