/**
 * The Hono app: routes, middleware order and the per-request MCP handling, for both protocol eras at one endpoint.
 *
 *   GET  /healthz   liveness, no auth
 *   POST /mcp       MCP streamable HTTP, stateless, both eras: [local mode: Host/Origin guard (SDK), CORS] -> Entra
 *                   token -> Accept and Content-Type -> bounded body read -> JSON (-32700) and params (-32602)
 *                   checks -> per-tool scope check (403 insufficient_scope) -> by era (era.ts, the SDK's rules):
 *                     2026-07-28 (per-request `_meta` envelope): the SDK's strict `createMcpHandler`: `_meta`,
 *                       `server/discover`, the `MCP-Protocol-Version`, `Mcp-Method` and `Mcp-Name` headers checked
 *                       against the body (-32020, HTTP 400), removed methods (404 -32601), `resultType`, caching hints,
 *                       and the refusal (-32600) of anything that is no JSON-RPC message;
 *                     2025-11-25 and older: the `initialize` handshake, served statelessly (legacy-leg.ts);
 *                   each with a fresh low-level MCP server from the precompiled catalog (mcp-server.ts).
 *   other /mcp      405 with `Allow: POST` (no sessions, so no GET stream and no DELETE)
 *
 * What the SDK's entry does not do, and this app does in front of it: the token check, 406 for a bad Accept header
 * (both eras), a body read bounded by MCP_BODY_LIMIT_BYTES before anything is parsed, -32602 (not the SDK's
 * -32603) for malformed params of the methods served, the per-tool scope challenge, `Cache-Control: no-store`, JSON
 * answers in the 2025 era (the SDK's fallback always streams), logging, health, graceful shutdown.
 */
import { Hono } from "hono";
import { createMcpHandler, localhostAllowedHostnames, type AuthInfo, type McpHttpHandler } from "@modelcontextprotocol/server";
import type { AppEnv } from "./app-env.js";
import { entraAuth, insufficientScopeResponse, type AuthOptions } from "./auth.js";
import type { McpAppConfig } from "./config.js";
import { isLegacyEra } from "./era.js";
import { readMcpBody } from "./node-request.js";
import { createLegacyLeg } from "./legacy-leg.js";
import { invalidParamsResponse, jsonRpcErrorBody, JSONRPC_PARSE_ERROR, JSONRPC_SERVER_ERROR } from "./jsonrpc.js";
import { loopbackCors, loopbackGuard } from "./local-guard.js";
import { createLogger, type Logger } from "./logging.js";
import { compileCatalog, createMcpServer, scopeChallengeFor, withBaseScope, type ToolCatalog } from "./mcp-server.js";
import type { Caller } from "./tools/tool.js";
import { tools } from "./tools/index.js";

/** The catalog of this server's tools, compiled once per process. */
const defaultCatalog: ToolCatalog = compileCatalog(tools);

export interface CreateAppOptions {
  /** @default a JSON-lines logger on stdout at the configured level */
  readonly logger?: Logger;
  /** Tuning of the token check (JWKS cache, clock skew); see AuthOptions. @default AuthOptions defaults */
  readonly auth?: Omit<AuthOptions, "logger">;
  /** @default the tools of ./tools/index.ts with the access rules of ./tool-scopes.ts */
  readonly catalog?: ToolCatalog;
}

/** What the app hands the MCP layer: the Hono app and the SDK handler (closed on shutdown). */
export type McpApp = Hono<AppEnv> & { readonly mcpHandler: McpHttpHandler };

const ANONYMOUS: Caller = Object.freeze({ kind: "anonymous" as const });
const MCP_PATH = "/mcp";

function isJsonMediaType(contentType: string | undefined): boolean {
  return contentType !== undefined && contentType.split(";", 1)[0]!.trim().toLowerCase() === "application/json";
}

/** The caller the auth layer put into AuthInfo (see auth.ts), or the anonymous local developer. */
function callerOf(authInfo: AuthInfo | undefined): Caller {
  return (authInfo?.extra?.caller as Caller | undefined) ?? ANONYMOUS;
}

interface RequestLike {
  readonly method?: unknown;
  readonly params?: { readonly name?: unknown };
}

/** Builds the Hono app for `config`. Nothing listens yet (see main.ts). */
export function createApp(config: McpAppConfig, options: CreateAppOptions = {}): McpApp {
  const logger = options.logger ?? createLogger(config.logLevel);
  const baseCatalog = options.catalog ?? defaultCatalog;
  const catalog = config.auth ? withBaseScope(baseCatalog, config.auth.requiredScope) : baseCatalog;
  const onerror = (error: Error) => logger.debug("MCP request refused or failed", { error: error.message.slice(0, 300) });
  // 2026-07-28: the SDK's strict entry. `auto` answers one JSON body (the tools answer at once); `sse` always streams.
  const mcpHandler = createMcpHandler(({ authInfo }) => createMcpServer(catalog, { caller: callerOf(authInfo) }), {
    legacy: "reject",
    responseMode: config.responseMode === "sse" ? "sse" : "auto",
    maxRequestBodySize: config.bodyLimitBytes,
    onerror,
  });
  // 2025-11-25 and older: stateless, in the configured response mode (legacy-leg.ts).
  const legacyLeg = createLegacyLeg({ responseMode: config.responseMode, onerror });
  const app = new Hono<AppEnv>();

  app.onError((error, c) => {
    logger.error("unhandled error", { error: error.name, path: c.req.path });
    return c.json(jsonRpcErrorBody(-32603, "Internal error"), 500);
  });
  app.notFound((c) => c.json({ error: "not_found", message: `No route for ${c.req.method} ${c.req.path}` }, 404));

  if (config.auth === undefined) {
    app.use("*", ...loopbackGuard([...localhostAllowedHostnames(), config.host]));
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
    // Bounded read (a declared Content-Length over the limit first, then counted bytes), straight from Node's request
    // under @hono/node-server (node-request.ts). Hono's bodyLimit middleware is not used: for bodies without
    // Content-Length it re-creates the Request, which leaked ~1.8 KB per request here.
    const request = c.req.raw;
    let text: string;
    try {
      const read = await readMcpBody(request, c.env, config.bodyLimitBytes);
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
    // A body that is no JSON-RPC message (or a batch of more than 100) is refused by the SDK (-32600, HTTP 400).
    const messages: readonly unknown[] = Array.isArray(body) ? body : [body];
    // The era, by the SDK's rules (body first, see era.ts). Malformed params of the methods served get -32602 naming
    // the field (the SDK would answer -32603); the 2026-07-28 entry answers everything else about the envelope, the
    // standard headers and the methods that era removed.
    const legacy = await isLegacyEra(request, body);
    if (!Array.isArray(body)) {
      const invalid = invalidParamsResponse(body, legacy ? "2025" : "2026");
      if (invalid !== undefined) return c.json(invalid, 200);
    }
    const caller = c.get("caller");
    // Defense in depth behind the gateway: a tool whose scopes the token lacks is refused before anything runs,
    // with the step-up challenge naming every scope the call needs (for the body decides what runs, it is read
    // here; the SDK refuses a body that disagrees with the Mcp-Name header).
    for (const message of messages as (RequestLike | null)[]) {
      if (message?.method === "tools/call" && typeof message.params?.name === "string") {
        const required = scopeChallengeFor(catalog, message.params.name, caller);
        if (required !== undefined) {
          logger.warn("request refused", { status: 403, reason: "missing_tool_scope", tool: message.params.name });
          return insufficientScopeResponse(c, required);
        }
      }
    }
    const started = performance.now();
    const authInfo: AuthInfo | undefined = caller.kind === "entra" ? c.get("authInfo") : undefined;
    const response = legacy
      ? await legacyLeg(request, body, createMcpServer(catalog, { caller }), authInfo)
      : await mcpHandler.fetch(request, { parsedBody: body, ...(authInfo !== undefined ? { authInfo } : {}) });
    if (typeof body === "object" && body !== null && !Array.isArray(body)) {
      const message = body as RequestLike;
      logger.debug("mcp request", {
        era: legacy ? "2025" : "2026-07-28",
        rpc: typeof message.method === "string" ? message.method : "(response)",
        tool: message.method === "tools/call" && typeof message.params?.name === "string" ? message.params.name : undefined,
        status: response.status,
        ms: Math.round((performance.now() - started) * 10) / 10,
      });
    }
    // Under @hono/node-server the SDK's JSON answers (`Response.json`) are the adapter's lightweight responses, which it
    // writes in one go; event streams stay streams.
    return response;
  });

  app.all(MCP_PATH, (c) =>
    c.json(jsonRpcErrorBody(JSONRPC_SERVER_ERROR, `Method Not Allowed: ${c.req.method} is not supported by this stateless server; use POST`), 405, {
      Allow: "POST",
    }),
  );

  return Object.assign(app, { mcpHandler });
}
