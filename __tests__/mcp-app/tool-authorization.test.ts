/**
 * Per-tool authorization in the server (defense in depth behind the gateway), from the one table of
 * mcp-app/tool-scopes.ts: a tool's delegated scope (403 insufficient_scope step-up challenge naming every scope the
 * call needs, before anything runs) and a tool's Entra app role (absent from tools/list, calls refused), in both
 * protocol eras, with Entra-shaped tokens with and without the scope and the role.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as z from "zod";
import { InsufficientScopeError } from "@modelcontextprotocol/client";
import { loadConfig } from "../../mcp-app/config.js";
import { silentLogger } from "../../mcp-app/logging.js";
import { callTool, compileCatalog, listToolsFor, scopeChallengeFor } from "../../mcp-app/mcp-server.js";
import { createApp } from "../../mcp-app/server.js";
import { TOOL_SCOPES } from "../../mcp-app/tool-scopes.js";
import type { ToolAccess } from "../../vocabulary/tool-access.js";
import { tools } from "../../mcp-app/tools/index.js";
import { defineTool, type Caller } from "../../mcp-app/tools/tool.js";
import { startEntraStandIn, type EntraStandIn } from "../../local/entra/stand-in.js";
import { connectClient, postMcp, postModern, readJsonRpc, type ClientEra } from "../../test-support/mcp-client.js";

const FORECAST_CALL = { name: "get_forecast", arguments: { city: "Lisbon", days: 3 } };
const STEP_UP = 'Bearer error="insufficient_scope", scope="user_impersonate forecast.read"';

/** A tool that needs an app role (the sample's tools need none), to test role gating with the real server. */
const auditLog = defineTool({
  name: "audit_log",
  title: "Audit log",
  description: "Recent sign-ins (needs the Weather.Auditor app role)",
  annotations: { readOnlyHint: true, openWorldHint: false },
  inputSchema: z.object({}),
  outputSchema: z.object({ entries: z.number() }),
  run: () => ({ structured: { entries: 3 } }),
});
const ROLE_ACCESS: readonly ToolAccess[] = [...TOOL_SCOPES, { tool: "audit_log", appRole: "Weather.Auditor" }];
const roleCatalog = compileCatalog([...tools, auditLog], { access: ROLE_ACCESS });

type Era = "2025" | "2026";
const ERAS: readonly Era[] = ["2025", "2026"];

function post(app: ReturnType<typeof createApp>, era: Era, method: string, params: Record<string, unknown>, token: string, headers: Record<string, string> = {}) {
  const authorization = `Bearer ${token}`;
  return era === "2026"
    ? postModern(app, { id: 9, method, params }, { authorization, ...headers })
    : postMcp(app, JSON.stringify({ jsonrpc: "2.0", id: 9, method, params }), { authorization, ...headers });
}

describe("per-tool scopes and app roles at the server", () => {
  let entra: EntraStandIn;
  let app: ReturnType<typeof createApp>;
  let roleApp: ReturnType<typeof createApp>;
  let baseOnly: string;
  let withForecast: string;
  let auditor: string;

  beforeAll(async () => {
    entra = await startEntraStandIn();
    app = createApp(loadConfig({ ...entra.env }), { logger: silentLogger });
    roleApp = createApp(loadConfig({ ...entra.env }), { logger: silentLogger, catalog: roleCatalog });
    baseOnly = await entra.mint();
    withForecast = await entra.mint({ claims: { scp: "user_impersonate forecast.read" } });
    auditor = await entra.mint({ claims: { roles: ["Weather.Auditor", "Something.Else"] } });
  });
  afterAll(async () => entra.close());

  describe.each(ERAS)("%s era", (era) => {
    it("refuses get_forecast without forecast.read: 403 with the step-up challenge naming every scope the call needs", async () => {
      const response = await post(app, era, "tools/call", FORECAST_CALL, baseOnly);
      expect(response.status).toBe(403);
      expect(response.headers.get("www-authenticate")).toBe(STEP_UP);
      expect(await response.json()).toEqual({ jsonrpc: "2.0", error: { code: -32001, message: "Forbidden" }, id: null });
    });

    it("serves get_forecast with forecast.read", async () => {
      const response = await post(app, era, "tools/call", FORECAST_CALL, withForecast);
      expect(response.status).toBe(200);
      expect(await readJsonRpc(response)).toMatchObject({ id: 9, result: { structuredContent: { city: "Lisbon", days: expect.any(Array) } } });
    });

    it("lists get_forecast for a token without its scope (so that the client can step up), and serves the base-scope tools", async () => {
      const list = (await readJsonRpc(await post(app, era, "tools/list", {}, baseOnly))) as { result: { tools: { name: string }[] } };
      expect(list.result.tools.map((t) => t.name)).toEqual(["get_cities", "get_weather", "get_forecast", "whoami"]);
      const weather = await post(app, era, "tools/call", { name: "get_weather", arguments: { city: "Porto" } }, baseOnly);
      expect(weather.status).toBe(200);
    });

    it("hides a tool whose app role the caller lacks, and refuses its calls naming the role", async () => {
      const list = (await readJsonRpc(await post(roleApp, era, "tools/list", {}, baseOnly))) as { result: { tools: { name: string }[] } };
      expect(list.result.tools.map((t) => t.name)).not.toContain("audit_log");
      const call = (await readJsonRpc(await post(roleApp, era, "tools/call", { name: "audit_log", arguments: {} }, baseOnly))) as { error: { code: number; message: string } };
      expect(call.error).toEqual({ code: -32602, message: 'Tool "audit_log" is not available to this caller: it requires the app role "Weather.Auditor"' });
    });

    it("lists and serves the tool for a caller with the app role", async () => {
      const list = (await readJsonRpc(await post(roleApp, era, "tools/list", {}, auditor))) as { result: { tools: { name: string }[] } };
      expect(list.result.tools.map((t) => t.name)).toEqual(["get_cities", "get_weather", "get_forecast", "whoami", "audit_log"]);
      const call = await readJsonRpc(await post(roleApp, era, "tools/call", { name: "audit_log", arguments: {} }, auditor));
      expect(call).toMatchObject({ result: { structuredContent: { entries: 3 } } });
      const me = (await readJsonRpc(await post(roleApp, era, "tools/call", { name: "whoami", arguments: {} }, auditor))) as { result: { structuredContent: { roles: string[] } } };
      expect(me.result.structuredContent.roles).toEqual(["Weather.Auditor", "Something.Else"]);
    });
  });

  it("2026-07-28: the body decides, whatever Mcp-Name says: a header naming an allowed tool does not let a scoped call through", async () => {
    const response = await postModern(app, { id: 3, method: "tools/call", params: FORECAST_CALL }, { authorization: `Bearer ${baseOnly}`, "mcp-name": "get_weather" });
    expect(response.status).toBe(403);
    expect(response.headers.get("www-authenticate")).toBe(STEP_UP);
  });

  it("2026-07-28: with the scope, a header that disagrees with the body is refused by the SDK (-32020, 400) and nothing runs", async () => {
    const response = await postModern(app, { id: 4, method: "tools/call", params: FORECAST_CALL }, { authorization: `Bearer ${withForecast}`, "mcp-name": "get_weather" });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ id: 4, error: { code: -32020, message: expect.stringContaining('Mcp-Name header names "get_weather"') } });
  });

  it("2025-03-26 batch: one scoped call in a batch refuses the whole batch", async () => {
    const batch = [
      { jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "get_weather", arguments: { city: "Porto" } } },
      { jsonrpc: "2.0", id: 2, method: "tools/call", params: FORECAST_CALL },
    ];
    const response = await postMcp(app, JSON.stringify(batch), { authorization: `Bearer ${baseOnly}`, "mcp-protocol-version": "2025-03-26" });
    expect(response.status).toBe(403);
    expect(response.headers.get("www-authenticate")).toBe(STEP_UP);
  });

  it("names the configured base scope (MCP_REQUIRED_SCOPE) in the challenge", async () => {
    const custom = createApp(loadConfig({ ...entra.env, MCP_REQUIRED_SCOPE: "mcp.access" }), { logger: silentLogger });
    const token = await entra.mint({ claims: { scp: "mcp.access" } });
    const response = await postMcp(custom, JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/call", params: FORECAST_CALL }), { authorization: `Bearer ${token}` });
    expect(response.status).toBe(403);
    expect(response.headers.get("www-authenticate")).toBe('Bearer error="insufficient_scope", scope="mcp.access forecast.read"');
  });

  it.each<ClientEra>(["legacy", "modern"])("the SDK v2 client (%s) sees the step-up challenge as InsufficientScopeError with the scopes, and calls with the scope", async (clientEra) => {
    const client = await connectClient("http://127.0.0.1/mcp", { app, token: baseOnly, era: clientEra });
    try {
      const error: unknown = await client.callTool(FORECAST_CALL).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InsufficientScopeError);
      expect((error as InsufficientScopeError).requiredScope).toBe("user_impersonate forecast.read");
    } finally {
      await client.close();
    }
    const stepped = await connectClient("http://127.0.0.1/mcp", { app, token: withForecast, era: clientEra });
    try {
      expect((await stepped.callTool(FORECAST_CALL)).structuredContent).toMatchObject({ city: "Lisbon" });
    } finally {
      await stepped.close();
    }
  });

  it("local mode (authentication off): every tool is listed and callable", async () => {
    const local = createApp(loadConfig({ MCP_AUTH: "off" }), { logger: silentLogger, catalog: roleCatalog });
    const list = (await readJsonRpc(await postMcp(local, JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" })))) as { result: { tools: { name: string }[] } };
    expect(list.result.tools).toHaveLength(5);
    const forecast = await postMcp(local, JSON.stringify({ jsonrpc: "2.0", id: 2, method: "tools/call", params: FORECAST_CALL }));
    expect(forecast.status).toBe(200);
  });
});

describe("catalog authorization helpers (mcp-server.ts)", () => {
  const entra = (scopes: string[], roles: string[] = []): Caller => ({ kind: "entra", scopes, roles });

  it("scopeChallengeFor: the full scope list when one is missing; nothing for an unknown tool or an anonymous caller", () => {
    const catalog = compileCatalog(tools);
    expect(scopeChallengeFor(catalog, "get_forecast", entra(["user_impersonate"]))).toEqual(["user_impersonate", "forecast.read"]);
    expect(scopeChallengeFor(catalog, "get_forecast", entra(["forecast.read"]))).toEqual(["user_impersonate", "forecast.read"]);
    expect(scopeChallengeFor(catalog, "get_forecast", entra(["user_impersonate", "forecast.read"]))).toBeUndefined();
    expect(scopeChallengeFor(catalog, "get_weather", entra(["user_impersonate"]))).toBeUndefined();
    expect(scopeChallengeFor(catalog, "no_such_tool", entra([]))).toBeUndefined();
    expect(scopeChallengeFor(catalog, "get_forecast", { kind: "anonymous" })).toBeUndefined();
  });

  it("callTool refuses a scoped tool without its scope even when the HTTP layer did not (defense in depth)", async () => {
    await expect(callTool(compileCatalog(tools), "get_forecast", { city: "Lisbon", days: 1 }, { caller: entra(["user_impersonate"]) })).rejects.toMatchObject({
      code: -32602,
      message: 'Tool "get_forecast" needs the delegated scopes user_impersonate forecast.read; the token lacks forecast.read',
    });
  });

  it("listToolsFor keeps one answer per set of catalog roles held, ignoring roles no tool needs", () => {
    const a = listToolsFor(roleCatalog, entra(["user_impersonate"], ["Weather.Auditor"]));
    const b = listToolsFor(roleCatalog, entra(["user_impersonate"], ["Other", "Weather.Auditor"]));
    expect(b).toBe(a);
    expect(listToolsFor(roleCatalog, entra(["user_impersonate"], ["Other"]))).toBe(listToolsFor(roleCatalog, entra([], [])));
    expect(roleCatalog.listByRoles.size).toBe(2);
  });

  it("an unknown tool's error lists only the tools the caller may see", async () => {
    await expect(callTool(roleCatalog, "nope", {}, { caller: entra(["user_impersonate"]) })).rejects.toMatchObject({
      message: 'Unknown tool "nope": expected one of get_cities, get_weather, get_forecast, whoami',
    });
  });
});
