import { describe, expect, it } from "vitest";
import * as z from "zod";
import { loadConfig } from "../../mcp-app/config.js";
import { silentLogger } from "../../mcp-app/logging.js";
import { startServer } from "../../mcp-app/main.js";
import { compileCatalog } from "../../mcp-app/mcp-server.js";
import { defineTool } from "../../mcp-app/tools/tool.js";
import { tools } from "../../mcp-app/tools/index.js";
import { TOOL_SCOPES } from "../../mcp-app/tool-scopes.js";

/** A tool that answers when the test says so (`finish`), and tells the test when it has started (`started`). */
function slowTool() {
  let start!: () => void;
  let finish!: () => void;
  const started = new Promise<void>((resolve) => (start = resolve));
  const finished = new Promise<void>((resolve) => (finish = resolve));
  const tool = defineTool({
    name: "slow",
    title: "Slow",
    description: "Answers when the test lets it",
    annotations: { readOnlyHint: true, openWorldHint: false },
    inputSchema: z.object({}),
    outputSchema: z.object({ done: z.boolean() }),
    run: async () => {
      start();
      await finished;
      return { structured: { done: true } };
    },
  });
  return { tool, started, finish };
}

describe("startServer", () => {
  it("listens on the configured loopback host and a free port (PORT=0)", async () => {
    const running = await startServer(loadConfig({ MCP_AUTH: "off", PORT: "0" }), silentLogger);
    try {
      expect(running.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(running.port).toBeGreaterThan(0);
      expect((await fetch(`${running.url}/healthz`)).status).toBe(200);
    } finally {
      await running.close();
    }
  });

  it("shuts down gracefully: an in-flight call completes, then new connections are refused", async () => {
    const slow = slowTool();
    const running = await startServer(loadConfig({ MCP_AUTH: "off", PORT: "0" }), silentLogger, { catalog: compileCatalog([...tools, slow.tool], { access: [...TOOL_SCOPES, { tool: "slow" }] }) });
    const inFlight = fetch(`${running.url}/mcp`, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json, text/event-stream" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "slow", arguments: {} } }),
    });
    // Close while the call is running for sure (not after a guessed delay), then let it finish.
    await slow.started;
    const closed = running.close();
    slow.finish();
    const response = await inFlight;
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ id: 1, result: { structuredContent: { done: true } } });
    await closed;
    await expect(fetch(`${running.url}/healthz`)).rejects.toThrow();
  });

  it("over real HTTP: bounds request bodies (declared and streamed) and reads multi-byte text", async () => {
    const running = await startServer(loadConfig({ MCP_AUTH: "off", PORT: "0", MCP_BODY_LIMIT_BYTES: "2048" }), silentLogger);
    const post = (body: BodyInit, extra: RequestInit = {}) =>
      fetch(`${running.url}/mcp`, { method: "POST", headers: { "content-type": "application/json", accept: "application/json, text/event-stream" }, body, ...extra });
    try {
      const declared = await post(JSON.stringify({ jsonrpc: "2.0", id: 1, method: "ping", params: { pad: "x".repeat(3000) } }));
      expect(declared.status).toBe(413);
      const chunks = Array.from({ length: 5 }, () => new TextEncoder().encode(" ".repeat(1000)));
      const streamed = await post(
        new ReadableStream<Uint8Array>({
          pull(controller) {
            const next = chunks.shift();
            if (next) controller.enqueue(next);
            else controller.close();
          },
        }),
        { duplex: "half" } as RequestInit,
      );
      expect(streamed.status).toBe(413);
      const multiByte = await post(JSON.stringify({ jsonrpc: "2.0", id: 2, method: "tools/call", params: { name: "get_weather", arguments: { city: "Zürich ☀" } } }));
      expect(await multiByte.json()).toMatchObject({ id: 2, result: { structuredContent: { city: "Zürich ☀" } } });
      const broken = await post("{not json");
      expect(broken.status).toBe(400);
    } finally {
      await running.close();
    }
  });

  it("fails to serve without authentication on a non-loopback host, even with a hand-built config", async () => {
    const config = { ...loadConfig({ MCP_AUTH: "off", PORT: "0" }), host: "0.0.0.0" };
    await expect(startServer(config, silentLogger)).rejects.toThrow('Refusing to serve without authentication on "0.0.0.0"');
  });

  it("fails to start when the port is taken, with the reason", async () => {
    const first = await startServer(loadConfig({ MCP_AUTH: "off", PORT: "0" }), silentLogger);
    try {
      await expect(startServer(loadConfig({ MCP_AUTH: "off", PORT: String(first.port) }), silentLogger)).rejects.toThrow(/EADDRINUSE/);
    } finally {
      await first.close();
    }
  });
});
