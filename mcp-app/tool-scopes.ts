/**
 * Who may call which tool of the sample server: the ONE table of the delegated scope (and,
 * optionally, the Entra app role) each of its tools needs, in the shape of vocabulary/tool-access.ts.
 * Everything else reads it:
 *
 * - the MCP server (`tools/*.ts` take their `access` from here; `tools/list` hides a tool whose app role the caller
 *   lacks, and a call without the tool's scopes or role is refused: defense in depth behind the gateway);
 * - the infrastructure (the stack gives the sample's Entra application every scope in {@link DELEGATED_SCOPES} and
 *   every role in {@link APP_ROLES}, and the gateway's policy the table, so that it refuses a call before the backend
 *   whose token lacks a scope the tool needs, with a `403 insufficient_scope` step-up challenge).
 *
 * Plain data: nothing but types imported, nothing read from the environment, so the stack reads it in microseconds
 * at synth. The base scope is a deployment setting, not written here (see vocabulary/tool-access.ts).
 */
import type { AppRole, DelegatedScope, ToolAccess } from "../vocabulary/tool-access.js";

/** Delegated scopes the Entra application exposes besides the base scope. */
export const DELEGATED_SCOPES: readonly DelegatedScope[] = Object.freeze([
  Object.freeze({
    value: "forecast.read",
    adminConsentDisplayName: "Read weather forecasts",
    adminConsentDescription: "Allows the MCP client to read multi-day weather forecasts through the MCP server on behalf of the signed-in user.",
    userConsentDisplayName: "Read weather forecasts",
    userConsentDescription: "Allows the MCP client to read multi-day weather forecasts on your behalf.",
  }),
]);

/** App roles the Entra application defines for tools. The sample's tools need none. */
export const APP_ROLES: readonly AppRole[] = Object.freeze([]);

/** Every tool of this server and what it needs. Adding a tool: one line here, one file in `tools/`. */
export const TOOL_SCOPES: readonly ToolAccess[] = Object.freeze([
  Object.freeze({ tool: "get_cities" }),
  Object.freeze({ tool: "get_weather" }),
  Object.freeze({ tool: "get_forecast", scope: "forecast.read" }),
  Object.freeze({ tool: "whoami" }),
]);
