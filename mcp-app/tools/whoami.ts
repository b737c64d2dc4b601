/** `whoami`: the caller's identity from the validated Entra token, so the identity path is visible end to end. */
import * as z from "zod";
import { defineTool } from "./tool.js";

export const whoami = defineTool({
  name: "whoami",
  title: "Who am I",
  description: "Show who is calling this server, from the validated Entra ID access token: name, object id, tenant, scopes and app roles.",
  annotations: { readOnlyHint: true, openWorldHint: false, idempotentHint: true, destructiveHint: false },
  inputSchema: z.object({}),
  outputSchema: z.object({
    authenticated: z.boolean().describe("false in local development mode (MCP_AUTH=off)"),
    name: z.string().optional(),
    oid: z.string().optional().describe("Object id of the user"),
    tenant: z.string().optional().describe("Tenant id (tid)"),
    scopes: z.array(z.string()).describe("Delegated scopes in the token"),
    roles: z.array(z.string()).describe("App roles of the user in the application"),
  }),
  run: (_input, { caller }) => {
    if (caller.kind === "anonymous") {
      return { structured: { authenticated: false, scopes: [], roles: [] } };
    }
    return {
      structured: { authenticated: true, name: caller.name, oid: caller.oid, tenant: caller.tenant, scopes: [...caller.scopes], roles: [...caller.roles] },
    };
  },
  text: (me) =>
    me.authenticated
      ? `Signed in as ${me.name ?? "(no name claim)"} (oid ${me.oid ?? "?"}, tenant ${me.tenant ?? "?"}), scopes: ${me.scopes.join(" ") || "(none)"}, roles: ${me.roles.join(" ") || "(none)"}`
      : "Anonymous local caller: authentication is off (MCP_AUTH=off, loopback only).",
});
