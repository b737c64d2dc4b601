/** JSON-RPC 2.0 error bodies for answers the HTTP layer gives before a message reaches the MCP server. */
import { specTypeSchemas } from "@modelcontextprotocol/server";

export const JSONRPC_PARSE_ERROR = -32700;
export const JSONRPC_INVALID_PARAMS = -32602;
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

interface Issue {
  readonly path?: readonly (PropertyKey | { readonly key: PropertyKey })[];
  readonly message: string;
}
type Validate = (value: unknown) => { readonly issues?: readonly Issue[] } | Promise<unknown>;

const TOOLS_SCHEMAS: readonly [string, Validate][] = [
  ["tools/list", specTypeSchemas.ListToolsRequest["~standard"].validate],
  ["tools/call", specTypeSchemas.CallToolRequest["~standard"].validate],
];

/**
 * Request schemas (the SDK's spec types) of the methods this server serves, per era, to answer bad params with -32602
 * naming the field: the SDK's generic dispatch answers -32603 Internal error for them (and dumps the raw issue list
 * for tools/call). The 2026-07-28 era has no initialize or ping (the SDK answers 404 for them).
 */
const REQUEST_SCHEMAS: Readonly<Record<"2025" | "2026", ReadonlyMap<string, Validate>>> = {
  "2025": new Map<string, Validate>([
    ["initialize", specTypeSchemas.InitializeRequest["~standard"].validate],
    ["ping", specTypeSchemas.PingRequest["~standard"].validate],
    ...TOOLS_SCHEMAS,
  ]),
  "2026": new Map<string, Validate>(TOOLS_SCHEMAS),
};

const isObject = (value: unknown) => typeof value === "object" && value !== null && !Array.isArray(value);

/**
 * The common shapes of the hot methods, checked by hand so that a well-formed call skips the schema (the SDK validates
 * it fully anyway; the schema only runs here to name what is wrong).
 */
function obviouslyValid(method: string, params: Record<string, unknown> | undefined): boolean {
  if (params !== undefined && params._meta !== undefined && !isObject(params._meta)) return false;
  if (method === "tools/call") return params !== undefined && typeof params.name === "string" && (params.arguments === undefined || isObject(params.arguments));
  if (method === "tools/list") return params === undefined || params.cursor === undefined || typeof params.cursor === "string";
  return false;
}

function pathOf(issue: Issue): string {
  return (issue.path ?? []).map((segment) => String(typeof segment === "object" ? segment.key : segment)).join(".") || "params";
}

/**
 * For a request to a method this server serves whose params do not fit the method's schema, the JSON-RPC error
 * response to send (-32602, naming the first bad field and what was expected); otherwise undefined.
 */
export function invalidParamsResponse(
  message: unknown,
  era: "2025" | "2026" = "2025",
): { jsonrpc: "2.0"; id: string | number; error: { code: number; message: string } } | undefined {
  if (typeof message !== "object" || message === null || Array.isArray(message)) return undefined;
  const request = message as { jsonrpc?: unknown; id?: unknown; method?: unknown; params?: unknown };
  if (request.jsonrpc !== "2.0" || typeof request.method !== "string" || (typeof request.id !== "string" && typeof request.id !== "number")) return undefined;
  // A request that is not JSON-RPC (params neither absent nor an object) is the SDK's to refuse (-32600).
  if (request.params !== undefined && (typeof request.params !== "object" || request.params === null || Array.isArray(request.params))) return undefined;
  const validate = REQUEST_SCHEMAS[era].get(request.method);
  if (validate === undefined || obviouslyValid(request.method, request.params as Record<string, unknown> | undefined)) return undefined;
  const result = validate(message);
  if (result instanceof Promise || result.issues === undefined || result.issues.length === 0) return undefined;
  const issue = result.issues[0]!;
  return {
    jsonrpc: "2.0",
    id: request.id,
    error: { code: JSONRPC_INVALID_PARAMS, message: `Invalid params for ${request.method}: ${pathOf(issue)}: ${issue.message}` },
  };
}
