/** Hono environment shared by the middlewares and routes of the MCP app: what a request carries along. */
import type { AuthInfo } from "@modelcontextprotocol/server";
import type { Caller } from "./tools/tool.js";

export interface AppEnv {
  Variables: {
    /** Set by the auth middleware (or the local-mode middleware) before any /mcp handler runs. */
    caller: Caller;
    /** The validated token as the SDK passes it on (`extra.caller` is `caller`); unset in local mode. */
    authInfo?: AuthInfo;
  };
}
