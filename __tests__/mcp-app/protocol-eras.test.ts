/**
 * Both protocol eras at one endpoint (/mcp), on the wire: 2026-07-28 (per-request `_meta`, server/discover, the
 * MCP-Protocol-Version / Mcp-Method / Mcp-Name headers checked against the body, caching hints, resultType, removed
 * methods) and 2025-11-25 and older (the initialize handshake, served statelessly), in both response modes.
 */
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../mcp-app/config.js";
import { silentLogger } from "../../mcp-app/logging.js";
import { createApp } from "../../mcp-app/server.js";
import { MODERN_PROTOCOL_VERSION, modernMeta, postMcp, postModern, readJsonRpc } from "../../test-support/mcp-client.js";

const app = createApp(loadConfig({ MCP_AUTH: "off" }), { logger: silentLogger });
const WEATHER = { name: "get_weather", arguments: { city: "Lisbon" } };

type Answer = { id?: unknown; result?: Record<string, unknown> & { _meta?: Record<string, unknown> }; error?: { code: number; message: string; data?: unknown } };
const answer = async (response: Response) => (await readJsonRpc(response)) as Answer;

describe("2026-07-28 at /mcp", () => {
  it("server/discover: the supported revision, the tools capability, instructions, identity, and caching hints", async () => {
    const response = await postModern(app, { id: 1, method: "server/discover" });
    expect(response.status).toBe(200);
    const { result } = await answer(response);
    expect(result).toMatchObject({
      supportedVersions: [MODERN_PROTOCOL_VERSION],
      capabilities: { tools: { listChanged: false } },
      instructions: expect.stringContaining("get_forecast"),
      resultType: "complete",
      ttlMs: 3_600_000,
      cacheScope: "public",
      _meta: { "io.modelcontextprotocol/serverInfo": { name: "secure-remote-mcp", version: expect.any(String) } },
    });
  });

  it("tools/list carries the caching hints (private: the list depends on the caller's app roles) and resultType", async () => {
    const { result } = await answer(await postModern(app, { id: 2, method: "tools/list" }));
    expect(result).toMatchObject({ ttlMs: 300_000, cacheScope: "private", resultType: "complete" });
    expect((result!.tools as { name: string }[]).map((t) => t.name)).toEqual(["get_cities", "get_weather", "get_forecast", "whoami"]);
  });

  it("tools/call answers with resultType and the server's identity in _meta, in JSON by default", async () => {
    const response = await postModern(app, { id: 3, method: "tools/call", params: WEATHER });
    expect(response.headers.get("content-type")).toContain("application/json");
    const { id, result } = await answer(response);
    expect(id).toBe(3);
    expect(result).toMatchObject({ resultType: "complete", structuredContent: { city: "Lisbon" }, _meta: { "io.modelcontextprotocol/serverInfo": { name: "secure-remote-mcp" } } });
    expect(result).not.toHaveProperty("ttlMs");
  });

  it("serves a request whose _meta omits clientInfo (a SHOULD)", async () => {
    const meta = { ...modernMeta() };
    delete meta["io.modelcontextprotocol/clientInfo"];
    const body = JSON.stringify({ jsonrpc: "2.0", id: 4, method: "tools/list", params: { _meta: meta } });
    const response = await postMcp(app, body, { "mcp-protocol-version": MODERN_PROTOCOL_VERSION, "mcp-method": "tools/list" });
    expect(response.status).toBe(200);
  });

  it.each([
    ["Mcp-Method disagrees with the body", { "mcp-method": "tools/list" }, /Mcp-Method header names tools\/list/],
    ["Mcp-Name disagrees with the body", { "mcp-name": "whoami" }, /Mcp-Name header names "whoami"/],
    ["Mcp-Name missing", { "mcp-name": undefined }, /Mcp-Name/],
    ["Mcp-Method missing", { "mcp-method": undefined }, /Mcp-Method/],
    ["MCP-Protocol-Version missing", { "mcp-protocol-version": undefined }, /MCP-Protocol-Version/],
  ])("refuses a tools/call whose %s: HTTP 400, -32020, the request id, and nothing runs", async (_name, headers, message) => {
    const response = await postModern(app, { id: 5, method: "tools/call", params: WEATHER }, headers);
    expect(response.status).toBe(400);
    const { id, error } = await answer(response);
    expect(id).toBe(5);
    expect(error?.code).toBe(-32020);
    expect(error?.message).toMatch(message);
  });

  it("refuses a revision it does not serve: HTTP 400, -32022 with the supported revisions", async () => {
    const response = await postModern(app, { id: 6, method: "tools/list", params: { _meta: { "io.modelcontextprotocol/protocolVersion": "2099-01-01" } } }, { "mcp-protocol-version": "2099-01-01" });
    expect(response.status).toBe(400);
    expect(await answer(response)).toMatchObject({ id: 6, error: { code: -32022, data: { supported: [MODERN_PROTOCOL_VERSION], requested: "2099-01-01" } } });
  });

  it.each([
    ["_meta missing", { _meta: undefined }],
    ["clientCapabilities missing", { _meta: { "io.modelcontextprotocol/protocolVersion": MODERN_PROTOCOL_VERSION } }],
  ])("refuses a request with %s: HTTP 400, -32602", async (_name, params) => {
    const body = JSON.stringify({ jsonrpc: "2.0", id: 7, method: "tools/list", params: params._meta === undefined ? {} : params });
    const response = await postMcp(app, body, { "mcp-protocol-version": MODERN_PROTOCOL_VERSION, "mcp-method": "tools/list" });
    expect(response.status).toBe(400);
    expect(await answer(response)).toMatchObject({ error: { code: -32602 } });
  });

  it.each(["initialize", "ping", "logging/setLevel", "resources/subscribe"])("answers the removed method %s with HTTP 404 and -32601 for that id", async (method) => {
    const params = method === "logging/setLevel" ? { level: "info" } : method === "resources/subscribe" ? { uri: "x://y" } : {};
    const response = await postModern(app, { id: "r", method, params });
    expect(response.status).toBe(404);
    expect(await answer(response)).toEqual({ jsonrpc: "2.0", id: "r", error: { code: -32601, message: "Method not found" } });
  });

  it("answers malformed params with -32602 naming the field (the SDK alone would say -32603)", async () => {
    const response = await postModern(app, { id: 8, method: "tools/list", params: { cursor: 5 } });
    expect(await answer(response)).toMatchObject({ id: 8, error: { code: -32602, message: "Invalid params for tools/list: params.cursor: Invalid input: expected string, received number" } });
  });

  it("in SSE mode answers tools/call as an event stream", async () => {
    const sse = createApp(loadConfig({ MCP_AUTH: "off", MCP_RESPONSE_MODE: "sse" }), { logger: silentLogger });
    const response = await postModern(sse, { id: 9, method: "tools/call", params: WEATHER });
    expect(response.headers.get("content-type")).toContain("text/event-stream");
    expect(await answer(response)).toMatchObject({ id: 9, result: { resultType: "complete" } });
  });
});

describe("2025-11-25 and older at /mcp (stateless)", () => {
  const post = (body: unknown, headers: Record<string, string | undefined> = {}) => postMcp(app, JSON.stringify(body), headers);

  it.each(["2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05"])("initialize negotiates %s, with server info, the tools capability and no session", async (version) => {
    const response = await post(
      { jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: version, capabilities: {}, clientInfo: { name: "c", version: "1" } } },
      { "mcp-protocol-version": undefined },
    );
    expect(response.status).toBe(200);
    expect(response.headers.get("mcp-session-id")).toBeNull();
    expect(await answer(response)).toMatchObject({ id: 1, result: { protocolVersion: version, capabilities: { tools: { listChanged: false } }, serverInfo: { name: "secure-remote-mcp" } } });
  });

  it("answers a client asking for an unknown older revision with the latest 2025-era one", async () => {
    const response = await post({ jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2023-01-01", capabilities: {}, clientInfo: { name: "c", version: "1" } } }, { "mcp-protocol-version": undefined });
    expect(await answer(response)).toMatchObject({ result: { protocolVersion: "2025-11-25" } });
  });

  it("tools/list and tools/call carry no 2026-07-28 fields (resultType, caching hints, identity _meta)", async () => {
    const list = await answer(await post({ jsonrpc: "2.0", id: 2, method: "tools/list" }));
    expect(list.result).not.toHaveProperty("ttlMs");
    expect(list.result).not.toHaveProperty("cacheScope");
    expect(list.result).not.toHaveProperty("resultType");
    const call = await answer(await post({ jsonrpc: "2.0", id: 3, method: "tools/call", params: WEATHER }));
    expect(call.result).toMatchObject({ structuredContent: { city: "Lisbon" } });
    expect(call.result).not.toHaveProperty("resultType");
  });

  it("serves tools/call without a preceding initialize (stateless: every POST stands alone)", async () => {
    const response = await post({ jsonrpc: "2.0", id: 4, method: "tools/call", params: WEATHER });
    expect(response.status).toBe(200);
  });

  it("server/discover does not exist without the 2026-07-28 envelope: -32601", async () => {
    expect(await answer(await post({ jsonrpc: "2.0", id: 5, method: "server/discover" }))).toMatchObject({ id: 5, error: { code: -32601 } });
  });

  it("an initialize sent with a 2026-07-28 MCP-Protocol-Version header is refused as a header mismatch", async () => {
    const response = await post(
      { jsonrpc: "2.0", id: 6, method: "initialize", params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "c", version: "1" } } },
      { "mcp-protocol-version": MODERN_PROTOCOL_VERSION },
    );
    expect(response.status).toBe(400);
    expect(await answer(response)).toMatchObject({ error: { code: -32020 } });
  });

  it("in SSE mode answers as an event stream", async () => {
    const sse = createApp(loadConfig({ MCP_AUTH: "off", MCP_RESPONSE_MODE: "sse" }), { logger: silentLogger });
    const response = await postMcp(sse, JSON.stringify({ jsonrpc: "2.0", id: 7, method: "tools/call", params: WEATHER }));
    expect(response.headers.get("content-type")).toContain("text/event-stream");
    expect(await answer(response)).toMatchObject({ id: 7, result: { structuredContent: { city: "Lisbon" } } });
  });
});
