/** mcp-app/era.ts: the fast era decision agrees with the SDK's own predicate (isLegacyRequest) on every shape. */
import { describe, expect, it } from "vitest";
import { isLegacyRequest } from "@modelcontextprotocol/server";
import { fastEra, isLegacyEra } from "../../mcp-app/era.js";

const META = { "io.modelcontextprotocol/protocolVersion": "2026-07-28", "io.modelcontextprotocol/clientCapabilities": {} };

const BODIES: Record<string, unknown> = {
  "tools/call, no envelope": { jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "get_weather", arguments: {} } },
  "tools/call, envelope": { jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "get_weather", arguments: {}, _meta: META } },
  "tools/list, no params": { jsonrpc: "2.0", id: "a", method: "tools/list" },
  "tools/list, envelope": { jsonrpc: "2.0", id: "a", method: "tools/list", params: { _meta: META } },
  "envelope naming a 2025 version": { jsonrpc: "2.0", id: 1, method: "tools/list", params: { _meta: { ...META, "io.modelcontextprotocol/protocolVersion": "2025-11-25" } } },
  "envelope with a non-string version": { jsonrpc: "2.0", id: 1, method: "tools/list", params: { _meta: { "io.modelcontextprotocol/protocolVersion": 7 } } },
  "_meta without the claim": { jsonrpc: "2.0", id: 1, method: "tools/list", params: { _meta: { progressToken: 1 } } },
  "_meta not an object": { jsonrpc: "2.0", id: 1, method: "tools/list", params: { _meta: "x" } },
  "params an array": { jsonrpc: "2.0", id: 1, method: "tools/list", params: [META] },
  "server/discover, envelope": { jsonrpc: "2.0", id: 1, method: "server/discover", params: { _meta: META } },
  "server/discover, no envelope": { jsonrpc: "2.0", id: 1, method: "server/discover" },
  "ping, no envelope": { jsonrpc: "2.0", id: 1, method: "ping" },
  "notification": { jsonrpc: "2.0", method: "notifications/initialized" },
  "notification, envelope": { jsonrpc: "2.0", method: "notifications/cancelled", params: { requestId: 1, _meta: META } },
  "initialize": { jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "c", version: "1" } } },
  "initialize, envelope": { jsonrpc: "2.0", id: 1, method: "initialize", params: { _meta: META } },
  "result response": { jsonrpc: "2.0", id: 1, result: {} },
  "error response": { jsonrpc: "2.0", id: 1, error: { code: -1, message: "x" } },
  "request with a result too": { jsonrpc: "2.0", id: 1, method: "tools/list", result: {} },
  "batch": [{ jsonrpc: "2.0", id: 1, method: "ping" }],
  "batch with an envelope": [{ jsonrpc: "2.0", id: 1, method: "tools/list", params: { _meta: META } }],
  "id null": { jsonrpc: "2.0", id: null, method: "tools/list" },
  "not JSON-RPC": { hello: "world" },
};

const HEADERS: Record<string, string | undefined> = {
  none: undefined,
  "2025-11-25": "2025-11-25",
  "2026-07-28": "2026-07-28",
  "padded 2026": " \t2026-07-28 ",
  "future": "2027-01-01",
  "garbage": "1999-01-01",
  "empty": "",
};

function request(header: string | undefined): Request {
  return new Request("http://127.0.0.1/mcp", { method: "POST", headers: header === undefined ? {} : { "mcp-protocol-version": header }, body: "{}" });
}

describe("isLegacyEra", () => {
  for (const [bodyName, body] of Object.entries(BODIES)) {
    it.each(Object.entries(HEADERS))(`agrees with the SDK's isLegacyRequest: ${bodyName}, MCP-Protocol-Version %s`, async (_name, header) => {
      expect(await isLegacyEra(request(header), body)).toBe(await isLegacyRequest(request(header), body));
    });
  }

  it("agrees with the SDK on 600 random message shapes (fixed seed)", async () => {
    let seed = 2026;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const pick = <T>(values: readonly T[]): T => values[Math.floor(random() * values.length)]!;
    const absent = Symbol("absent");
    const metas = [absent, META, {}, { "io.modelcontextprotocol/protocolVersion": "2025-06-18" }, { "io.modelcontextprotocol/protocolVersion": null }, "m", [], null];
    for (let i = 0; i < 600; i++) {
      const body: Record<string, unknown> = {};
      const jsonrpc = pick<unknown>(["2.0", "2.0", "2.0", "1.0", absent]);
      if (jsonrpc !== absent) body.jsonrpc = jsonrpc;
      const id = pick<unknown>([1, "x", null, absent, absent, {}]);
      if (id !== absent) body.id = id;
      const method = pick<unknown>(["tools/call", "tools/list", "initialize", "server/discover", "notifications/x", 5, absent]);
      if (method !== absent) body.method = method;
      const meta = pick<unknown>(metas);
      const params = pick<unknown>(["object", "object", absent, "string", null]);
      if (params === "object") body.params = meta === absent ? { name: "a" } : { name: "a", _meta: meta };
      else if (params !== absent) body.params = params;
      if (random() < 0.1) body.result = {};
      const header = pick(Object.values(HEADERS));
      const shape = random() < 0.1 ? [body] : body;
      expect(await isLegacyEra(request(header), shape), `${JSON.stringify(shape)} with ${String(header)}`).toBe(await isLegacyRequest(request(header), shape));
    }
  });

  it("decides the common shapes itself and leaves the unusual ones to the SDK", () => {
    expect(fastEra(BODIES["tools/call, envelope"], "2026-07-28")).toBe(false);
    expect(fastEra(BODIES["tools/call, no envelope"], "2025-11-25")).toBe(true);
    expect(fastEra(BODIES["tools/call, no envelope"], undefined)).toBe(true);
    expect(fastEra(BODIES["tools/call, no envelope"], "2026-07-28")).toBe(false);
    for (const unusual of ["initialize", "result response", "batch", "id null", "not JSON-RPC", "request with a result too"]) {
      expect(fastEra(BODIES[unusual], "2025-11-25"), unusual).toBeUndefined();
    }
  });
});
