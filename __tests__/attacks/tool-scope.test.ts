/**
 * Threat T-tool-scope (issue 11 items 3 and 4): a client whose token carries only the base scope calls a tool that
 * needs more. The gateway refuses it before the backend with the step-up challenge of MCP 2026-07-28, decides by the
 * JSON-RPC body in both eras and refuses a request whose Mcp-Method or Mcp-Name header disagrees with the body (so a
 * header naming an allowed tool cannot carry a call of another past the check); after re-authorizing with every
 * scope the call needs, the consent page names the new scope and the call works, and the Entra token the backend
 * receives carries only the scopes the user granted.
 */
import { describe, expect, it } from "vitest";
import { call, json, useAttackStack, type AttackEnv, type Reply } from "../../test-support/attack-client.js";
import { LEGACY_PROTOCOL_VERSION, MCP_ACCEPT, modernMeta, MODERN_PROTOCOL_VERSION } from "../../test-support/mcp-client.js";

let env: AttackEnv;
useAttackStack((started) => (env = started), { countBackend: true });

const baseScope = () => `api://${env.stack.identities.appClientId}/user_impersonate`;
const forecastScope = () => `api://${env.stack.identities.appClientId}/forecast.read`;
const challenge = () => `Bearer error="insufficient_scope", scope="${baseScope()} ${forecastScope()}", resource_metadata="${env.base}/.well-known/oauth-protected-resource/mcp"`;

const forecastCall = { jsonrpc: "2.0", id: 7, method: "tools/call", params: { name: "get_forecast", arguments: { city: "London", days: 2 } } };
const weatherCall = { jsonrpc: "2.0", id: 8, method: "tools/call", params: { name: "get_weather", arguments: { city: "London" } } };

/** A 2025-era POST (body only, no Mcp-Method or Mcp-Name header). */
function post2025(token: string, body: unknown): Promise<Reply> {
  return call("POST", env.resource, {
    body: typeof body === "string" ? body : JSON.stringify(body),
    headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json", Accept: MCP_ACCEPT, "MCP-Protocol-Version": LEGACY_PROTOCOL_VERSION },
  });
}

/** A 2026-07-28 tools/call: the `_meta` envelope in the body, the standard headers (overridable) derived from it. */
function postModernCall(token: string, message: { jsonrpc: string; id: number; method: string; params: { name: string; arguments: Record<string, unknown> } }, headers: Record<string, string> = {}): Promise<Reply> {
  const body = { ...message, params: { ...message.params, _meta: modernMeta() } };
  return call("POST", env.resource, {
    body: JSON.stringify(body),
    headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json", Accept: MCP_ACCEPT, "MCP-Protocol-Version": MODERN_PROTOCOL_VERSION, "Mcp-Method": "tools/call", "Mcp-Name": message.params.name, ...headers },
  });
}

/** The JSON-RPC answer of a JSON or SSE reply. */
function rpc(reply: Reply): { result?: { content?: { text?: string }[]; isError?: boolean }; error?: { code: number; message: string } } {
  const data = reply.headers.get("content-type")?.startsWith("text/event-stream") ? reply.text.split("\n").find((l) => l.startsWith("data: "))!.slice(6) : reply.text;
  return JSON.parse(data) as ReturnType<typeof rpc>;
}

/** The `scp` claim of the Entra token the gateway forwarded with the last request that reached the backend. */
function forwardedScp(): string {
  const last = env.backendRequests[env.backendRequests.length - 1]!;
  const jwt = last.headers.authorization!.replace(/^Bearer /, "");
  return (JSON.parse(Buffer.from(jwt.split(".")[1]!, "base64url").toString("utf8")) as { scp: string }).scp;
}

describe("a tool whose scope the token lacks", () => {
  it("is refused by the gateway with 403 and the step-up challenge, before the backend (2025 era: decided from the body)", async () => {
    const flow = await env.signIn();
    expect(flow.tokens.scope).toBe(baseScope());
    const before = env.backendRequests.length;
    const audits = env.auditEvents.length;
    const reply = await post2025(flow.tokens.access_token, forecastCall);
    expect(reply.status).toBe(403);
    expect(reply.headers.get("www-authenticate")).toBe(challenge());
    expect(reply.headers.get("access-control-allow-origin")).toBe("*");
    expect(reply.headers.get("access-control-expose-headers")).toContain("WWW-Authenticate");
    expect(json(reply)).toMatchObject({ jsonrpc: "2.0", id: null, error: { code: -32001 } });
    expect(env.backendRequests.length).toBe(before);
    expect(env.auditEvents.slice(audits)).toEqual([expect.objectContaining({ method: "tools/call", tool: "get_forecast", decision: "denied", status: 403 })]);
    // A tool that needs the base scope alone is forwarded, with an Entra token that carries only that scope.
    const weather = await post2025(flow.tokens.access_token, weatherCall);
    expect(weather.status).toBe(200);
    expect(rpc(weather).result?.isError).not.toBe(true);
    expect(env.backendRequests.length).toBe(before + 1);
    expect(forwardedScp()).toBe("user_impersonate");
  });

  it("is refused in the 2026-07-28 era too, with the same challenge", async () => {
    const flow = await env.signIn();
    const before = env.backendRequests.length;
    const reply = await postModernCall(flow.tokens.access_token, forecastCall);
    expect(reply.status).toBe(403);
    expect(reply.headers.get("www-authenticate")).toBe(challenge());
    expect(env.backendRequests.length).toBe(before);
  });

  it("cannot be smuggled past the check: a header naming an allowed tool over a body calling another is refused before the backend", async () => {
    const flow = await env.signIn();
    const before = env.backendRequests.length;
    const smuggled = await postModernCall(flow.tokens.access_token, forecastCall, { "Mcp-Name": "get_weather" });
    expect(smuggled.status).toBe(400);
    expect(json(smuggled)).toMatchObject({ jsonrpc: "2.0", error: { code: -32020 } });
    expect(smuggled.headers.get("access-control-allow-origin")).toBe("*");
    // The other way round, and a method header that disagrees with the body, are refused the same way.
    expect((await postModernCall(flow.tokens.access_token, weatherCall, { "Mcp-Name": "get_forecast" })).status).toBe(400);
    expect((await postModernCall(flow.tokens.access_token, forecastCall, { "Mcp-Method": "tools/list" })).status).toBe(400);
    expect(env.backendRequests.length).toBe(before);
    expect(env.auditEvents[env.auditEvents.length - 1]).toMatchObject({ decision: "denied", status: 400 });
  });

  it("is found in a 2025-era batch, and a batch carrying the 2026-07-28 headers is refused", async () => {
    const flow = await env.signIn();
    const before = env.backendRequests.length;
    const batch = [{ jsonrpc: "2.0", id: 1, method: "tools/list", params: {} }, forecastCall];
    const reply = await post2025(flow.tokens.access_token, batch);
    expect(reply.status).toBe(403);
    expect(reply.headers.get("www-authenticate")).toBe(challenge());
    const withHeaders = await call("POST", env.resource, {
      body: JSON.stringify([weatherCall]),
      headers: { Authorization: `Bearer ${flow.tokens.access_token}`, "Content-Type": "application/json", Accept: MCP_ACCEPT, "Mcp-Method": "tools/call", "Mcp-Name": "get_weather" },
    });
    expect(withHeaders.status).toBe(400);
    expect(env.backendRequests.length).toBe(before);
  });

  it("is not forwarded unread: a body that is not JSON, or nested 100 levels deep, is refused before the backend", async () => {
    const flow = await env.signIn();
    const before = env.backendRequests.length;
    const garbage = await post2025(flow.tokens.access_token, '{"jsonrpc":"2.0","id":1,"method":"tools/call",');
    expect(garbage.status).toBe(400);
    expect(json(garbage)).toMatchObject({ error: { code: -32700 } });
    // JSON.parse on the server reads 100 levels; Newtonsoft may stop at 64 (its MaxDepth) or read on: either way the
    // call is refused (400 unreadable, or 403 decided), never forwarded unread.
    let deep: unknown = "x";
    for (let i = 0; i < 100; i++) deep = [deep];
    const nested = await post2025(flow.tokens.access_token, { ...forecastCall, params: { ...forecastCall.params, arguments: { city: "London", days: 2, extra: deep } } });
    expect([400, 403]).toContain(nested.status);
    expect(env.backendRequests.length).toBe(before);
  });

  it("holds under twenty parallel calls, a JSON-escaped name, a look-alike header and a control character: none reaches the backend", async () => {
    const flow = await env.signIn();
    const before = env.backendRequests.length;
    const parallel = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? post2025(flow.tokens.access_token, forecastCall) : postModernCall(flow.tokens.access_token, forecastCall))));
    expect(parallel.map((r) => r.status)).toEqual(Array(20).fill(403));
    // The gateway decodes the body as the server does: an escaped name is the same tool.
    const escaped = JSON.stringify(forecastCall).replace('"get_forecast"', '"get\\u005fforecast"');
    expect((await post2025(flow.tokens.access_token, escaped)).status).toBe(403);
    // Header and body must agree exactly: a case variant or a trailing control character is a mismatch.
    expect((await postModernCall(flow.tokens.access_token, forecastCall, { "Mcp-Name": "Get_Forecast" })).status).toBe(400);
    expect((await postModernCall(flow.tokens.access_token, { ...forecastCall, params: { ...forecastCall.params, name: "get_forecast\u0000" } }, { "Mcp-Name": "get_forecast" })).status).toBe(400);
    expect(env.backendRequests.length).toBe(before);
  });

  it("works after re-authorizing with every scope of the challenge: the consent page names the new scope, Entra is asked for it", async () => {
    const flow = await env.signIn({ scope: `${baseScope()} ${forecastScope()}` });
    expect(flow.consentPage.text).toContain("Read weather forecasts");
    expect(flow.consentPage.text).toContain("Use the MCP server as you");
    expect(flow.tokens.scope).toBe(`${baseScope()} ${forecastScope()}`);
    for (const reply of [await post2025(flow.tokens.access_token, forecastCall), await postModernCall(flow.tokens.access_token, forecastCall)]) {
      expect(reply.status).toBe(200);
      const answer = rpc(reply);
      expect(answer.error).toBeUndefined();
      expect(answer.result?.isError).not.toBe(true);
      expect(JSON.stringify(answer.result)).toContain("London");
      expect(forwardedScp().split(" ").sort()).toEqual(["forecast.read", "user_impersonate"]);
    }
  });

  it("grants only the server's own scopes: another scope asked for is left out, and the consent page does not show it", async () => {
    const flow = await env.signIn({ scope: `api://another-app/admin ${forecastScope()}.write offline_access` });
    expect(flow.tokens.scope).toBe(baseScope());
    expect(flow.consentPage.text).not.toContain("another-app");
    expect((await post2025(flow.tokens.access_token, forecastCall)).status).toBe(403);
  });
});

describe("CORS for the 2026-07-28 headers", () => {
  it("lets a browser client send Mcp-Method, Mcp-Name and MCP-Protocol-Version, and read the challenge", async () => {
    const reply = await call("OPTIONS", env.resource, {
      headers: { Origin: "https://app.example", "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "authorization, content-type, mcp-method, mcp-name, mcp-protocol-version" },
    });
    expect(reply.status).toBe(204);
    const allowed = (reply.headers.get("access-control-allow-headers") ?? "").toLowerCase().split(/\s*,\s*/);
    expect(allowed).toEqual(expect.arrayContaining(["authorization", "content-type", "mcp-method", "mcp-name", "mcp-protocol-version", "mcp-session-id"]));
    expect(reply.headers.get("access-control-expose-headers")).toContain("WWW-Authenticate");
  });
});
