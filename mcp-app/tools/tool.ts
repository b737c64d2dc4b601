/**
 * The shape of one MCP tool of this server. A tool is plain data plus a handler: its zod schemas are
 * built once when its module loads, and the per-request MCP server only looks them up (see ../mcp-server.ts).
 * Who may call it (delegated scope, app role) is not written here but in ../tool-scopes.ts, the one table the
 * server and the gateway's policy both read.
 */
import type * as z from "zod";
import type { CallToolResult, ToolAnnotations } from "@modelcontextprotocol/server";

/** Who is calling, taken from the validated Entra access token (or the anonymous local developer). */
export type Caller =
  | {
      readonly kind: "entra";
      /** Display name (`name` claim), when the token carries one. */
      readonly name?: string;
      /** Object id of the user in the tenant (`oid`). */
      readonly oid?: string;
      /** Tenant id (`tid`). */
      readonly tenant?: string;
      /** Delegated scopes granted to the caller (`scp`, split on spaces). */
      readonly scopes: readonly string[];
      /** App roles the user is assigned in the application (`roles` claim). */
      readonly roles: readonly string[];
    }
  | { readonly kind: "anonymous" };

/** What a tool handler can see about the request it serves. */
export interface ToolContext {
  readonly caller: Caller;
}

/** One tool: name, metadata, input and output schemas, and the function computing its structured result. */
export interface ToolDefinition<I extends z.ZodObject = z.ZodObject, O extends z.ZodObject = z.ZodObject> {
  /** Tool name as clients call it (snake_case). */
  readonly name: string;
  readonly title: string;
  readonly description: string;
  readonly annotations: ToolAnnotations;
  readonly inputSchema: I;
  readonly outputSchema: O;
  /**
   * Computes the tool's result. Return `{ structured }` for success (it is checked against the output
   * schema and also rendered as text), or `{ error }` for a tool execution error the caller (a model) can
   * act on, such as an unknown country. (Method syntax on purpose: it lets every tool sit in one list.)
   */
  run(input: z.output<I>, context: ToolContext): ToolOutcome<z.output<O>> | Promise<ToolOutcome<z.output<O>>>;
  /** Optional human-readable text for a successful result. @default JSON of the structured result */
  text?(structured: z.output<O>): string;
}

export type ToolOutcome<T> = { readonly structured: T } | { readonly error: string };

/** Identity helper that keeps a tool's input and output types tied to its schemas. */
export function defineTool<I extends z.ZodObject, O extends z.ZodObject>(tool: ToolDefinition<I, O>): ToolDefinition<I, O> {
  return tool;
}

/** Converts a tool outcome into the MCP `tools/call` result (structured content plus text). */
export function toCallToolResult<T>(outcome: ToolOutcome<T>, text: (structured: T) => string): CallToolResult {
  if ("error" in outcome) {
    return { content: [{ type: "text", text: outcome.error }], isError: true };
  }
  return {
    content: [{ type: "text", text: text(outcome.structured) }],
    structuredContent: outcome.structured as Record<string, unknown>,
  };
}
