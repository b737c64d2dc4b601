/**
 * Threat: authorization requests the front door drops before any policy runs (issue 13 item 2;
 * RFC 6749 §3.1 and §4.1.1; API Management v2 accepts a query string of at most 2,048 bytes). The
 * gateway issued client_ids of up to 6,000 characters and took a state of 1,024 characters, so a
 * client it had itself registered could be refused by API Management with no error the client
 * understands (and a client could be registered that can never sign in). Every /authorize parameter
 * now has a budget: registration refuses a client whose client_id and longest redirect URI would not
 * fit beside the longest state and scope the gateway accepts (invalid_client_metadata, saying why),
 * /authorize refuses a longer state or scope with a clear error, and the longest request the gateway
 * accepts fits in 2,048 bytes and signs in end to end.
 */
import { describe, expect, it } from "vitest";
import { Browser, CIMD_ORIGIN, call, json, pkce, useAttackStack, type AttackEnv } from "../../test-support/attack-client.js";

const QUERY_LIMIT = 2048;

let env: AttackEnv;
useAttackStack((started) => (env = started));

/** A client name of 100 characters, non-ASCII so that it takes the most room in a registration. */
const LONG_NAME = "\u00c9".repeat(100);
const SHORT_URIS = Array.from({ length: 9 }, (_, i) => `https://client.example/cb/${i}`);
/** A portless loopback redirect URI of `length` characters (its port may vary, so requests add one). */
const longRedirect = (length: number) => {
  const head = "http://127.0.0.1/cb/";
  return head + "a~".repeat(length).slice(0, length - head.length);
};

async function registerWith(length: number): Promise<{ status: number; body: Record<string, unknown> }> {
  const reply = await call("POST", `${env.base}/register`, { body: JSON.stringify({ redirect_uris: [...SHORT_URIS, longRedirect(length)], client_name: LONG_NAME }), headers: { "Content-Type": "application/json" } });
  return { status: reply.status, body: json(reply) };
}

/** Largest n in [low, high] with ok(n), given ok(low) and ok is monotone. */
async function largest(low: number, high: number, ok: (n: number) => Promise<boolean>): Promise<number> {
  expect(await ok(low)).toBe(true);
  while (low < high) {
    const mid = Math.ceil((low + high) / 2);
    if (await ok(mid)) low = mid;
    else high = mid - 1;
  }
  return low;
}

/** A state of `n` characters that each take three bytes in the query once encoded. */
const bulkyState = (n: number) => "~".repeat(n);
/** A scope of `n` characters that each take three bytes in the query once encoded. */
const bulkyScope = (n: number) => ":".repeat(n);

describe("the /authorize query budget", () => {
  it("refuses a registration whose client_id would not fit in an authorization request, saying why", async () => {
    const uris = Array.from({ length: 10 }, (_, i) => `https://client.example/${String(i).repeat(150)}`);
    const reply = await call("POST", `${env.base}/register`, { body: JSON.stringify({ redirect_uris: uris, client_name: "Large" }), headers: { "Content-Type": "application/json" } });
    expect(reply.status).toBe(400);
    expect(json(reply).error).toBe("invalid_client_metadata");
    expect(String(json(reply).error_description)).toMatch(/2,048-byte query/);
  });

  it("refuses a state that would not fit, with a clear error", async () => {
    const clientId = await env.register();
    const reply = await call("GET", env.authorizeUrl({ clientId, challenge: pkce().challenge, state: "s".repeat(1000) }));
    expect(reply.status).not.toBe(200);
    const said = reply.location ? `${reply.location.searchParams.get("error")} ${reply.location.searchParams.get("error_description")}` : reply.text;
    expect(said).toMatch(/invalid_request/);
    expect(said).toMatch(/state .*bytes/);
  });

  it("refuses a client ID metadata document URL too long to fit, before fetching it", async () => {
    const path = `/budget/${"d".repeat(1100)}.json`;
    env.serveDocument(path, { client_id: `${CIMD_ORIGIN}${path}`, redirect_uris: ["http://127.0.0.1:33418/callback"], token_endpoint_auth_method: "none" });
    const before = env.documentRequests.length;
    const reply = await call("GET", env.authorizeUrl({ clientId: `${CIMD_ORIGIN}${path}`, challenge: pkce().challenge }));
    expect(reply.status).toBe(400);
    expect(reply.text).toMatch(/2,048-byte query/);
    expect(env.documentRequests.slice(before)).toEqual([]);
  });

  it("counts application_type in a native registration: its longest private-use redirect still fits with the longest state and scope", async () => {
    const uri = (n: number) => `com.example.app:/cb/${"a~".repeat(n).slice(0, n)}`;
    const register = (n: number) => call("POST", `${env.base}/register`, { body: JSON.stringify({ application_type: "native", redirect_uris: [...SHORT_URIS, uri(n)], client_name: LONG_NAME }), headers: { "Content-Type": "application/json" } });
    const length = await largest(10, 2000, async (n) => (await register(n)).status === 201);
    expect(json(await register(length + 1)).error).toBe("invalid_client_metadata");
    const clientId = json(await register(length)).client_id as string;
    const url = env.authorizeUrl({ clientId, challenge: pkce().challenge, redirectUri: uri(length), state: bulkyState(170), extra: { scope: bulkyScope(85) } });
    expect(Buffer.byteLength(url.search.slice(1), "utf8")).toBeLessThanOrEqual(QUERY_LIMIT);
    const reply = await call("GET", url);
    expect(reply.status, reply.text.slice(0, 300)).toBe(200);
    expect(reply.text).toContain("opens <strong>com.example.app:</strong> links");
  });

  it("fits the longest request it accepts (longest registration, state and scope) in 2,048 bytes, and signs it in", async () => {
    const length = await largest(40, 2000, async (n) => (await registerWith(n)).status === 201);
    const refused = await registerWith(length + 1);
    expect(refused.status).toBe(400);
    expect(refused.body.error).toBe("invalid_client_metadata");
    const client = await registerWith(length);
    const clientId = client.body.client_id as string;
    const registered = longRedirect(length);
    const redirectUri = registered.replace("http://127.0.0.1/", "http://127.0.0.1:65535/");

    const authorize = (state: string, scope: string) => env.authorizeUrl({ clientId, challenge: pkce().challenge, redirectUri, state, extra: { scope } });
    const accepted = async (url: URL) => (await call("GET", url)).status === 200;
    const stateLength = await largest(1, 1500, (n) => accepted(authorize(bulkyState(n), "mcp")));
    const scopeLength = await largest(1, 1500, (n) => accepted(authorize(bulkyState(stateLength), bulkyScope(n))));

    const { verifier, challenge } = pkce();
    const url = env.authorizeUrl({ clientId, challenge, redirectUri, state: bulkyState(stateLength), extra: { scope: bulkyScope(scopeLength) } });
    const queryBytes = Buffer.byteLength(url.search.slice(1), "utf8");
    expect(queryBytes).toBeLessThanOrEqual(QUERY_LIMIT);
    // The limits are generous: the longest request leaves only the reserve for parameters the gateway ignores.
    expect(queryBytes).toBeGreaterThan(QUERY_LIMIT - 100);

    const browser = new Browser();
    const { reply } = await env.consent(browser, url);
    expect(reply.status, reply.text.slice(0, 300)).toBe(302);
    const { final } = await env.follow(browser, reply.location!, `${redirectUri}?`);
    expect(final?.searchParams.get("state")).toBe(bulkyState(stateLength));
    const token = await env.token({ grant_type: "authorization_code", code: final!.searchParams.get("code")!, client_id: clientId, redirect_uri: redirectUri, code_verifier: verifier, resource: env.resource });
    expect(token.status, token.text).toBe(200);
    expect((await env.mcp(json(token).access_token as string)).status).toBe(200);
  });
});
