/**
 * Helpers to drive the MCP app from tests: a real SDK Client over StreamableHTTPClientTransport, either against
 * an in-process Hono app (its fetch is app.request) or a listening server, plus a raw JSON-RPC POST helper.
 */
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { FetchLike } from "@modelcontextprotocol/sdk/shared/transport.js";

/** Minimal view of a Hono app (or anything answering web-standard requests). */
export interface FetchApp {
  fetch(request: Request): Response | Promise<Response>;
}

/** A fetch that hands every request to `app` in-process (no sockets). */
export function inProcessFetch(app: FetchApp): FetchLike {
  return async (url, init) => app.fetch(new Request(url, init));
}

export interface ConnectOptions {
  /** Bearer token sent on every request. */
  readonly token?: string;
  /** In-process app to call instead of the network. */
  readonly app?: FetchApp;
}

/** Connects a real MCP SDK client to `url` (e.g. http://127.0.0.1/mcp). Close it with `client.close()`. */
export async function connectClient(url: string, options: ConnectOptions = {}): Promise<Client> {
  const transport = new StreamableHTTPClientTransport(new URL(url), {
    fetch: options.app ? inProcessFetch(options.app) : undefined,
    requestInit: options.token ? { headers: { Authorization: `Bearer ${options.token}` } } : undefined,
  });
  const client = new Client({ name: "mcp-app-tests", version: "1.0.0" });
  await client.connect(transport);
  return client;
}

export const MCP_ACCEPT = "application/json, text/event-stream";

/** Posts a raw body to /mcp with MCP-ish headers (overridable) and returns the Response. */
export function postMcp(
  app: FetchApp,
  body: string,
  headers: Readonly<Record<string, string | undefined>> = {},
  url = "http://127.0.0.1/mcp",
): Promise<Response> {
  const merged: Record<string, string> = {};
  for (const [name, value] of Object.entries({ "content-type": "application/json", accept: MCP_ACCEPT, "mcp-protocol-version": "2025-11-25", ...headers })) {
    if (value !== undefined) merged[name] = value;
  }
  return Promise.resolve(app.fetch(new Request(url, { method: "POST", headers: merged, body })));
}

/** Reads a JSON-RPC answer from a JSON or SSE response (the first `data:` event). */
export async function readJsonRpc(response: Response): Promise<unknown> {
  const text = await response.text();
  if ((response.headers.get("content-type") ?? "").startsWith("text/event-stream")) {
    const data = text.split("\n").find((line) => line.startsWith("data: "));
    if (data === undefined) throw new Error(`no data event in SSE response: ${text.slice(0, 200)}`);
    return JSON.parse(data.slice("data: ".length));
  }
  return JSON.parse(text);
}
