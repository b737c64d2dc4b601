/**
 * Threat T-tool-scope (issue 11 items 3 and 4): a client whose token carries only the base scope calls a tool that
 * needs more. The gateway refuses it before the backend with the step-up challenge of MCP 2026-07-28, decides by the
 * JSON-RPC body in both eras and refuses a request whose Mcp-Method or Mcp-Name header disagrees with the body (so a
 * header naming an allowed tool cannot carry a call of another past the check); after re-authorizing with every
 * scope the call needs, the consent page names the new scope and the call works, and the Entra token the backend
 * receives carries only the scopes the user granted.
 */
import { describe, expect, it } from "vitest";
import { call, json, useAttackStack, type AttackEnv } from "../../test-support/attack-client.js";
import { MCP_ACCEPT, MODERN_PROTOCOL_VERSION } from "../../test-support/mcp-client.js";
import { post2025 as postAt2025, postModernCall as postModernAt, rpcOf as rpc } from "../../test-support/mcp-posts.js";

let env: AttackEnv;
useAttackStack((started) => (env = started), { countBackend: true });

const baseScope = () => `api://${env.stack.identities.appClientId}/user_impersonate`;
const forecastScope = () => `api://${env.stack.identities.appClientId}/forecast.read`;
const challenge = () => `Bearer error="insufficient_scope", scope="${baseScope()} ${forecastScope()}", resource_metadata="${env.base}/.well-known/oauth-protected-resource/mcp"`;

const forecastCall = { jsonrpc: "2.0", id: 7, method: "tools/call", params: { name: "get_forecast", arguments: { city: "London", days: 2 } } };
const weatherCall = { jsonrpc: "2.0", id: 8, method: "tools/call", params: { name: "get_weather", arguments: { city: "London" } } };

const post2025 = (token: string, body: unknown) => postAt2025(env.resource, token, body);
const postModernCall = (token: string, message: Parameters<typeof postModernAt>[2], headers: Record<string, string> = {}) => postModernAt(env.resource, token, message, headers);

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

/** Bodies that are neither one JSON-RPC message object nor a flat array of 1 to 50 of them (T-unclassifiable-body). */
const UNCLASSIFIABLE: [string, string, string][] = [
  ["a batch nested in a batch", JSON.stringify([[forecastCall]]), "an array holding an array (a batch nested in a batch) at index 0"],
  ["a batch holding a batch beside a message", JSON.stringify([weatherCall, [forecastCall]]), "an array holding an array (a batch nested in a batch) at index 1"],
  ["an array of non-objects", JSON.stringify([1, "tools/call", null]), "an array holding a JSON integer at index 0"],
  ["an empty array", "[]", "an empty array"],
  ["a JSON string", JSON.stringify("tools/call"), "a JSON string"],
  ["a JSON number", "42", "a JSON integer"],
  ["a JSON null", "null", "a JSON null"],
  ["an object that is no message", JSON.stringify({ jsonrpc: "2.0", id: 1, params: { name: "get_forecast" } }), "an object that is neither a request (method) nor a response (result or error)"],
  ["a message whose method is not a string", JSON.stringify({ jsonrpc: "2.0", id: 1, method: ["tools/call"], params: forecastCall.params }), "a method that is not a string"],
  ["a tools/call whose name is not a string", JSON.stringify({ ...forecastCall, params: { name: ["get_forecast"], arguments: {} } }), "a tools/call whose params.name is not a string"],
  ["a batch of 51 messages", JSON.stringify(Array.from({ length: 51 }, (_, i) => ({ ...weatherCall, id: i }))), "a batch of 51 messages (at most 50)"],
];

describe("a body the gateway cannot classify", () => {
  it.each(UNCLASSIFIABLE)("refuses %s with 400 and a JSON-RPC error before the backend, in both eras", async (_what, body, says) => {
    const flow = await env.signIn();
    const before = env.backendRequests.length;
    const audits = env.auditEvents.length;
    const legacy = await post2025(flow.tokens.access_token, body);
    const modern = await call("POST", env.resource, {
      body,
      headers: { Authorization: `Bearer ${flow.tokens.access_token}`, "Content-Type": "application/json", Accept: MCP_ACCEPT, "MCP-Protocol-Version": MODERN_PROTOCOL_VERSION, "Mcp-Method": "tools/call", "Mcp-Name": "get_forecast" },
    });
    for (const reply of [legacy, modern]) {
      expect(reply.status).toBe(400);
      expect(reply.headers.get("access-control-allow-origin")).toBe("*");
      const answer = json(reply) as { jsonrpc: string; id: null; error: { code: number; message: string } };
      expect(answer).toMatchObject({ jsonrpc: "2.0", id: null, error: { code: -32600 } });
      expect(answer.error.message).toContain(`this body is ${says}.`);
    }
    expect(env.backendRequests.length).toBe(before);
    expect(env.auditEvents.slice(audits).map((e) => [e.decision, e.status])).toEqual([["denied", 400], ["denied", 400]]);
  });

  it("still forwards one message object and a flat batch of message objects", async () => {
    const flow = await env.signIn();
    const before = env.backendRequests.length;
    expect((await post2025(flow.tokens.access_token, weatherCall)).status).toBe(200);
    await post2025(flow.tokens.access_token, [{ jsonrpc: "2.0", id: 1, method: "tools/list", params: {} }, weatherCall, { jsonrpc: "2.0", method: "notifications/cancelled", params: { requestId: 9 } }]);
    await post2025(flow.tokens.access_token, { jsonrpc: "2.0", id: 5, result: {} });
    expect(env.backendRequests.length).toBe(before + 3);
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
