/**
 * "Your own MCP server" for tests of a platform with several servers: a tiny `tickets` MCP server
 * (SDK v2 `McpServer`, both protocol eras through `createMcpHandler`'s stateless legacy leg) that a
 * `url` backend of the platform configuration points at (through a URL rewrite). It checks the
 * bearer token exactly as README "Protect your own MCP server" says a backend must: signature by
 * the issuer's keys, issuer, audience = its own Entra application's client id, `azp` = that same
 * client id, and the base scope in `scp`; and it records every Authorization header it receives, so
 * a test can show that it only ever sees the user's Entra token for ITS application.
 *
 *   const tickets = await startTicketsServer();            // listens at once; tokens refused until expect()
 *   tickets.expect(tokenCheckEnvironment(stack.entra, server)); // once the Entra application is known: what npm run local prints
 *   tickets.mode = "silent";                                // accepts requests and never answers
 */
import type { AddressInfo } from "node:net";
import { serve, type ServerType } from "@hono/node-server";
import { Hono } from "hono";
import { createRemoteJWKSet, jwtVerify, type JWTPayload } from "jose";
import type { TokenCheckEnvironment } from "../local/token-check-env.js";
import * as z from "zod";
import { createMcpHandler, McpServer } from "@modelcontextprotocol/server";

export interface TicketsServer {
  /** `http://127.0.0.1:<port>` (its MCP endpoint is `<url>/mcp`). */
  readonly url: string;
  /** Every Authorization header received, in order (undefined for a request without one). */
  readonly authorizations: readonly (string | undefined)[];
  /** Claims of the tokens it accepted, in order. */
  readonly accepted: readonly JWTPayload[];
  /** The MCP-Protocol-Version header of each accepted request (shows which protocol eras reached it). */
  readonly protocolVersions: readonly (string | undefined)[];
  /** `normal`, or `silent`: takes requests and never answers (a hung backend). */
  mode: "normal" | "silent";
  /** What to check, under the names README's checks read (ENTRA_ISSUER, ENTRA_JWKS_URI, ENTRA_CLIENT_ID, REQUIRED_SCOPE). */
  expect(environment: TokenCheckEnvironment): void;
  close(): Promise<void>;
}

/** The token check of README "Protect your own MCP server", with jose. Returns the claims or why it refuses. */
export async function checkEntraToken(
  authorization: string | undefined,
  expected: TokenCheckEnvironment,
  jwks: ReturnType<typeof createRemoteJWKSet>,
): Promise<{ claims: JWTPayload } | { status: 401 | 403; error: string }> {
  const token = /^Bearer ([A-Za-z0-9._~+/-]+=*)$/.exec(authorization ?? "")?.[1];
  if (!token) return { status: 401, error: "no bearer token" };
  try {
    const { payload } = await jwtVerify(token, jwks, { issuer: expected.ENTRA_ISSUER, audience: expected.ENTRA_CLIENT_ID, algorithms: ["RS256"] });
    if (payload.azp !== expected.ENTRA_CLIENT_ID) return { status: 401, error: `azp ${String(payload.azp)} is not this server's application` };
    const scopes = typeof payload.scp === "string" ? payload.scp.split(" ") : [];
    if (!scopes.includes(expected.REQUIRED_SCOPE)) return { status: 403, error: "the base scope is missing from scp" };
    return { claims: payload };
  } catch (e) {
    return { status: 401, error: (e as Error).message };
  }
}

/** Starts the tickets server on 127.0.0.1 (any free port unless `port`). */
export async function startTicketsServer(options: { port?: number } = {}): Promise<TicketsServer> {
  const authorizations: (string | undefined)[] = [];
  const accepted: JWTPayload[] = [];
  const protocolVersions: (string | undefined)[] = [];
  let expectation: TokenCheckEnvironment | undefined;
  let jwks: ReturnType<typeof createRemoteJWKSet> | undefined;

  const handler = createMcpHandler(
    ({ authInfo }) => {
      const server = new McpServer({ name: "tickets", version: "1.0.0" });
      server.registerTool(
        "list_tickets",
        { description: "Lists the signed-in user's open tickets.", inputSchema: z.object({}) },
        async () => ({ content: [{ type: "text", text: `Open tickets of ${String(authInfo?.extra?.name ?? "nobody")}: none` }] }),
      );
      return server;
    },
    { legacy: "stateless" },
  );

  const app = new Hono();
  const state = { mode: "normal" as TicketsServer["mode"] };
  app.all("/mcp", async (c) => {
    const authorization = c.req.header("authorization");
    authorizations.push(authorization);
    if (state.mode === "silent") return new Promise<Response>(() => undefined);
    if (!expectation || !jwks) return c.json({ error: "not_ready" }, 503);
    const checked = await checkEntraToken(authorization, expectation, jwks);
    if ("error" in checked) {
      return c.json({ error: checked.status === 401 ? "invalid_token" : "insufficient_scope", error_description: checked.error }, checked.status, {
        "WWW-Authenticate": `Bearer error="${checked.status === 401 ? "invalid_token" : "insufficient_scope"}"`,
      });
    }
    accepted.push(checked.claims);
    protocolVersions.push(c.req.header("mcp-protocol-version"));
    const token = authorization!.slice("Bearer ".length);
    return handler.fetch(c.req.raw, { authInfo: { token, clientId: expectation.ENTRA_CLIENT_ID, scopes: String(checked.claims.scp).split(" "), extra: { name: checked.claims.name } } });
  });

  const server = await new Promise<ServerType>((resolve, reject) => {
    const s: ServerType = serve({ fetch: app.fetch, hostname: "127.0.0.1", port: options.port ?? 0 }, () => resolve(s));
    s.once("error", reject);
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    authorizations,
    accepted,
    protocolVersions,
    get mode() {
      return state.mode;
    },
    set mode(mode) {
      state.mode = mode;
    },
    expect(e) {
      expectation = e;
      jwks = createRemoteJWKSet(new URL(e.ENTRA_JWKS_URI));
    },
    close: () =>
      new Promise<void>((resolve) => {
        const http = server as { closeAllConnections?: () => void };
        http.closeAllConnections?.();
        server.close(() => void handler.close().then(() => resolve(), () => resolve()));
      }),
  };
}
