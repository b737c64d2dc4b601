/**
 * The Hono app: routes, middleware order and the per-request MCP handling.
 *
 *   GET  /healthz   liveness, no auth
 *   POST /mcp       MCP streamable HTTP, stateless: [local mode: Host/Origin guard, CORS] -> auth -> Accept and
 *                   Content-Type -> bounded body read -> JSON (-32700) / JSON-RPC (-32600) / params (-32602) checks
 *                   -> a fresh MCP server + transport for this request only
 *   other /mcp      405 with `Allow: POST` (no sessions, so no GET stream and no DELETE)
 */
import { Hono } from "hono";
import { WebStandardStreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js";
import { JSONRPCMessageSchema, type JSONRPCMessage } from "@modelcontextprotocol/sdk/types.js";
import type { AppEnv } from "./app-env.js";
import { entraAuth, type AuthOptions } from "./auth.js";
import type { McpAppConfig } from "./config.js";
import { invalidParamsResponse, jsonRpcErrorBody, JSONRPC_INVALID_REQUEST, JSONRPC_PARSE_ERROR, JSONRPC_SERVER_ERROR } from "./jsonrpc.js";
import { loopbackCors, loopbackOnly } from "./local-guard.js";
import { createLogger, type Logger } from "./logging.js";
import { readBody } from "./request-body.js";
import { compileCatalog, createMcpServer, type ToolCatalog } from "./mcp-server.js";
import { tools } from "./tools/index.js";

/** The catalog of this server's tools, compiled once per process. */
const defaultCatalog: ToolCatalog = compileCatalog(tools);

export interface CreateAppOptions {
  /** @default a JSON-lines logger on stdout at the configured level */
  readonly logger?: Logger;
  /** Tuning of the token check (JWKS cache, clock skew); see AuthOptions. @default AuthOptions defaults */
  readonly auth?: Omit<AuthOptions, "logger">;
  /** @default the tools of ./tools/index.ts */
  readonly catalog?: ToolCatalog;
}

const ANONYMOUS = Object.freeze({ kind: "anonymous" as const });
const MCP_PATH = "/mcp";

function isJsonMediaType(contentType: string | undefined): boolean {
  return contentType !== undefined && contentType.split(";", 1)[0]!.trim().toLowerCase() === "application/json";
}

/** Builds the Hono app for `config`. Nothing listens yet (see main.ts). */
export function createApp(config: McpAppConfig, options: CreateAppOptions = {}): Hono<AppEnv> {
  const logger = options.logger ?? createLogger(config.logLevel);
  const catalog = options.catalog ?? defaultCatalog;
  const enableJsonResponse = config.responseMode === "json";
  const app = new Hono<AppEnv>();

  app.onError((error, c) => {
    logger.error("unhandled error", { error: error.name, path: c.req.path });
    return c.json(jsonRpcErrorBody(-32603, "Internal error"), 500);
  });
  app.notFound((c) => c.json({ error: "not_found", message: `No route for ${c.req.method} ${c.req.path}` }, 404));

  if (config.auth === undefined) {
    app.use("*", loopbackOnly());
    app.use(MCP_PATH, loopbackCors());
  }

  app.on(["GET", "HEAD"], "/healthz", (c) => c.json({ status: "ok" }));

  // Answers carry the caller's identity (whoami) and are per-request: never cache them, never sniff them.
  app.use(MCP_PATH, async (c, next) => {
    await next();
    c.res.headers.set("Cache-Control", "no-store");
    c.res.headers.set("X-Content-Type-Options", "nosniff");
  });

  if (config.auth === undefined) {
    app.use(MCP_PATH, async (c, next) => {
      c.set("caller", ANONYMOUS);
      await next();
    });
  } else {
    app.use(MCP_PATH, entraAuth(config.auth, { ...options.auth, logger }));
  }

  app.post(MCP_PATH, async (c) => {
    const accept = c.req.header("accept") ?? "";
    if (!accept.includes("application/json") || !accept.includes("text/event-stream")) {
      return c.json(jsonRpcErrorBody(JSONRPC_SERVER_ERROR, "Not Acceptable: the Accept header must list application/json and text/event-stream"), 406);
    }
    if (!isJsonMediaType(c.req.header("content-type"))) {
      return c.json(jsonRpcErrorBody(JSONRPC_SERVER_ERROR, "Unsupported Media Type: Content-Type must be application/json"), 415);
    }
    // Bounded read (declared Content-Length first, then counted bytes). Hono's bodyLimit middleware is not used:
    // for bodies without Content-Length it re-creates the Request, which leaked ~1.8 KB per request here.
    let text: string;
    try {
      const read = await readBody(c.req.raw, c.env, config.bodyLimitBytes);
      if (read.tooLarge) {
        return c.json(jsonRpcErrorBody(JSONRPC_SERVER_ERROR, `Payload Too Large: the request body must not exceed ${config.bodyLimitBytes} bytes`), 413);
      }
      text = read.text;
    } catch {
      return c.json(jsonRpcErrorBody(JSONRPC_SERVER_ERROR, "Bad Request: the request body could not be read"), 400);
    }
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      return c.json(jsonRpcErrorBody(JSONRPC_PARSE_ERROR, "Parse error: the request body is not valid JSON"), 400);
    }
    const messages = Array.isArray(body) ? body : [body];
    if (messages.length === 0 || messages.length > 100 || !messages.every((m) => JSONRPCMessageSchema.safeParse(m).success)) {
      return c.json(jsonRpcErrorBody(JSONRPC_INVALID_REQUEST, "Invalid Request: expected a JSON-RPC 2.0 request, notification or response"), 400);
    }
    if (!Array.isArray(body)) {
      const invalid = invalidParamsResponse(body as JSONRPCMessage);
      if (invalid !== undefined) return c.json(invalid, 200);
    }
    const transport = new WebStandardStreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse });
    const server = createMcpServer(catalog, { caller: c.get("caller") });
    transport.onerror = (error) => logger.warn("MCP transport error", { error: error.message });
    await server.connect(transport);
    const started = performance.now();
    const response = await transport.handleRequest(c.req.raw, { parsedBody: body });
    if (!Array.isArray(body)) {
      const message = body as { method?: unknown; params?: { name?: unknown } };
      logger.debug("mcp request", {
        rpc: typeof message.method === "string" ? message.method : "(response)",
        tool: message.method === "tools/call" && typeof message.params?.name === "string" ? message.params.name : undefined,
        status: response.status,
        ms: Math.round((performance.now() - started) * 10) / 10,
      });
    }
    return response;
  });

  app.all(MCP_PATH, (c) =>
    c.json(jsonRpcErrorBody(JSONRPC_SERVER_ERROR, `Method Not Allowed: ${c.req.method} is not supported by this stateless server; use POST`), 405, {
      Allow: "POST",
    }),
  );

  return app;
}
