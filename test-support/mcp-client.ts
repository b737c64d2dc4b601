/**
 * Helpers to drive the MCP app from tests: a real SDK v2 Client over StreamableHTTPClientTransport, either against
 * an in-process Hono app (its fetch is app.request) or a listening server, in either protocol era, plus raw
 * JSON-RPC POST helpers for both eras.
 */
import { Client, StreamableHTTPClientTransport, type FetchLike } from "@modelcontextprotocol/client";

/** Minimal view of a Hono app (or anything answering web-standard requests). */
export interface FetchApp {
  fetch(request: Request): Response | Promise<Response>;
}

/** Request headers as a plain object, with the Host header a real HTTP client sends (from the URL). */
function withHost(url: string | URL, headers: HeadersInit | undefined): Headers {
  const merged = new Headers(headers);
  if (!merged.has("host")) merged.set("host", new URL(url).host);
  return merged;
}

/** A fetch that hands every request to `app` in-process (no sockets), with the Host header set as on the wire. */
export function inProcessFetch(app: FetchApp): FetchLike {
  return async (url, init) => app.fetch(new Request(url, { ...init, headers: withHost(url, init?.headers) }));
}

/**
 * How the SDK v2 client picks the protocol era: `legacy` (the 2025 `initialize` handshake, the SDK default), `auto`
 * (probe with `server/discover`, fall back to `initialize`), `modern` (pinned to 2026-07-28, never falls back).
 */
export type ClientEra = "legacy" | "auto" | "modern";

export const MODERN_PROTOCOL_VERSION = "2026-07-28";
export const LEGACY_PROTOCOL_VERSION = "2025-11-25";

export interface ConnectOptions {
  /** Bearer token sent on every request. */
  readonly token?: string;
  /** In-process app to call instead of the network. */
  readonly app?: FetchApp;
  /** @default "legacy" */
  readonly era?: ClientEra;
}

/** Connects a real MCP SDK v2 client to `url` (e.g. http://127.0.0.1/mcp). Close it with `client.close()`. */
export async function connectClient(url: string, options: ConnectOptions = {}): Promise<Client> {
  const transport = new StreamableHTTPClientTransport(new URL(url), {
    fetch: options.app ? inProcessFetch(options.app) : undefined,
    requestInit: options.token ? { headers: { Authorization: `Bearer ${options.token}` } } : undefined,
  });
  const era = options.era ?? "legacy";
  const client = new Client(
    { name: "mcp-app-tests", version: "1.0.0" },
    era === "legacy" ? {} : { versionNegotiation: { mode: era === "auto" ? "auto" : { pin: MODERN_PROTOCOL_VERSION } } },
  );
  await client.connect(transport);
  return client;
}

export const MCP_ACCEPT = "application/json, text/event-stream";

/** Posts a raw body to /mcp with 2025-era MCP headers (overridable; `undefined` removes one) and returns the Response. */
export function postMcp(
  app: FetchApp,
  body: string,
  headers: Readonly<Record<string, string | undefined>> = {},
  url = "http://127.0.0.1/mcp",
): Promise<Response> {
  const merged: Record<string, string> = {};
  for (const [name, value] of Object.entries({ host: new URL(url).host, "content-type": "application/json", accept: MCP_ACCEPT, "mcp-protocol-version": LEGACY_PROTOCOL_VERSION, ...headers })) {
    if (value !== undefined) merged[name] = value;
  }
  return Promise.resolve(app.fetch(new Request(url, { method: "POST", headers: merged, body })));
}

/** The per-request `_meta` envelope of a 2026-07-28 request. */
export function modernMeta(clientCapabilities: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    "io.modelcontextprotocol/protocolVersion": MODERN_PROTOCOL_VERSION,
    "io.modelcontextprotocol/clientInfo": { name: "mcp-app-tests", version: "1.0.0" },
    "io.modelcontextprotocol/clientCapabilities": clientCapabilities,
  };
}

/**
 * Posts a 2026-07-28 request: `params._meta` gets the envelope, and the `MCP-Protocol-Version`, `Mcp-Method` and
 * (for tools/call) `Mcp-Name` headers are derived from the body unless `headers` overrides them.
 */
export function postModern(
  app: FetchApp,
  message: { id?: string | number; method: string; params?: Record<string, unknown> },
  headers: Readonly<Record<string, string | undefined>> = {},
  url = "http://127.0.0.1/mcp",
): Promise<Response> {
  const params: Record<string, unknown> = { ...message.params, _meta: { ...modernMeta(), ...(message.params?._meta as Record<string, unknown> | undefined) } };
  const name = typeof params.name === "string" ? params.name : undefined;
  const body = JSON.stringify({ jsonrpc: "2.0", ...(message.id !== undefined ? { id: message.id } : {}), method: message.method, params });
  return postMcp(app, body, { "mcp-protocol-version": MODERN_PROTOCOL_VERSION, "mcp-method": message.method, ...(name !== undefined ? { "mcp-name": name } : {}), ...headers }, url);
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
