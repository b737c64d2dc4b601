/**
 * Threats: T-audit, T-rate-limit-user. A user who floods an MCP server is refused by the rate limit
 * (429); each refusal still leaves exactly one audit event (decision limited, status 429, the user,
 * client, server, method and tool), never with a token. API Management's rate-limit-by-key fails
 * with context.LastError.Reason RateLimitExceeded, so the event is written in on-error (the local
 * gateway does the same), and the client still gets the 429 with Retry-After and CORS. The limit
 * counts per user and server: another user of the same client keeps his calls, and the same user
 * does not get new ones by registering another client.
 */
import { describe, expect, it } from "vitest";
import { useAttackStack, type AttackEnv } from "../../test-support/attack-client.js";
import { defaultUser } from "../../local/entra/stand-in.js";

const CALLS = 2;
const flooder = defaultUser("Flo Flooder");
const neighbour = defaultUser("Nele Neighbour");

let env: AttackEnv;
useAttackStack((started) => (env = started), {
  platform: { servers: [{ name: "weather", path: "mcp", title: "Weather", backend: { kind: "sample" }, rateLimit: { calls: CALLS, renewalPeriod: 300 } }] },
  entraUsers: [flooder, neighbour],
});

describe("requests refused by the rate limit", () => {
  it("leave one audit event each, with decision limited and status 429, and no token", async () => {
    const flow = await env.signIn({ user: flooder.oid });
    const before = env.auditEvents.length;
    const statuses: number[] = [];
    const refused = [];
    for (let i = 0; i < CALLS + 3; i++) {
      const body = i === CALLS + 2 ? { jsonrpc: "2.0", id: i, method: "tools/call", params: { name: "whoami", arguments: {} } } : undefined;
      const reply = await env.mcp(flow.tokens.access_token, body);
      statuses.push(reply.status);
      if (reply.status === 429) refused.push(reply);
    }
    expect(statuses).toEqual([200, 200, 429, 429, 429]);
    for (const reply of refused) {
      expect(Number(reply.headers.get("retry-after"))).toBeGreaterThan(0);
      expect(reply.headers.get("access-control-allow-origin")).toBe("*");
      // A browser client can read when to try again.
      expect(reply.headers.get("access-control-expose-headers")?.split(/,\s*/)).toContain("Retry-After");
    }

    const events = env.auditEvents.slice(before);
    expect(events.map((e) => [e.decision, e.status])).toEqual([
      ["allowed", 200],
      ["allowed", 200],
      ["limited", 429],
      ["limited", 429],
      ["limited", 429],
    ]);
    for (const e of events.slice(CALLS)) {
      expect(e).toMatchObject({ event: "mcp-audit", user: flooder.oid, server: "weather" });
      expect(String(e.client)).toMatch(/^registered:[A-Za-z0-9_-]{16}$/);
      expect(typeof e.latencyMs).toBe("number");
    }
    expect(events.at(-1)).toMatchObject({ method: "tools/call", tool: "whoami" });

    const all = JSON.stringify(events);
    for (const secret of [flow.tokens.access_token, flow.tokens.refresh_token, flow.code, flow.verifier, ...flow.tokens.access_token.split(".")]) {
      expect(all).not.toContain(secret);
    }
    expect(all).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}/);
  });

  it("are counted per user: another user of the same client is not limited, and the same user with a new client still is", async () => {
    // The flooder uses up his calls (if the test above has not already) with a client his neighbour signs in with too.
    const shared = await env.signIn({ user: flooder.oid });
    for (let i = 0; i < CALLS && (await env.mcp(shared.tokens.access_token)).status === 200; i++);
    expect((await env.mcp(shared.tokens.access_token)).status).toBe(429);
    const before = env.auditEvents.length;
    const neighbours = await env.signIn({ clientId: shared.clientId, user: neighbour.oid });
    expect((await env.mcp(neighbours.tokens.access_token)).status).toBe(200);
    expect(env.auditEvents.slice(before).map((e) => [e.user, e.decision, e.status])).toEqual([[neighbour.oid, "allowed", 200]]);
    // A freshly registered client is no way out: it is the same user.
    const fresh = await env.signIn({ user: flooder.oid, clientId: await env.register(undefined, { client_name: "The flooder's second client" }) });
    expect(fresh.clientId).not.toBe(shared.clientId);
    const limited = await env.mcp(fresh.tokens.access_token);
    expect(limited.status).toBe(429);
    expect(env.auditEvents.at(-1)).toMatchObject({ user: flooder.oid, decision: "limited", status: 429 });
  });
});
