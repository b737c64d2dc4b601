/**
 * The names of an MCP server behind the gateway: its name, its path, its tools. Once here, for the
 * configuration, the constructs (`McpServer`, `serverNaming`) and the post-deploy checks. Plain
 * data: it imports nothing.
 */

/** A server name: a DNS label of 1-30 lowercase letters, digits and single hyphens (it names Azure resources and Entra applications). */
export const SERVER_NAME = /^[a-z](?:[a-z0-9]|-(?=[a-z0-9])){0,29}$/;

/**
 * A server's path in the platform configuration (and `MCP_PATH`): 1-80 lowercase letters, digits,
 * '-', '_' and inner '/', without a leading or trailing '/', e.g. `mcp` or `tickets/mcp`.
 */
export const MCP_PATH = /^[a-z0-9](?:[a-z0-9_-]|\/(?=[a-z0-9])){0,79}$/;

/** Segments of an API Management API path: letters, digits, '.', '_', '~' or '-', no '/' at either end. */
const API_PATH = /^[A-Za-z0-9][A-Za-z0-9._~-]*(\/[A-Za-z0-9._~-]+)*$/;

/** Whether `path` is usable as an MCP API's path at the gateway (what `McpServer` accepts; never under `.well-known`). */
export function isApiPath(path: string): boolean {
  return API_PATH.test(path) && !path.startsWith(".well-known");
}

/** A tool name (MCP 2025-11-25, SEP-986): 1-128 letters, digits, '_', '-' or '.'. */
export const TOOL_NAME = /^[A-Za-z0-9_.-]{1,128}$/;
