/**
 * Local development mode (MCP_AUTH=off) guards against DNS rebinding: a web page on another origin must not be
 * able to reach the unauthenticated server through a name that resolves to 127.0.0.1. Only loopback Host names
 * are served, and a browser Origin, when present, must be a loopback origin too. CORS is answered for those
 * loopback origins only (so MCP Inspector's browser UI can connect directly).
 */
import type { MiddlewareHandler } from "hono";
import { cors } from "hono/cors";
import type { AppEnv } from "./app-env.js";
import { isLoopbackHost } from "./config.js";
import { jsonRpcErrorBody, JSONRPC_SERVER_ERROR } from "./jsonrpc.js";

/** Host name of a Host header value (`name`, `name:port`, `[v6]`, `[v6]:port`), lower-cased; undefined if unparsable. */
function hostNameOf(hostHeader: string): string | undefined {
  const m = /^(\[[0-9a-fA-F:.]+\]|[^:[\]]+)(?::\d{1,5})?$/.exec(hostHeader.trim());
  return m?.[1]?.toLowerCase();
}

export function isLoopbackOrigin(origin: string): boolean {
  if (origin === "") return false; // cheap exit: no Origin header (non-browser clients)
  try {
    const url = new URL(origin);
    return (url.protocol === "http:" || url.protocol === "https:") && isLoopbackHost(url.hostname);
  } catch {
    return false;
  }
}

/** Refuses (403) requests whose Host or Origin is not loopback. */
export function loopbackOnly(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    // Node always passes the Host header; an in-process request without one is judged by its URL.
    const host = c.req.header("host") ?? new URL(c.req.url).host;
    const name = hostNameOf(host);
    if (name === undefined || !isLoopbackHost(name)) {
      return c.json(jsonRpcErrorBody(JSONRPC_SERVER_ERROR, "Forbidden: the Host header must name a loopback address in local mode"), 403);
    }
    const origin = c.req.header("origin");
    if (origin !== undefined && !isLoopbackOrigin(origin)) {
      return c.json(jsonRpcErrorBody(JSONRPC_SERVER_ERROR, "Forbidden: only loopback origins may call the server in local mode"), 403);
    }
    return next();
  };
}

/** CORS for loopback browser origins (MCP Inspector). */
export function loopbackCors(): MiddlewareHandler<AppEnv> {
  return cors({
    origin: (origin) => (isLoopbackOrigin(origin) ? origin : null),
    allowMethods: ["POST", "GET", "DELETE", "OPTIONS"],
    allowHeaders: ["Content-Type", "Accept", "Authorization", "Mcp-Protocol-Version", "Mcp-Session-Id", "Mcp-Method", "Mcp-Name", "Last-Event-ID"],
    exposeHeaders: ["Mcp-Session-Id", "Mcp-Protocol-Version", "WWW-Authenticate"],
    maxAge: 600,
  });
}
