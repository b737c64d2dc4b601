/** JSON-RPC 2.0 error bodies for answers the HTTP layer gives before a message reaches the MCP server. */
import {
  CallToolRequestSchema,
  InitializeRequestSchema,
  ListToolsRequestSchema,
  PingRequestSchema,
  isJSONRPCRequest,
  type JSONRPCMessage,
} from "@modelcontextprotocol/sdk/types.js";
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

export const JSONRPC_INVALID_PARAMS = -32602;

/** Request schemas of the methods this server implements, to answer bad params with -32602 (the SDK says -32603). */
const REQUEST_SCHEMAS = new Map<string, { safeParse(value: unknown): { success: true } | { success: false; error: { issues: readonly { path: readonly PropertyKey[]; message: string }[] } } }>([
  ["initialize", InitializeRequestSchema],
  ["ping", PingRequestSchema],
  ["tools/list", ListToolsRequestSchema],
  ["tools/call", CallToolRequestSchema],
]);

/**
 * For a request to a method this server implements whose params do not fit the method's schema, the JSON-RPC
 * error response to send (-32602, naming the first bad field and what was expected); otherwise undefined.
 */
export function invalidParamsResponse(message: JSONRPCMessage): { jsonrpc: "2.0"; id: string | number; error: { code: number; message: string } } | undefined {
  if (!isJSONRPCRequest(message)) return undefined;
  const schema = REQUEST_SCHEMAS.get(message.method);
  if (schema === undefined) return undefined;
  const result = schema.safeParse(message);
  if (result.success) return undefined;
  const issue = result.error.issues[0];
  const where = issue === undefined ? "params" : issue.path.map(String).join(".") || "params";
  return {
    jsonrpc: "2.0",
    id: message.id,
    error: { code: JSONRPC_INVALID_PARAMS, message: `Invalid params for ${message.method}: ${where}: ${issue?.message ?? "invalid"}` },
  };
}
