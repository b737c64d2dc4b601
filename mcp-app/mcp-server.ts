/**
 * The MCP protocol side of the server: a tool catalog compiled ONCE at module load (JSON Schemas, the `tools/list`
 * answers, name lookup, who may call what), and a factory for the cheap per-request MCP server (SDK v2's low-level
 * `Server`) that serves exactly one HTTP request in either protocol era (see server.ts): no server is ever shared
 * between requests or callers.
 *
 * Why not the SDK's `McpServer` per request: it registers every tool and converts every zod schema to JSON Schema
 * again for each request, which is most of a request's cost (`npm run bench:mcp` measures it side by side). Here the
 * list is precomputed, one JSON Schema validator is shared (it holds no per-client state), and a request only wires
 * two handlers to the catalog.
 *
 * Authorization per tool (../tool-scopes.ts): a tool whose app role the caller lacks is absent from `tools/list` and
 * refused; a tool whose scope the caller lacks is listed (so that a client can step up) and refused, normally already
 * at the HTTP layer with a `403 insufficient_scope` challenge (server.ts, {@link scopeChallengeFor}). In local mode
 * (authentication off) the caller is anonymous and every tool is available.
 */
import * as z from "zod";
import { ProtocolError, ProtocolErrorCode, Server, type CallToolResult, type CacheHint, type ListToolsResult, type Tool } from "@modelcontextprotocol/server";
import { AjvJsonSchemaValidator } from "@modelcontextprotocol/server/validators/ajv";
import { TOOL_SCOPES } from "./tool-scopes.js";
import { requiredScopesOf, type ToolAccess } from "../vocabulary/tool-access.js";
import { toCallToolResult, type Caller, type ToolContext, type ToolDefinition } from "./tools/tool.js";

export const SERVER_INFO = Object.freeze({ name: "secure-remote-mcp", title: "Weather MCP server (Entra-protected)", version: "0.2.0" });

export const INSTRUCTIONS =
  "Weather tools: call get_cities(country) to find cities, then get_weather(city) or get_forecast(city, days). whoami shows the signed-in caller.";

/**
 * Caching hints of the 2026-07-28 revision (`ttlMs`, `cacheScope`); 2025-era answers never carry them. The tool
 * list depends on the caller's app roles, so only the caller may cache it; the discovery answer is the same for
 * everyone. Both change only with a deployment.
 */
export const CACHE_HINTS: Readonly<Record<"tools/list" | "server/discover", CacheHint>> = Object.freeze({
  "tools/list": Object.freeze({ ttlMs: 300_000, cacheScope: "private" as const }),
  "server/discover": Object.freeze({ ttlMs: 3_600_000, cacheScope: "public" as const }),
});

/** Most members/elements accepted in one tool's arguments (a cheap guard before schema validation). */
const MAX_ARGUMENT_ELEMENTS = 1_000;

interface CompiledTool {
  readonly definition: ToolDefinition;
  readonly access: ToolAccess;
  readonly listed: Tool;
  readonly text: (structured: unknown) => string;
}

/** A compiled, immutable tool catalog: build once, serve many requests. */
export interface ToolCatalog {
  readonly byName: ReadonlyMap<string, CompiledTool>;
  /** The base scope every call needs; the tools' own scopes come on top (see ../tool-scopes.ts). */
  readonly baseScope: string;
  /** `tools/list` for a caller with none of the catalog's app roles (and, in local mode, for everyone). */
  readonly listAll: ListToolsResult;
  /** `tools/list` answers by the set of catalog app roles a caller has (a bounded cache: roles come from the table). */
  readonly listByRoles: Map<string, ListToolsResult>;
  /** App roles any tool of the catalog requires. */
  readonly appRoles: ReadonlySet<string>;
}

export interface CompileCatalogOptions {
  /** Who may call which tool. @default TOOL_SCOPES of ../tool-scopes.ts */
  readonly access?: readonly ToolAccess[];
  /** @default "user_impersonate" (the server's MCP_REQUIRED_SCOPE decides at run time, see server.ts) */
  readonly baseScope?: string;
}

function jsonSchemaOf(schema: z.ZodObject, io: "input" | "output"): Tool["inputSchema"] {
  const json = z.toJSONSchema(schema, { target: "draft-7", io }) as Record<string, unknown>;
  delete json.$schema;
  return json as Tool["inputSchema"];
}

/**
 * Compiles tool definitions into a catalog. Throws on duplicate names and on a tool without an access rule or a rule
 * without a tool (programming errors: the access table and the tools must agree).
 */
export function compileCatalog(definitions: readonly ToolDefinition[], options: CompileCatalogOptions = {}): ToolCatalog {
  const accessTable = options.access ?? TOOL_SCOPES;
  const byName = new Map<string, CompiledTool>();
  for (const definition of definitions) {
    if (byName.has(definition.name)) {
      throw new Error(`Tool name ${JSON.stringify(definition.name)} is defined twice: tool names must be unique.`);
    }
    const access = accessTable.find((entry) => entry.tool === definition.name);
    if (access === undefined) {
      throw new Error(`Tool ${JSON.stringify(definition.name)} has no access rule: add { tool: ${JSON.stringify(definition.name)} } to the tool scope table (mcp-app/tool-scopes.ts).`);
    }
    const text = definition.text ? (structured: unknown) => definition.text!(structured as never) : (structured: unknown) => JSON.stringify(structured);
    const listed: Tool = deepFreeze({
      name: definition.name,
      title: definition.title,
      description: definition.description,
      inputSchema: jsonSchemaOf(definition.inputSchema, "input"),
      outputSchema: jsonSchemaOf(definition.outputSchema, "output") as Tool["outputSchema"],
      annotations: { title: definition.title, ...definition.annotations },
    });
    byName.set(definition.name, { definition, access, listed, text });
  }
  const orphans = accessTable.filter((entry) => !byName.has(entry.tool)).map((entry) => JSON.stringify(entry.tool));
  if (orphans.length > 0) {
    throw new Error(`The tool scope table names ${orphans.join(", ")}, which no tool definition has: remove the entry or add the tool.`);
  }
  const appRoles = new Set([...byName.values()].flatMap((tool) => (tool.access.appRole === undefined ? [] : [tool.access.appRole])));
  const catalog: ToolCatalog = {
    byName,
    baseScope: options.baseScope ?? "user_impersonate",
    listAll: deepFreeze({ tools: [...byName.values()].map((tool) => tool.listed) }),
    listByRoles: new Map(),
    appRoles,
  };
  return catalog;
}

/** The same catalog with another base scope (the server's configured MCP_REQUIRED_SCOPE). */
export function withBaseScope(catalog: ToolCatalog, baseScope: string): ToolCatalog {
  return catalog.baseScope === baseScope ? catalog : { ...catalog, baseScope, listByRoles: new Map() };
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === "object" && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

function hasRole(caller: Caller, role: string | undefined): boolean {
  return role === undefined || caller.kind === "anonymous" || caller.roles.includes(role);
}

/** The `tools/list` answer for `caller`: every tool, minus those whose app role the caller lacks. */
export function listToolsFor(catalog: ToolCatalog, caller: Caller): ListToolsResult {
  if (catalog.appRoles.size === 0 || caller.kind === "anonymous") return catalog.listAll;
  const held = [...catalog.appRoles].filter((role) => caller.roles.includes(role)).sort();
  const key = held.join(" ");
  let answer = catalog.listByRoles.get(key);
  if (answer === undefined) {
    answer = deepFreeze({ tools: [...catalog.byName.values()].filter((tool) => hasRole(caller, tool.access.appRole)).map((tool) => tool.listed) });
    catalog.listByRoles.set(key, answer);
  }
  return answer;
}

/**
 * The scopes to name in a `403 insufficient_scope` challenge when `caller` calls `toolName` without all of them
 * (every scope the call needs, the base scope first); undefined when the caller has them, the tool is unknown (the
 * MCP layer answers that) or authentication is off.
 */
export function scopeChallengeFor(catalog: ToolCatalog, toolName: string, caller: Caller): readonly string[] | undefined {
  if (caller.kind === "anonymous") return undefined;
  const tool = catalog.byName.get(toolName);
  if (tool === undefined) return undefined;
  const required = requiredScopesOf(tool.access, catalog.baseScope);
  return required.every((scope) => caller.scopes.includes(scope)) ? undefined : required;
}

function countElements(value: unknown, max: number): number {
  let count = 0;
  const stack: unknown[] = [value];
  while (stack.length > 0 && count <= max) {
    const node = stack.pop();
    if (node === null || typeof node !== "object") continue;
    for (const child of Object.values(node)) {
      count++;
      if (child !== null && typeof child === "object") stack.push(child);
    }
  }
  return count;
}

function describeIssues(error: z.ZodError): string {
  return error.issues.map((issue) => `${issue.path.length > 0 ? issue.path.join(".") : "arguments"}: ${issue.message}`).join("; ");
}

/**
 * Runs one `tools/call`. Protocol errors (JSON-RPC -32602) for an unknown tool, a tool the caller's app roles exclude
 * and a tool whose scopes the caller lacks; tool execution errors (`isError: true`, readable by the model) for
 * arguments that fail the tool's schema, so that a model can correct itself.
 */
export async function callTool(catalog: ToolCatalog, name: string, args: unknown, context: ToolContext): Promise<CallToolResult> {
  const tool = catalog.byName.get(name);
  const caller = context.caller;
  if (tool === undefined || !hasRole(caller, tool.access.appRole)) {
    if (tool !== undefined) {
      throw new ProtocolError(ProtocolErrorCode.InvalidParams, `Tool ${JSON.stringify(name)} is not available to this caller: it requires the app role ${JSON.stringify(tool.access.appRole)}`);
    }
    const known = listToolsFor(catalog, caller).tools.map((t) => t.name);
    throw new ProtocolError(ProtocolErrorCode.InvalidParams, `Unknown tool ${JSON.stringify(name)}: expected one of ${known.join(", ")}`);
  }
  const missing = scopeChallengeFor(catalog, name, caller);
  if (missing !== undefined) {
    throw new ProtocolError(ProtocolErrorCode.InvalidParams, `Tool ${JSON.stringify(name)} needs the delegated scopes ${missing.join(" ")}; the token lacks ${missing.filter((s) => caller.kind === "entra" && !caller.scopes.includes(s)).join(" ")}`);
  }
  if (countElements(args, MAX_ARGUMENT_ELEMENTS) > MAX_ARGUMENT_ELEMENTS) {
    throw new ProtocolError(ProtocolErrorCode.InvalidParams, `Arguments of ${name} have more than ${MAX_ARGUMENT_ELEMENTS} elements`);
  }
  const parsed = tool.definition.inputSchema.safeParse(args ?? {});
  if (!parsed.success) {
    return { content: [{ type: "text", text: `Invalid arguments for tool ${name}: ${describeIssues(parsed.error)}` }], isError: true };
  }
  const outcome = await tool.definition.run(parsed.data, context);
  if ("structured" in outcome) {
    const checked = tool.definition.outputSchema.safeParse(outcome.structured);
    if (!checked.success) {
      // A bug in the tool, not the caller's fault: a protocol-level internal error without internals.
      throw new ProtocolError(ProtocolErrorCode.InternalError, `Tool ${name} produced a result that does not match its output schema`);
    }
  }
  return toCallToolResult(outcome, tool.text);
}

/** One validator for the whole process: it caches compiled schemas and holds no per-client state. */
const sharedValidator = new AjvJsonSchemaValidator();

/**
 * A fresh MCP server for ONE request, of either era (the serving entry binds the era). Cheap: it only wires two
 * handlers to the precompiled catalog.
 */
export function createMcpServer(catalog: ToolCatalog, context: ToolContext): Server {
  const server = new Server(SERVER_INFO, {
    capabilities: { tools: { listChanged: false } },
    jsonSchemaValidator: sharedValidator,
    instructions: INSTRUCTIONS,
    cacheHints: CACHE_HINTS,
  });
  server.setRequestHandler("tools/list", () => listToolsFor(catalog, context.caller));
  server.setRequestHandler("tools/call", (request) => callTool(catalog, request.params.name, request.params.arguments, context));
  return server;
}
