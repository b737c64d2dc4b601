/** JSON-RPC 2.0 error bodies for answers the HTTP layer gives before a message reaches the MCP server. */
export const JSONRPC_PARSE_ERROR = -32700;
export const JSONRPC_INVALID_REQUEST = -32600;
/** Implementation-defined server error (transport-level refusals: 4xx without a more specific code). */
export const JSONRPC_SERVER_ERROR = -32000;

export interface JsonRpcErrorBody {
  jsonrpc: "2.0";
  error: { code: number; message: string };
  id: null;
}

export function jsonRpcErrorBody(code: number, message: string): JsonRpcErrorBody {
  return { jsonrpc: "2.0", error: { code, message }, id: null };
}
