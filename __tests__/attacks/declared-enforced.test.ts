/**
 * Declared = enforced (issue 17): every key of the platform configuration file with a security effect, attacked
 * through the local gateway (the real synthesized policies, Mono C#), showing that what the file declares is what
 * the gateway does. docs/threat-model.md's settings table names one test here per setting; a later key (a
 * confidential static client, an agent's workload identity) is one more `describe` row below and one more row there.
 *
 * One platform: the sample `weather` (rate-limited to 3 calls per user), `tickets` (a `url` backend this test runs,
 * with its own scope, a scope-gated and a role-gated tool and a 2 s timeout) and `reports` (a `url` backend that gets
 * no token, open only to users assigned to its application); registration off, one allowed metadata-document prefix,
 * one static client. The Entra stand-in has several users: Ada holds the roles, Bob none, Carol and Dave are counted
 * by the rate limit only.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decodeJwt } from "jose";
import { ATTACK_REDIRECT, Browser, CIMD_ORIGIN, call, clientAuthentication, json, pkce, startAttackStack, type ClientSecret, type AttackEnv, type Reply } from "../../test-support/attack-client.js";
import { post2025, postModernCall, rpcOf, toolCall } from "../../test-support/mcp-posts.js";
import { startBackend } from "../../test-support/local-gateway.js";
import { startTicketsServer, type TicketsServer } from "../../test-support/tickets-server.js";
import { defaultUser, type EntraUser } from "../../local/entra/stand-in.js";
import type { LocalStackServer } from "../../local/run.js";

const TICKETS_ORIGIN = "https://tickets.declared.example";
const REPORTS_ORIGIN = "https://reports.declared.example";
const STATIC_CLIENT = "declared-cli";
const PORTAL = "declared-portal";
const PORTAL_REDIRECT = "https://portal.declared.example/oauth/callback";
const ALLOWED_DOCS = `${CIMD_ORIGIN}/allowed/`;
const WEATHER_CALLS = 3;

const PLATFORM = {
  servers: [
    { name: "weather", path: "mcp", title: "Weather", backend: { kind: "sample" }, rateLimit: { calls: WEATHER_CALLS, renewalPeriod: 300 } },
    {
      name: "tickets",
      path: "tickets/mcp",
      title: "Tickets",
      backend: { kind: "url", url: `${TICKETS_ORIGIN}/mcp` },
      timeoutSeconds: 2,
      scopes: ["tickets.write"],
      tools: [
        { name: "create_ticket", scope: "tickets.write" },
        { name: "close_ticket", appRole: "Tickets.Admin" },
      ],
    },
    {
      name: "reports",
      path: "reports/mcp",
      title: "Reports",
      backend: { kind: "url", url: `${REPORTS_ORIGIN}/mcp` },
      backendAuth: "none",
      assignmentRequired: true,
      tools: [
        { name: "export_report", appRole: "Reports.Reader" },
        { name: "purge_reports", appRole: "Reports.Admin" },
      ],
    },
  ],
  clients: {
    registration: false,
    metadataDocuments: { allow: [`${ALLOWED_DOCS}*`] },
    static: [
      { client_id: STATIC_CLIENT, client_name: "Declared CLI", redirect_uris: ["http://127.0.0.1/callback"] },
      { client_id: PORTAL, client_name: "Declared portal", redirect_uris: [PORTAL_REDIRECT], application_type: "web", confidential: true },
    ],
  },
};

const ada = defaultUser("Ada Admin", ["Tickets.Admin", "Reports.Reader"]);
const bob = defaultUser("Bob Plain");
const carol = defaultUser("Carol Counted");
const dave = defaultUser("Dave Counted");
const eve = defaultUser("Eve Promoted");

let env: AttackEnv;
let tickets: TicketsServer;
let reports: Awaited<ReturnType<typeof startBackend>>;
const server: Record<"weather" | "tickets" | "reports", LocalStackServer> = {} as never;

beforeAll(async () => {
  tickets = await startTicketsServer();
  // A backend that answers every JSON-RPC request with an empty result and records what reached it.
  reports = await startBackend((_req, body, res) => {
    let id: unknown = null;
    try {
      id = (JSON.parse(body) as { id?: unknown }).id ?? null;
    } catch {
      /* not JSON: id null */
    }
    res.writeHead(200, { "Content-Type": "application/json" }).end(JSON.stringify({ jsonrpc: "2.0", id, result: {} }));
  });
  // Entra tokens of 120 s: under the gateway's 5-minute margin, so every MCP call renews the user's Entra token upstream (roles follow Entra).
  env = await startAttackStack({ platform: PLATFORM, urlRewrites: { [TICKETS_ORIGIN]: tickets.url, [REPORTS_ORIGIN]: reports.url }, entraUsers: [ada, bob, carol, dave, eve], entraAccessTokenLifetimeSeconds: 120 });
  for (const name of ["weather", "tickets", "reports"] as const) server[name] = env.stack.servers.find((s) => s.name === name)!;
  tickets.expect({ issuer: env.stack.entra.issuer, jwksUri: env.stack.entra.jwksUri, clientId: server.tickets.entraClientId });
}, 180_000);
afterAll(async () => {
  await env?.close();
  await tickets?.close();
  await reports?.close();
});

/** Signs `user` in to `at` with the static client (registration is off), asking for `scope` when given; returns the gateway access token. */
async function signIn(user: EntraUser, at: LocalStackServer, options: { scope?: string; clientId?: string; redirectUri?: string } = {}): Promise<{ token: string; scope: string }> {
  const flow = await env.signIn({ clientId: options.clientId ?? STATIC_CLIENT, redirectUri: options.redirectUri ?? ATTACK_REDIRECT, resource: at.endpoint, user: user.oid, scope: options.scope });
  return { token: flow.tokens.access_token, scope: flow.tokens.scope };
}

const scopeOf = (at: LocalStackServer, name: string) => `api://${at.entraClientId}/${name}`;

/** The JSON-RPC tools/list request. */
const LIST = { jsonrpc: "2.0", id: 1, method: "tools/list", params: {} };

describe("servers[].path", () => {
  it("servers[].path: a token for one server is refused at another, before its backend", async () => {
    const ticketsToken = (await signIn(ada, server.tickets)).token;
    const weatherToken = (await signIn(ada, server.weather)).token;
    const seen = { tickets: tickets.authorizations.length, reports: reports.requests.length };
    for (const [token, at] of [[ticketsToken, server.weather], [ticketsToken, server.reports], [weatherToken, server.tickets]] as const) {
      const reply = await env.mcp(token, LIST, at.endpoint);
      expect(reply.status, `${at.name}`).toBe(401);
      expect(reply.headers.get("www-authenticate"), at.name).toContain(`resource_metadata="${env.base}/.well-known/oauth-protected-resource/${at.path}"`);
    }
    expect({ tickets: tickets.authorizations.length, reports: reports.requests.length }).toEqual(seen);
    expect((await env.mcp(ticketsToken, LIST, server.tickets.endpoint)).status).toBe(200);
  });
});

describe("servers[].backendAuth", () => {
  it("servers[].backendAuth: entra-user gives the backend the user's Entra token for its own application, none gives it no Authorization header", async () => {
    const ticketsToken = (await signIn(ada, server.tickets)).token;
    const before = tickets.authorizations.length;
    expect((await env.mcp(ticketsToken, LIST, server.tickets.endpoint)).status).toBe(200);
    const forwarded = tickets.authorizations.slice(before);
    expect(forwarded).toHaveLength(1);
    expect(forwarded[0]).not.toContain(ticketsToken);
    expect(decodeJwt(forwarded[0]!.replace(/^Bearer /, ""))).toMatchObject({ iss: env.stack.entra.issuer, aud: server.tickets.entraClientId, azp: server.tickets.entraClientId, oid: ada.oid });

    const reportsToken = (await signIn(ada, server.reports)).token;
    const seen = reports.requests.length;
    const reply = await env.mcp(reportsToken, LIST, server.reports.endpoint);
    expect(reply.status).toBe(200);
    const reached = reports.requests.slice(seen);
    expect(reached).toHaveLength(1);
    expect(reached[0]!.headers.authorization).toBeUndefined();
    expect(JSON.stringify(reached[0]!.headers)).not.toContain(reportsToken);
  });
});

describe("servers[].timeoutSeconds", () => {
  // The test's own limit (60 s) is below the default timeout (120 s): only the declared 2 s can end the call in time.
  it("servers[].timeoutSeconds: a silent backend is a 504 with a JSON-RPC error after the server's own timeout, not the default 120 s", async () => {
    const token = (await signIn(ada, server.tickets)).token;
    tickets.mode = "silent";
    try {
      const reply = await env.mcp(token, LIST, server.tickets.endpoint);
      expect(reply.status).toBe(504);
      expect(json(reply)).toMatchObject({ jsonrpc: "2.0", error: { code: expect.any(Number) } });
      expect(reply.headers.get("access-control-allow-origin")).toBe("*");
    } finally {
      tickets.mode = "normal";
    }
    expect((await env.mcp(token, LIST, server.tickets.endpoint)).status).toBe(200);
  }, 60_000);
});

describe("servers[].scopes", () => {
  it("servers[].scopes: a server grants only its own scopes: another server's scope asked for is left out", async () => {
    const granted = await signIn(ada, server.tickets, { scope: `${scopeOf(server.tickets, "tickets.write")} ${scopeOf(server.weather, "forecast.read")} ${scopeOf(server.tickets, "tickets.admin")}` });
    expect(granted.scope.split(" ").sort()).toEqual([scopeOf(server.tickets, "tickets.write"), scopeOf(server.tickets, "user_impersonate")].sort());
    const before = tickets.accepted.length;
    expect((await env.mcp(granted.token, LIST, server.tickets.endpoint)).status).toBe(200);
    // Entra was asked for no more: the backend's token carries the granted scopes only.
    expect(String(tickets.accepted[before]!.scp).split(" ").sort()).toEqual(["tickets.write", "user_impersonate"]);
  });
});

describe("servers[].tools[].scope", () => {
  it("servers[].tools[].scope: a tool whose scope the token lacks is refused with the step-up challenge before the backend, and reaches it once granted", async () => {
    const base = await signIn(ada, server.tickets);
    const before = tickets.authorizations.length;
    const challenge = `Bearer error="insufficient_scope", scope="${scopeOf(server.tickets, "user_impersonate")} ${scopeOf(server.tickets, "tickets.write")}", resource_metadata="${env.base}/.well-known/oauth-protected-resource/tickets/mcp"`;
    for (const reply of [await post2025(server.tickets.endpoint, base.token, toolCall("create_ticket")), await postModernCall(server.tickets.endpoint, base.token, toolCall("create_ticket"))]) {
      expect(reply.status).toBe(403);
      expect(reply.headers.get("www-authenticate")).toBe(challenge);
    }
    expect(tickets.authorizations.length).toBe(before);
    // The tool that needs only the base scope is not held back.
    expect((await post2025(server.tickets.endpoint, base.token, toolCall("list_tickets"))).status).toBe(200);

    const stepped = await signIn(ada, server.tickets, { scope: `${scopeOf(server.tickets, "user_impersonate")} ${scopeOf(server.tickets, "tickets.write")}` });
    const reached = tickets.authorizations.length;
    expect((await post2025(server.tickets.endpoint, stepped.token, toolCall("create_ticket"))).status).toBe(200);
    expect(tickets.authorizations.length).toBe(reached + 1);
  });
});

describe("servers[].tools[].appRole", () => {
  /** Expects the gateway's refusal of a call for lack of `role` (for `tool`), which names them and challenges nothing. */
  function expectMissingRole(reply: Reply, tool: string, role: string): void {
    expect(reply.status).toBe(403);
    expect(reply.headers.get("www-authenticate")).toBeNull();
    expect(reply.headers.get("access-control-allow-origin")).toBe("*");
    const error = rpcOf(reply).error!;
    expect(error.code).toBe(-32001);
    expect(error.message).toContain(`the tool ${tool} needs the app role ${role}`);
    expect(error.data).toEqual({ missingRoles: [role] });
  }

  it("servers[].tools[].appRole: a user without the role is refused with 403 naming it, before the backend, in both eras and inside a batch, while a user with it reaches the backend", async () => {
    const bobs = await signIn(bob, server.tickets);
    const before = tickets.authorizations.length;
    const audits = env.auditEvents.length;
    expectMissingRole(await post2025(server.tickets.endpoint, bobs.token, toolCall("close_ticket", { id: 7 })), "close_ticket", "Tickets.Admin");
    expectMissingRole(await postModernCall(server.tickets.endpoint, bobs.token, toolCall("close_ticket", { id: 7 })), "close_ticket", "Tickets.Admin");
    expectMissingRole(await post2025(server.tickets.endpoint, bobs.token, [LIST, toolCall("list_tickets", {}, 2), toolCall("close_ticket", { id: 7 }, 3)]), "close_ticket", "Tickets.Admin");
    expect(tickets.authorizations.length).toBe(before);
    expect(env.auditEvents.slice(audits)).toEqual([0, 1, 2].map(() => expect.objectContaining({ user: bob.oid, server: "tickets", decision: "denied", status: 403, tool: expect.stringContaining("close_ticket") })));
    // Bob's other tools still work: the role gates only its tool.
    expect((await post2025(server.tickets.endpoint, bobs.token, toolCall("list_tickets"))).status).toBe(200);

    const adas = await signIn(ada, server.tickets);
    const reached = tickets.authorizations.length;
    for (const reply of [await post2025(server.tickets.endpoint, adas.token, toolCall("close_ticket", { id: 7 })), await postModernCall(server.tickets.endpoint, adas.token, toolCall("close_ticket", { id: 7 }))]) {
      expect(reply.status).toBe(200);
    }
    expect(tickets.authorizations.length).toBe(reached + 2);
    expect(decodeJwt(tickets.authorizations.at(-1)!.replace(/^Bearer /, "")).roles).toEqual(["Tickets.Admin"]);

    // A server whose backend gets no token checks roles all the same: Ada holds Reports.Reader, not Reports.Admin.
    const adaReports = await signIn(ada, server.reports);
    const seen = reports.requests.length;
    expectMissingRole(await post2025(server.reports.endpoint, adaReports.token, toolCall("purge_reports")), "purge_reports", "Reports.Admin");
    expect(reports.requests.length).toBe(seen);
    expect((await post2025(server.reports.endpoint, adaReports.token, toolCall("export_report"))).status).toBe(200);
    expect(reports.requests.length).toBe(seen + 1);
  });

  it("servers[].tools[].appRole: twenty parallel calls by a user without the role are all refused, and a role the client writes into its request counts for nothing", async () => {
    const bobs = await signIn(bob, server.tickets);
    const before = tickets.authorizations.length;
    const replies = await Promise.all(
      Array.from({ length: 20 }, (_, i) => (i % 2 ? post2025(server.tickets.endpoint, bobs.token, toolCall("close_ticket", { id: i }, i)) : postModernCall(server.tickets.endpoint, bobs.token, toolCall("close_ticket", { id: i }, i)))),
    );
    for (const reply of replies) expectMissingRole(reply, "close_ticket", "Tickets.Admin");
    // Roles claimed by the client, in headers App Service would trust or in the request's _meta, are not the user's roles.
    const claimed = { ...toolCall("close_ticket", { id: 1 }), params: { ...toolCall("close_ticket", { id: 1 }).params, _meta: { roles: ["Tickets.Admin"] } } };
    const forged = { "X-MS-CLIENT-PRINCIPAL-ROLES": "Tickets.Admin", "X-MS-CLIENT-PRINCIPAL": Buffer.from(JSON.stringify({ claims: [{ typ: "roles", val: "Tickets.Admin" }] })).toString("base64") };
    expectMissingRole(await postModernCall(server.tickets.endpoint, bobs.token, claimed, forged), "close_ticket", "Tickets.Admin");
    expectMissingRole(await post2025(server.tickets.endpoint, bobs.token, claimed, forged), "close_ticket", "Tickets.Admin");
    expect(tickets.authorizations.length).toBe(before);
  });
});

describe("servers[].tools[].appRole, over time", () => {
  it("servers[].tools[].appRole: roles follow Entra at the gateway's next upstream renewal: one assigned there starts to count, one removed stops", async () => {
    const flow = await env.signIn({ clientId: STATIC_CLIENT, redirectUri: ATTACK_REDIRECT, resource: server.tickets.endpoint, user: eve.oid });
    const close = (token = flow.tokens.access_token) => post2025(server.tickets.endpoint, token, toolCall("close_ticket", { id: 9 }));
    expect((await close()).status).toBe(403);
    // An administrator assigns the role in Entra: the same gateway token now works, once the gateway has renewed Eve's Entra token.
    env.stack.entra.assignRoles(eve.oid, ["Tickets.Admin"]);
    const renewals = env.stack.entra.grants.refresh_token;
    expect((await close()).status).toBe(200);
    expect(env.stack.entra.grants.refresh_token).toBeGreaterThan(renewals);
    // And removes it again: refused at the next call, without the client doing anything.
    env.stack.entra.assignRoles(eve.oid, []);
    expect((await close()).status).toBe(403);
    // Refreshing the gateway's own tokens brings nothing back.
    const refreshed = await env.refresh(STATIC_CLIENT, flow.tokens.refresh_token);
    expect(refreshed.status).toBe(200);
    expect((await close(json(refreshed).access_token as string)).status).toBe(403);
  });
});

describe("servers[].assignmentRequired", () => {
  it("servers[].assignmentRequired: a user assigned no role of the server's application gets access_denied and no code, while an assigned user signs in", async () => {
    const browser = new Browser();
    const { challenge } = pkce();
    const { reply } = await env.consent(browser, env.authorizeUrl({ clientId: STATIC_CLIENT, challenge, resource: server.reports.endpoint }));
    expect(reply.status).toBe(302);
    const { final } = await env.follow(browser, reply.location!, ATTACK_REDIRECT, { user: bob.oid });
    expect(final).toBeDefined();
    expect(final!.searchParams.get("error")).toBe("access_denied");
    expect(final!.searchParams.get("code")).toBeNull();
    expect(final!.searchParams.get("state")).toBe("client-state");
    // The same user may still sign in to a server that does not require assignment, and an assigned user to this one.
    expect((await env.mcp((await signIn(bob, server.tickets)).token, LIST, server.tickets.endpoint)).status).toBe(200);
    expect((await env.mcp((await signIn(ada, server.reports)).token, LIST, server.reports.endpoint)).status).toBe(200);
  });
});

describe("servers[].rateLimit", () => {
  it("servers[].rateLimit: counted per user at each server: one user's 429 leaves another user of the same client alone, and a new client does not reset it", async () => {
    const carols = await signIn(carol, server.weather);
    const statuses: number[] = [];
    for (let i = 0; i <= WEATHER_CALLS; i++) statuses.push((await env.mcp(carols.token, LIST, server.weather.endpoint)).status);
    expect(statuses).toEqual([...Array(WEATHER_CALLS).fill(200), 429]);
    // Another user of the same (static, shared) client has calls of his own.
    expect((await env.mcp((await signIn(dave, server.weather)).token, LIST, server.weather.endpoint)).status).toBe(200);
    // The same user with a new client (an allowed metadata document) is still limited.
    const doc = `${ALLOWED_DOCS}rate-limit.json`;
    env.serveDocument(new URL(doc).pathname, { client_id: doc, client_name: "Another client", redirect_uris: [ATTACK_REDIRECT], token_endpoint_auth_method: "none" });
    const again = await signIn(carol, server.weather, { clientId: doc });
    const limited = await env.mcp(again.token, LIST, server.weather.endpoint);
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
    // Each server counts its own calls: the same user is not limited at another server.
    expect((await env.mcp((await signIn(carol, server.tickets)).token, LIST, server.tickets.endpoint)).status).toBe(200);
    expect(env.auditEvents.filter((e) => e.user === carol.oid && e.status === 429)).toEqual([expect.objectContaining({ decision: "limited" }), expect.objectContaining({ decision: "limited" })]);
  });
});

describe("clients.registration", () => {
  it("clients.registration: false refuses POST /register and leaves registration out of the metadata", async () => {
    const reply = await call("POST", `${env.base}/register`, { body: JSON.stringify({ redirect_uris: [ATTACK_REDIRECT], client_name: "Self-registered" }), headers: { "Content-Type": "application/json" } });
    expect(reply.status).toBe(403);
    expect(json(reply).error).toBe("access_denied");
    expect(json(await call("GET", `${env.base}/.well-known/oauth-authorization-server`))).not.toHaveProperty("registration_endpoint");
  });
});

describe("clients.metadataDocuments.allow", () => {
  it("clients.metadataDocuments.allow: a document outside the allow list is refused before it is fetched, one inside signs in", async () => {
    const outside = `${CIMD_ORIGIN}/elsewhere/client.json`;
    env.serveDocument(new URL(outside).pathname, { client_id: outside, client_name: "Outside", redirect_uris: [ATTACK_REDIRECT], token_endpoint_auth_method: "none" });
    const fetched = env.documentRequests.length;
    const refused = await call("GET", env.authorizeUrl({ clientId: outside, challenge: pkce().challenge }));
    expect(refused.status).toBe(400);
    expect(refused.headers.get("location")).toBeNull();
    expect(refused.text).toContain(`The client ${outside} (a client ID metadata document) may not sign in here`);
    expect(env.documentRequests.length).toBe(fetched);

    const inside = `${ALLOWED_DOCS}inside.json`;
    env.serveDocument(new URL(inside).pathname, { client_id: inside, client_name: "Inside", redirect_uris: [ATTACK_REDIRECT], token_endpoint_auth_method: "none" });
    expect((await env.mcp((await signIn(bob, server.weather, { clientId: inside })).token, LIST, server.weather.endpoint)).status).toBe(200);
  });
});

describe("clients.static", () => {
  it("clients.static: a static client signs in only with its exact id and redirect URIs (a native client's loopback port may vary)", async () => {
    for (const [clientId, redirectUri] of [
      ["Declared-CLI", "http://127.0.0.1/callback"],
      [STATIC_CLIENT, "http://127.0.0.1/callback/evil"],
      [STATIC_CLIENT, "http://localhost/callback"],
      [STATIC_CLIENT, "https://evil.example/callback"],
    ]) {
      const reply = await call("GET", env.authorizeUrl({ clientId: clientId!, challenge: pkce().challenge, redirectUri }));
      expect(reply.status, `${clientId} ${redirectUri}`).toBe(400);
      expect(reply.headers.get("location"), `${clientId} ${redirectUri}`).toBeNull();
    }
    const signed = await signIn(bob, server.weather, { redirectUri: "http://127.0.0.1:50999/callback" });
    expect((await env.mcp(signed.token, LIST, server.weather.endpoint)).status).toBe(200);
  });
});

describe("clients.static[].confidential", () => {
  it("clients.static[].confidential: a confidential static client's code is refused without its secret and with a wrong one, and redeemed with its own", async () => {
    const browser = new Browser();
    const { verifier, challenge } = pkce();
    const { reply } = await env.consent(browser, env.authorizeUrl({ clientId: PORTAL, challenge, redirectUri: PORTAL_REDIRECT, resource: server.weather.endpoint }));
    const { final } = await env.follow(browser, reply.location!, PORTAL_REDIRECT, { user: bob.oid });
    const code = final!.searchParams.get("code")!;
    const redeem = (secret?: ClientSecret): Promise<Reply> => {
      const auth = clientAuthentication(PORTAL, secret);
      return env.token({ grant_type: "authorization_code", code, ...auth.fields, redirect_uri: PORTAL_REDIRECT, code_verifier: verifier, resource: server.weather.endpoint }, auth.headers);
    };
    for (const secret of [undefined, { method: "client_secret_basic", secret: "A".repeat(48) } as const]) {
      const refused = await redeem(secret);
      expect(refused.status, refused.text).toBe(401);
      expect(json(refused).error).toBe("invalid_client");
    }
    const own = env.stack.values.clientSecrets?.[PORTAL];
    expect(own).toMatch(/^[A-Za-z0-9]{32,}$/);
    const redeemed = await redeem({ method: "client_secret_basic", secret: own! });
    expect(redeemed.status, redeemed.text).toBe(200);
    expect((await env.mcp(json(redeemed).access_token as string, LIST, server.weather.endpoint)).status).toBe(200);
  });
});
