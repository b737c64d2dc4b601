/**
 * Raw MCP POSTs through the local gateway for attack tests, in either protocol era, with the bearer
 * token and headers the test chooses (no SDK: the test controls every byte), and the JSON-RPC answer
 * of a JSON or SSE reply.
 *
 *   await post2025(endpoint, token, [listCall, toolCall]);            // body only, a batch allowed
 *   await postModernCall(endpoint, token, toolCall, { "Mcp-Name": "other" });
 */
import { call, type Reply } from "./attack-client.js";
import { LEGACY_PROTOCOL_VERSION, MCP_ACCEPT, modernMeta, MODERN_PROTOCOL_VERSION } from "./mcp-client.js";

export interface ToolCallMessage {
  readonly jsonrpc: string;
  readonly id: number;
  readonly method: string;
  readonly params: { readonly name: string; readonly arguments: Record<string, unknown>; readonly _meta?: Record<string, unknown> };
}

/** A tools/call message of `tool` (2025 shape: no `_meta`). */
export function toolCall(tool: string, args: Record<string, unknown> = {}, id = 1): ToolCallMessage {
  return { jsonrpc: "2.0", id, method: "tools/call", params: { name: tool, arguments: args } };
}

/** A 2025-era POST: the body (an object, an array or raw text) and no Mcp-Method or Mcp-Name header unless `headers` adds one. */
export function post2025(endpoint: string, token: string, body: unknown, headers: Record<string, string> = {}): Promise<Reply> {
  return call("POST", endpoint, {
    body: typeof body === "string" ? body : JSON.stringify(body),
    headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json", Accept: MCP_ACCEPT, "MCP-Protocol-Version": LEGACY_PROTOCOL_VERSION, ...headers },
  });
}

/** A 2026-07-28 tools/call: the `_meta` envelope in the body, the standard headers derived from it (overridable by `headers`). */
export function postModernCall(endpoint: string, token: string, message: ToolCallMessage, headers: Record<string, string> = {}): Promise<Reply> {
  const body = { ...message, params: { ...message.params, _meta: { ...modernMeta(), ...message.params._meta } } };
  return call("POST", endpoint, {
    body: JSON.stringify(body),
    headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json", Accept: MCP_ACCEPT, "MCP-Protocol-Version": MODERN_PROTOCOL_VERSION, "Mcp-Method": message.method, "Mcp-Name": message.params.name, ...headers },
  });
}

/** The JSON-RPC answer of a JSON or SSE reply. */
export function rpcOf(reply: Reply): { result?: { content?: { text?: string }[]; isError?: boolean }; error?: { code: number; message: string; data?: Record<string, unknown> } } {
  const data = reply.headers.get("content-type")?.startsWith("text/event-stream") ? reply.text.split("\n").find((l) => l.startsWith("data: "))!.slice(6) : reply.text;
  return JSON.parse(data) as ReturnType<typeof rpcOf>;
}
