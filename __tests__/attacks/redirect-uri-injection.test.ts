/**
 * Threat: redirect URI injection and URI parser differentials (issue 8 finding 5; RFC 9700 §2.1 and
 * §4.1: exact redirect URI matching; RFC 6749 §3.1.2; RFC 3986 §2 and §6). A redirect URI holding
 * CR/LF, NUL, TAB, spaces, other control or non-ASCII characters, a backslash, or anything a URI
 * parser normalises away (dot segments, upper-case scheme or host, a default port, percent-encoded
 * unreserved characters, IPv4 short forms) was accepted at registration and in client ID metadata
 * documents, compared after .NET's normalisation and copied raw into Location: header injection,
 * 500s, and a gateway that checks one URI while the browser goes to another. The gateway must refuse
 * them wherever redirect URIs are declared, never match a requested redirect_uri holding them, and
 * redirect only to the validated registered text (a loopback port may vary, RFC 8252 §7.3).
 */
import { describe, expect, it } from "vitest";
import { ATTACK_REDIRECT, Browser, CIMD_ORIGIN, call, json, pkce, useAttackStack, type AttackEnv } from "../../test-support/attack-client.js";

let env: AttackEnv;
useAttackStack((started) => (env = started));

/** Redirect URIs no client may declare, and why. */
const BAD_REDIRECT_URIS: [string, string][] = [
  ["CR LF (header injection)", "http://127.0.0.1:33418/callback\r\nSet-Cookie: injected=1"],
  ["a final LF", "https://client.example/cb\n"],
  ["NUL", "https://client.example/cb\u0000"],
  ["TAB", "https://client.example/c\tb"],
  ["a space", "https://client.example/c b"],
  ["DEL", "https://client.example/cb\u007f"],
  ["a C1 control character", "https://client.example/cb\u0085"],
  ["non-ASCII in the path", "https://client.example/caf\u00e9"],
  ["non-ASCII in the host", "https://ex\u00e4mple.com/cb"],
  ["a backslash", "https://client.example\\@evil.example/cb"],
  ["a double-dot segment", "https://client.example/a/../cb"],
  ["a single-dot segment", "https://client.example/./cb"],
  ["a percent-encoded dot segment", "https://client.example/a/%2E%2E/cb"],
  ["lower-case percent-encoding", "https://client.example/a/%2e%2e/cb"],
  ["a percent-encoded unreserved character", "https://client.example/%63b"],
  ["a stray percent sign", "https://client.example/100%"],
  ["a double quote", 'https://client.example/"cb"'],
  ["an upper-case host", "https://Client.Example/cb"],
  ["an upper-case scheme", "HTTPS://client.example/cb"],
  ["the default port written out", "https://client.example:443/cb"],
  ["a trailing-dot host", "https://client.example./cb"],
  ["an IPv4 short form", "http://127.1/cb"],
  ["an IPv4 address in decimal", "http://2130706433/cb"],
  ["user info", "https://user@client.example/cb"],
  ["a fragment", "https://client.example/cb#frag"],
];

/** True when the text holds a C0 or C1 control character or DEL. */
const hasControl = (text: string) => [...text].some((c) => c.charCodeAt(0) < 0x20 || (c.charCodeAt(0) >= 0x7f && c.charCodeAt(0) <= 0x9f));

describe("redirect URIs at registration", () => {
  it("refuses every redirect URI with control, space, non-ASCII or normalisable characters (invalid_redirect_uri)", async () => {
    const accepted: string[] = [];
    for (const [why, uri] of BAD_REDIRECT_URIS) {
      const reply = await call("POST", `${env.base}/register`, { body: JSON.stringify({ redirect_uris: [ATTACK_REDIRECT, uri], client_name: "Injector" }), headers: { "Content-Type": "application/json" } });
      expect(reply.status, why).toBeLessThan(500);
      if (reply.status !== 400 || json(reply).error !== "invalid_redirect_uri") accepted.push(`${why} (${reply.status})`);
      else {
        const description = String(json(reply).error_description);
        expect(description, why).toMatch(/^redirect_uris\[1\] /);
        expect(hasControl(description), why).toBe(false);
      }
    }
    expect(accepted).toEqual([]);
  });

  it("keeps valid redirect URIs exactly as written, each once", async () => {
    const uris = ["https://client.example/cb?x=1&y=%2F", "http://localhost/callback", "http://[::1]:8080/", "https://client.example/cb?x=1&y=%2F"];
    const reply = await call("POST", `${env.base}/register`, { body: JSON.stringify({ redirect_uris: uris }), headers: { "Content-Type": "application/json" } });
    expect(reply.status, reply.text).toBe(201);
    expect(json(reply).redirect_uris).toEqual(uris.slice(0, 3));
  });
});

describe("redirect URIs in client ID metadata documents", () => {
  it("refuses a document declaring any of them, without a consent page or a redirect", async () => {
    const accepted: string[] = [];
    let n = 0;
    for (const [why, uri] of BAD_REDIRECT_URIS) {
      const path = `/redirects/${++n}.json`;
      const clientId = `${CIMD_ORIGIN}${path}`;
      env.serveDocument(path, { client_id: clientId, client_name: "Document client", redirect_uris: [uri], token_endpoint_auth_method: "none" });
      const reply = await call("GET", env.authorizeUrl({ clientId, challenge: pkce().challenge, redirectUri: uri }));
      expect(reply.status, why).toBeLessThan(500);
      if (reply.status === 200 || reply.headers.get("location") !== null) accepted.push(`${why} (${reply.status})`);
    }
    expect(accepted).toEqual([]);
  });
});

describe("redirect_uri at /authorize", () => {
  it("never matches a requested redirect_uri that differs from the registered text in anything but a loopback port", async () => {
    const clientId = await env.register(["http://127.0.0.1/callback"]);
    const requested = [
      "http://127.0.0.1:4000/callback\r\nSet-Cookie: injected=1",
      "http://127.0.0.1:4000/callback\t",
      "http://127.0.0.1:4000/callback ",
      " http://127.0.0.1:4000/callback",
      "http://127.0.0.1:4000/x/../callback",
      "http://127.0.0.1:4000/./callback",
      "http://127.0.0.1:4000/%63allback",
      "http://127.0.0.1:04000/callback",
      "http://127.0.0.1:0/callback",
      "http://127.0.0.1:65536/callback",
      "http://127.1:4000/callback",
      "HTTP://127.0.0.1:4000/callback",
      "http://127.0.0.1:4000\\callback",
      "http://127.0.0.1:4000/callback#x",
      "http://127.0.0.1:4000/callback?",
      "http://127.0.0.1:4000/Callback",
    ];
    const matched: string[] = [];
    for (const redirectUri of requested) {
      const reply = await call("GET", env.authorizeUrl({ clientId, challenge: pkce().challenge, redirectUri }));
      expect(reply.status, JSON.stringify(redirectUri)).toBeLessThan(500);
      if (reply.status === 200 || reply.headers.get("location") !== null) matched.push(JSON.stringify(redirectUri));
    }
    expect(matched).toEqual([]);
  });

  it("redirects to the registered text with the requested loopback port, and nothing else", async () => {
    const browser = new Browser();
    const clientId = await env.register(["http://127.0.0.1/callback"]);
    const { challenge } = pkce();
    const { reply } = await env.consent(browser, env.authorizeUrl({ clientId, challenge, redirectUri: "http://127.0.0.1:4567/callback" }));
    expect(reply.status).toBe(302);
    const { final } = await env.follow(browser, reply.location!, "http://127.0.0.1:4567/callback?");
    expect(final && `${final.origin}${final.pathname}`).toBe("http://127.0.0.1:4567/callback");
    expect(final?.searchParams.get("code")).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });
});
