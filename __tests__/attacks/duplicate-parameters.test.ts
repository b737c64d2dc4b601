/**
 * Threat: parameter pollution at the authorization endpoint (issue 8 finding 11; RFC 6749 §3.1:
 * "Request and response parameters MUST NOT be included more than once"; RFC 9700 §4.1 on
 * ambiguous requests). API Management joins a repeated query parameter's values with a comma, so
 * `state=one&state=two` became the state `one,two` and the request went on: the gateway and the
 * client (or another component reading the first value) then disagree about what was asked. Any
 * repeated parameter, however its name is spelled in the query, is invalid_request on an error page,
 * before the redirect URI is trusted and before any consent page.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { call, pkce, startAttackStack, type AttackEnv } from "../../test-support/attack-client.js";

let env: AttackEnv;
let clientId = "";
beforeAll(async () => {
  env = await startAttackStack();
  clientId = await env.register();
}, 180_000);
afterAll(async () => {
  await env?.close();
});

const PARAMETERS = ["response_type", "client_id", "redirect_uri", "state", "code_challenge", "code_challenge_method", "resource", "scope"];

/** The honest query, as (name, value) pairs in order. */
function honest(): [string, string][] {
  const url = env.authorizeUrl({ clientId, challenge: pkce().challenge, extra: { scope: "mcp" } });
  return [...url.searchParams.entries()];
}

function authorize(pairs: [string, string][], rawExtra = ""): Promise<{ status: number; headers: Headers; text: string }> {
  const query = new URLSearchParams(pairs).toString() + rawExtra;
  return call("GET", `${env.base}/authorize?${query}`);
}

describe("repeated /authorize parameters", () => {
  it("the honest request gets its consent page", async () => {
    expect((await authorize(honest())).status).toBe(200);
  });

  it("refuses every OAuth parameter given twice, with the same or another value, naming it", async () => {
    const through: string[] = [];
    for (const name of PARAMETERS) {
      for (const second of ["same", "other"] as const) {
        const pairs = honest();
        const value = pairs.find(([k]) => k === name)![1];
        const reply = await authorize([...pairs, [name, second === "same" ? value : `${value}x`]]);
        expect(reply.status, `${name} ${second}`).toBeLessThan(500);
        if (reply.status !== 400 || reply.headers.get("location") !== null || !reply.text.includes("invalid_request")) through.push(`${name} (${second} value): ${reply.status}`);
        else expect(reply.text, name).toContain(name);
      }
    }
    expect(through).toEqual([]);
  });

  it("refuses a repeat hidden by percent-encoding the name, another letter case or an empty value", async () => {
    const through: string[] = [];
    for (const raw of ["&st%61te=other", "&%73tate=other", "&state=", "&state", "&State=other", "&CLIENT_ID=other"]) {
      const reply = await authorize(honest(), raw);
      if (reply.status !== 400 || reply.headers.get("location") !== null) through.push(`${raw}: ${reply.status}`);
    }
    expect(through).toEqual([]);
  });

  it("refuses a repeated parameter the gateway does not otherwise read", async () => {
    const reply = await authorize([...honest(), ["prompt", "consent"], ["prompt", "none"]]);
    expect(reply.status).toBe(400);
    expect(reply.headers.get("location")).toBeNull();
  });
});
