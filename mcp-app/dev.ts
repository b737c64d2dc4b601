/**
 * `npm run dev:mcp`: the server from source on loopback with authentication OFF (local development only; the
 * server refuses MCP_AUTH=off on any other interface). HOST and PORT may be overridden (default 127.0.0.1:8000).
 * Prints the URL and the MCP Inspector 2.x command lines (web UI and CLI, both protocol eras).
 */
import { ConfigError, loadConfig } from "./config.js";
import { startServer } from "./main.js";

try {
  const config = loadConfig({ ...process.env, MCP_AUTH: "off", HOST: process.env.HOST ?? "127.0.0.1", PORT: process.env.PORT ?? "8000" });
  const running = await startServer(config);
  const mcpUrl = `${running.url}/mcp`;
  process.stderr.write(
    [
      "",
      `MCP server (local development, auth OFF): ${mcpUrl}`,
      "Protocol revisions: 2026-07-28 (per-request _meta, server/discover) and 2025-11-25 and older (initialize).",
      "Try it with MCP Inspector 2.x (needs Node.js 22.19+); pick Legacy, Auto or Modern as Protocol Era in the server's Settings:",
      `  npx @modelcontextprotocol/inspector --transport http --server-url ${mcpUrl}`,
      "or its CLI, in either era:",
      `  npx @modelcontextprotocol/inspector --cli ${mcpUrl} --transport http --protocol-era modern --method tools/list`,
      `  npx @modelcontextprotocol/inspector --cli ${mcpUrl} --transport http --protocol-era legacy --method tools/call --tool-name get_weather --tool-arg city=Lisbon`,
      "Ctrl+C to stop.",
      "",
    ].join("\n"),
  );
  const stop = () => void running.close().then(() => process.exit(0));
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
} catch (error) {
  process.stderr.write(`${error instanceof ConfigError ? error.message : String(error)}\n`);
  process.exit(2);
}
