/**
 * The MCP protocol side of the server: a tool catalog compiled ONCE at module load (JSON Schemas, the
 * `tools/list` answer, name lookup), and a factory for the cheap per-request MCP server that serves exactly
 * one HTTP request (stateless streamable HTTP: any instance serves any request; no server or transport is ever
 * shared between requests, see SDK advisory GHSA-345p-7cg4-v4c7).
 *
 * Profiling the SDK's per-request pattern showed where the time goes: every `new Server()` builds its own Ajv
 * instance (~70% of a request), and `McpServer` converts every zod schema to JSON Schema again on each
 * `tools/list`. Here one validator is shared (it holds no per-client state) and the list is precomputed.
 */
import * as z from "zod";
import { Server } from "@modelcontextprotocol/sdk/server/index.js";
import { AjvJsonSchemaValidator } from "@modelcontextprotocol/sdk/validation/ajv";
import {
  CallToolRequestSchema,
  ErrorCode,
  ListToolsRequestSchema,
  McpError,
  type CallToolResult,
  type ListToolsResult,
  type Tool,
} from "@modelcontextprotocol/sdk/types.js";
import { toCallToolResult, type ToolContext, type ToolDefinition } from "./tools/tool.js";

export const SERVER_INFO = Object.freeze({ name: "secure-remote-mcp", title: "Weather MCP server (Entra-protected)", version: "0.1.0" });

/** Most members/elements accepted in one tool's arguments (a cheap guard before schema validation). */
const MAX_ARGUMENT_ELEMENTS = 1_000;

interface CompiledTool {
  readonly definition: ToolDefinition;
  readonly text: (structured: unknown) => string;
}

/** A compiled, immutable tool catalog: build once, serve many requests. */
export interface ToolCatalog {
  readonly listResult: ListToolsResult;
  readonly byName: ReadonlyMap<string, CompiledTool>;
}

function jsonSchemaOf(schema: z.ZodObject, io: "input" | "output"): Tool["inputSchema"] {
  const json = z.toJSONSchema(schema, { target: "draft-7", io }) as Record<string, unknown>;
  delete json.$schema;
  return json as Tool["inputSchema"];
}

/** Compiles tool definitions into a catalog. Throws on duplicate names (a programming error). */
export function compileCatalog(definitions: readonly ToolDefinition[]): ToolCatalog {
  const byName = new Map<string, CompiledTool>();
  const listed: Tool[] = [];
  for (const definition of definitions) {
    if (byName.has(definition.name)) {
      throw new Error(`Tool name ${JSON.stringify(definition.name)} is defined twice: tool names must be unique.`);
    }
    const text = definition.text
      ? (structured: unknown) => definition.text!(structured as never)
      : (structured: unknown) => JSON.stringify(structured);
    byName.set(definition.name, { definition, text });
    listed.push({
      name: definition.name,
      title: definition.title,
      description: definition.description,
      inputSchema: jsonSchemaOf(definition.inputSchema, "input"),
      outputSchema: jsonSchemaOf(definition.outputSchema, "output") as Tool["outputSchema"],
      annotations: { title: definition.title, ...definition.annotations },
    });
  }
  return { listResult: deepFreeze({ tools: listed }), byName };
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === "object" && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
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
  return error.issues
    .map((issue) => `${issue.path.length > 0 ? issue.path.join(".") : "arguments"}: ${issue.message}`)
    .join("; ");
}

/**
 * Runs one `tools/call`. Protocol errors (JSON-RPC -32602) for an unknown tool; tool execution errors
 * (`isError: true`, readable by the model) for arguments that fail the tool's schema, as the MCP
 * 2025-11-25 spec asks so that a model can correct itself.
 */
export async function callTool(catalog: ToolCatalog, name: string, args: unknown, context: ToolContext): Promise<CallToolResult> {
  const tool = catalog.byName.get(name);
  if (tool === undefined) {
    throw new McpError(ErrorCode.InvalidParams, `Unknown tool ${JSON.stringify(name)}: expected one of ${[...catalog.byName.keys()].join(", ")}`);
  }
  if (countElements(args, MAX_ARGUMENT_ELEMENTS) > MAX_ARGUMENT_ELEMENTS) {
    throw new McpError(ErrorCode.InvalidParams, `Arguments of ${name} have more than ${MAX_ARGUMENT_ELEMENTS} elements`);
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
      throw new McpError(ErrorCode.InternalError, `Tool ${name} produced a result that does not match its output schema`);
    }
  }
  return toCallToolResult(outcome, tool.text);
}

/** One validator for the whole process: it caches compiled schemas and holds no per-client state. */
const sharedValidator = new AjvJsonSchemaValidator();

/**
 * A fresh MCP server for ONE request. Cheap: it only wires two handlers to the precompiled catalog.
 * The low-level `Server` is used (rather than `McpServer`, which re-registers tools and re-converts
 * schemas per instance and turns unknown tools into tool results instead of protocol errors).
 */
export function createMcpServer(catalog: ToolCatalog, context: ToolContext): Server {
  const server = new Server(SERVER_INFO, {
    capabilities: { tools: { listChanged: false } },
    jsonSchemaValidator: sharedValidator,
    instructions: "Weather tools: call get_cities(country) to find cities, then get_weather(city). whoami shows the signed-in caller.",
  });
  server.setRequestHandler(ListToolsRequestSchema, () => catalog.listResult);
  server.setRequestHandler(CallToolRequestSchema, (request) => callTool(catalog, request.params.name, request.params.arguments, context));
  return server;
}
