/**
 * Local development mode (MCP_AUTH=off) guards against DNS rebinding: a web page on another origin must not be
 * able to reach the unauthenticated server through a name that resolves to 127.0.0.1. The SDK's Hono middlewares
 * serve only loopback Host names and, when a browser sends one, loopback Origins. CORS is answered for loopback
 * origins only (so MCP Inspector's browser UI can connect directly).
 */
import type { MiddlewareHandler } from "hono";
import { cors } from "hono/cors";
import { hostHeaderValidation, localhostOriginValidation } from "@modelcontextprotocol/hono";
import type { AppEnv } from "./app-env.js";
import { isLoopbackHost } from "./config.js";

export function isLoopbackOrigin(origin: string): boolean {
  if (origin === "") return false; // cheap exit: no Origin header (non-browser clients)
  try {
    const url = new URL(origin);
    return (url.protocol === "http:" || url.protocol === "https:") && isLoopbackHost(url.hostname);
  } catch {
    return false;
  }
}

/** Refuses (403, naming the value) requests whose Host is not one of `hosts`, or whose Origin is not loopback. */
export function loopbackGuard(hosts: readonly string[]): MiddlewareHandler<AppEnv>[] {
  const names = [...new Set(hosts.map((host) => (host.includes(":") && !host.startsWith("[") ? `[${host}]` : host).toLowerCase()))];
  return [hostHeaderValidation(names), localhostOriginValidation()];
}

/** The 2026-07-28 request headers a browser client sends (and so must be allowed by the CORS preflight). */
export const MCP_REQUEST_HEADERS = ["Content-Type", "Accept", "Authorization", "Mcp-Protocol-Version", "Mcp-Session-Id", "Mcp-Method", "Mcp-Name", "Last-Event-ID"];

/** CORS for loopback browser origins (MCP Inspector). */
export function loopbackCors(): MiddlewareHandler<AppEnv> {
  return cors({
    origin: (origin) => (isLoopbackOrigin(origin) ? origin : null),
    allowMethods: ["POST", "GET", "DELETE", "OPTIONS"],
    allowHeaders: MCP_REQUEST_HEADERS,
    exposeHeaders: ["Mcp-Session-Id", "Mcp-Protocol-Version", "WWW-Authenticate"],
    maxAge: 600,
  });
}
