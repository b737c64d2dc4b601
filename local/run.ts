/**
 * `npm run local`: the whole product on this machine, from the same synthesized Terraform JSON
 * that `cdktf deploy` applies. Synthesizes when cdk.tf.json is missing or was made from other
 * inputs (configuration variables, the platform file's contents, sources: local/synth-inputs.ts),
 * writes local.values.json, starts the Entra stand-in (one app registration per MCP server), one
 * local MCP server per `sample` server of the configuration (checking tokens against the stand-in's
 * JWKS exactly as against Entra's, each for its own application), the C# expression host and the
 * local gateway, then prints each server's endpoint and `MCP endpoint: <url>` (the first server's) on
 * a line of its own. Ctrl-C stops everything.
 *
 * Servers that cannot run here: a `url` backend is reached only through a LOCAL_URL_REWRITES entry
 * for its origin (the user runs it locally); an `app-service` backend (a prebuilt package) likewise,
 * for its `https://<app>.azurewebsites.net` origin. Without one, the start-up output names the
 * server, its URL and the rewrite to add, and the gateway answers that server's requests with its
 * backend failure (502, JSON-RPC error naming the server) while a warning is logged per request;
 * the other servers work normally. Nothing is ever sent to the real backend from here.
 *
 * Environment (read and checked by localSettings; README "npm run local settings"): LOCAL_GATEWAY_PORT
 * (default 8080), LOCAL_MCP_PORT (8081, the first sample server; further ones on free ports), LOCAL_ENTRA_PORT (8082), LOCAL_TF_JSON (default
 * cdktf.out/stacks/mcp/cdk.tf.json), LOCAL_VALUES (default local.values.json), LOCAL_LOG_LEVEL (default
 * "info"; "debug" also logs policy errors and trace policies, never values), MCP_RESPONSE_MODE (json or
 * sse, passed to the MCP server), LOCAL_URL_REWRITES (JSON object from https origins to local http
 * loopback origins, merged with the generated rewrites: serve client ID metadata documents or
 * backends locally), LOCAL_ENTRA_TOKEN_LIFETIME (seconds, lifetime of the Entra stand-in's access
 * tokens: a short one makes the gateway refresh upstream), LOCAL_ENTRA_USERS (a JSON array of the
 * stand-in's users with their app roles; with several, its sign-in page lets you pick one).
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import http from "node:http";
import net from "node:net";
import { resolve } from "node:path";
import { DEFAULT_TF_JSON, loadGatewayConfig, readTerraformJson, type LocalValues } from "./gateway/config.js";
import { generateLocalValues, localEntraApps, localIdentities, localServers, type LocalIdentities, type LocalServer } from "./gateway/local-values.js";
import { applyUrlRewrites } from "./gateway/config.js";
import { recordSynthInputs, synthInputsFingerprint, synthNeeded } from "./synth-inputs.js";
import { startGateway, type RunningGateway } from "./gateway/server.js";
import type { ExpressionEvaluator } from "./gateway/expressions.js";
import type { ValueCache } from "./gateway/runtime-services.js";
import { parseEntraUsers, startEntraStandIn, type EntraStandIn, type EntraUser } from "./entra/stand-in.js";
import { ExpressionHost } from "./csharp/expression-host.js";
import { loadConfig as loadMcpConfig } from "../mcp-app/config.js";
import { startServer as startMcpServer, type RunningServer } from "../mcp-app/main.js";
import { createLogger } from "../mcp-app/logging.js";
import type { LogLevel } from "../mcp-app/config.js";

export interface LocalStackOptions {
  /** Parsed cdk.tf.json. */
  readonly tf: Record<string, unknown>;
  /** Previously generated values to keep (ids, keys). @default none */
  readonly previousValues?: LocalValues;
  /** Ports; 0 picks a free one. @default 0 each */
  readonly ports?: { readonly gateway?: number; readonly mcp?: number; readonly entra?: number };
  /** The expression evaluator. @default a new Mono ExpressionHost (closed with the stack) */
  readonly evaluator?: ExpressionEvaluator;
  /**
   * More URL prefixes to point elsewhere, e.g. an https client ID metadata document host at a
   * local http server in tests. @default none
   */
  readonly extraUrlRewrites?: Readonly<Record<string, string>>;
  /**
   * Rewrites that replace generated ones, e.g. a proxy in front of the Entra stand-in in tests.
   * @default none
   */
  readonly overrideUrlRewrites?: Readonly<Record<string, string>>;
  /** The gateway's cache (tests pass one with a controllable clock). @default a new ValueCache */
  readonly cache?: ValueCache;
  /** Lifetime of the stand-in's access tokens (short ones make the gateway refresh upstream). @default 3600 */
  readonly entraAccessTokenLifetimeSeconds?: number;
  /** How the MCP server answers: JSON or a text/event-stream. @default the MCP server's default */
  readonly mcpResponseMode?: "json" | "sse";
  /**
   * Receives each audit event of the gateway (one JSON object per MCP request, no secrets).
   * @default printed on stdout as a JSON line, unless logLevel is "silent"
   */
  readonly onAudit?: (event: string) => void;
  /** Log level of the MCP server and the gateway. @default "warn" */
  readonly logLevel?: LogLevel;
  /**
   * The Entra stand-in's users (LOCAL_ENTRA_USERS): with several, its /authorize answers a sign-in page with one
   * button per user; a user's app roles are issued by every server application that defines them.
   * @default the stand-in's one test user
   */
  readonly entraUsers?: readonly EntraUser[];
}

/** One MCP server of the local stack. */
export interface LocalStackServer extends LocalServer {
  /** The URL MCP clients connect to, `<gateway>/<path>`. */
  readonly endpoint: string;
  /** Where the gateway sends this server's requests on this machine. */
  readonly localBackend: string;
  /** The local sample MCP server (kind `sample`). */
  readonly mcp?: RunningServer;
  /** Why this server's backend cannot be reached locally (its requests answer 502), when it cannot. */
  readonly unavailable?: string;
}

export interface LocalStack {
  /** The first server's endpoint. */
  readonly mcpEndpoint: string;
  /** Every MCP server of the configuration, in configuration order. */
  readonly servers: readonly LocalStackServer[];
  readonly gateway: RunningGateway;
  readonly entra: EntraStandIn;
  /** The first sample server's local MCP server, when there is one. */
  readonly mcp?: RunningServer;
  readonly values: LocalValues;
  readonly identities: LocalIdentities;
  close(): Promise<void>;
}

/** What `npm run local` reads from the environment, checked. */
export interface LocalSettings {
  readonly ports: { readonly gateway: number; readonly mcp: number; readonly entra: number };
  readonly logLevel: LogLevel;
  readonly mcpResponseMode?: "json" | "sse";
  /** LOCAL_URL_REWRITES, e.g. `{ "https://cimd.example.test": "http://127.0.0.1:9000" }`. */
  readonly urlRewrites: Readonly<Record<string, string>>;
  /** LOCAL_ENTRA_TOKEN_LIFETIME in seconds, when set. */
  readonly entraAccessTokenLifetimeSeconds?: number;
  /** LOCAL_ENTRA_USERS, when set: the Entra stand-in's users. */
  readonly entraUsers?: readonly EntraUser[];
}

const LOG_LEVELS: readonly LogLevel[] = ["debug", "info", "warn", "error", "silent"];
const LOOPBACK_HOSTS = /^(127\.\d{1,3}\.\d{1,3}\.\d{1,3}|\[::1\]|localhost)$/;

/** The origin `text` names exactly (scheme, host, optional port; no path, query or trailing slash), or undefined. */
function exactOrigin(text: string, protocol: "https:" | "http:"): URL | undefined {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return undefined;
  }
  return url.protocol === protocol && url.origin === text ? url : undefined;
}

/**
 * Parses LOCAL_URL_REWRITES: a JSON object from https origins (what the configuration or a client
 * names) to http origins on this machine's loopback interface (where the local server listens).
 * @throws Error naming the variable and the bad value.
 */
export function parseUrlRewrites(raw: string): Record<string, string> {
  const expected = `expected a JSON object from https origins to local http origins, e.g. {"https://cimd.example.test":"http://127.0.0.1:9000"}`;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (e) {
    throw new Error(`LOCAL_URL_REWRITES=${JSON.stringify(raw)} is not valid JSON (${(e as Error).message}); ${expected}`);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new Error(`LOCAL_URL_REWRITES=${JSON.stringify(raw)} is not a JSON object; ${expected}`);
  }
  const out: Record<string, string> = {};
  for (const [from, to] of Object.entries(parsed as Record<string, unknown>)) {
    if (!exactOrigin(from, "https:")) {
      throw new Error(`LOCAL_URL_REWRITES key ${JSON.stringify(from)} is not an https origin; expected https://host or https://host:port, lower case, without a path or trailing slash`);
    }
    const target = typeof to === "string" ? exactOrigin(to, "http:") : undefined;
    if (!target || !LOOPBACK_HOSTS.test(target.hostname)) {
      throw new Error(`LOCAL_URL_REWRITES value ${JSON.stringify(to)} (for ${from}) is not a local http origin; expected http://127.0.0.1:port, http://[::1]:port or http://localhost:port without a path`);
    }
    out[from] = to as string;
  }
  return out;
}

/**
 * Reads `npm run local`'s settings from the environment. Empty values count as unset.
 * @throws Error naming the first bad variable and its value.
 */
export function localSettings(env: Record<string, string | undefined> = process.env): LocalSettings {
  const get = (name: string): string | undefined => (env[name] === undefined || env[name] === "" ? undefined : env[name]);
  const port = (name: string, def: number): number => {
    const raw = get(name);
    if (raw === undefined) return def;
    if (!/^\d{1,5}$/.test(raw) || Number(raw) > 65535) throw new Error(`${name}=${JSON.stringify(raw)} is not valid: expected a port number 0-65535`);
    return Number(raw);
  };
  const ports = { gateway: port("LOCAL_GATEWAY_PORT", 8080), mcp: port("LOCAL_MCP_PORT", 8081), entra: port("LOCAL_ENTRA_PORT", 8082) };
  const level = get("LOCAL_LOG_LEVEL") ?? "info";
  if (!(LOG_LEVELS as readonly string[]).includes(level)) throw new Error(`LOCAL_LOG_LEVEL=${JSON.stringify(level)} is not valid: expected one of ${LOG_LEVELS.join(", ")}`);
  const mode = get("MCP_RESPONSE_MODE");
  if (mode !== undefined && mode !== "json" && mode !== "sse") throw new Error(`MCP_RESPONSE_MODE=${JSON.stringify(mode)} is not valid: expected "json" or "sse"`);
  const rewrites = get("LOCAL_URL_REWRITES");
  const lifetime = get("LOCAL_ENTRA_TOKEN_LIFETIME");
  if (lifetime !== undefined && (!/^\d{1,5}$/.test(lifetime) || Number(lifetime) < 1 || Number(lifetime) > 86400)) {
    throw new Error(`LOCAL_ENTRA_TOKEN_LIFETIME=${JSON.stringify(lifetime)} is not valid: expected a whole number of seconds from 1 to 86400 (the Entra stand-in's access token lifetime)`);
  }
  return {
    ports,
    logLevel: level as LogLevel,
    mcpResponseMode: mode,
    urlRewrites: rewrites === undefined ? {} : parseUrlRewrites(rewrites),
    entraAccessTokenLifetimeSeconds: lifetime === undefined ? undefined : Number(lifetime),
    ...(get("LOCAL_ENTRA_USERS") !== undefined ? { entraUsers: parseEntraUsers(get("LOCAL_ENTRA_USERS")!) } : {}),
  };
}

/**
 * An HTTP server listening on 127.0.0.1 at `port` (0: a free one, read back from the socket), with no handler yet:
 * the gateway is bound first, so its URL is known before its configuration, and no port is ever reserved and
 * released for someone else to take.
 * @throws Error naming the port and what it was for when it is in use.
 */
export async function listenLoopback(port: number, what: string): Promise<http.Server> {
  const server = http.createServer();
  await new Promise<void>((resolveListen, reject) => {
    server.once("error", (e: NodeJS.ErrnoException) =>
      reject(new Error(e.code === "EADDRINUSE" ? `port ${port} for the ${what} is in use; set another with the environment variable named in local/run.ts` : e.message)),
    );
    server.listen(port, "127.0.0.1", () => resolveListen());
  });
  return server;
}

/** A local listener that drops every connection: the backend of a server that cannot run here (the gateway answers 502). */
async function startUnreachable(onRequest: () => void): Promise<{ url: string; close(): Promise<void> }> {
  const server = net.createServer((socket) => {
    onRequest();
    socket.destroy();
  });
  await new Promise<void>((done, fail) => {
    server.once("error", fail);
    server.listen(0, "127.0.0.1", () => done());
  });
  return {
    url: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`,
    close: () => new Promise<void>((done) => server.close(() => done())),
  };
}

/** The start-up message for a server whose backend does not run here, naming it, its URL and the rewrite to add. */
function unavailableReason(server: LocalServer): string {
  const rewrite = `LOCAL_URL_REWRITES='{"${server.backendOrigin}":"http://127.0.0.1:<port>"}'`;
  return server.kind === "url"
    ? `MCP server "${server.name}" has a url backend (${server.backendOrigin}) that npm run local does not call; run a copy on this machine and set ${rewrite}. Until then its requests answer 502.`
    : `MCP server "${server.name}" has an app-service backend (a prebuilt package, ${server.backendOrigin} when deployed) that npm run local cannot run; start the package on this machine and set ${rewrite}. Until then its requests answer 502.`;
}

/** An origin nothing listens on: where the Entra stand-in is said to be before it has started. */
const NOT_YET = "http://127.0.0.1:9";

/**
 * Starts stand-in, MCP servers and gateway in this process. Each binds its own socket (port 0 picks a free one,
 * read back from the socket) before anything needs its URL: the gateway first (the Entra applications' redirect
 * URIs name it), then the Entra stand-in and the sample MCP servers; the gateway's configuration, which names them
 * all, comes last.
 */
export async function startLocalStack(options: LocalStackOptions): Promise<LocalStack> {
  const logLevel = options.logLevel ?? "warn";
  const log = createLogger(logLevel);
  const closers: (() => Promise<void>)[] = [];
  const closeAll = async () => {
    while (closers.length) await closers.pop()!().catch(() => undefined);
  };
  try {
    const listener = await listenLoopback(options.ports?.gateway ?? 0, "gateway");
    closers.push(() => new Promise<void>((done) => (listener.listening ? listener.close(() => done()) : done())));
    const gatewayUrl = `http://127.0.0.1:${(listener.address() as net.AddressInfo).port}`;

    // Ids and keys first (kept from earlier runs); the Entra stand-in's URL is only known once it listens.
    const early = generateLocalValues(options.tf, { gatewayUrl, entraUrl: NOT_YET }, options.previousValues);
    const extra = options.extraUrlRewrites ?? {};
    for (const origin of Object.keys(extra)) {
      const own = early.urlRewrites?.[origin];
      const made = own !== undefined ? (own === NOT_YET ? "the Entra stand-in" : own) : localServers(options.tf, early).some((s) => s.kind === "sample" && s.backendOrigin === origin) ? "a local sample MCP server" : undefined;
      if (made !== undefined) {
        throw new Error(`URL rewrite for ${origin} (LOCAL_URL_REWRITES) collides with one npm run local makes itself (to ${made}); choose another origin`);
      }
    }
    const identities = localIdentities(options.tf, early);
    const registrations = localEntraApps(options.tf, early).map((app) => ({
      clientId: app.clientId,
      redirectUris: app.redirectUris.length ? app.redirectUris.map((uri) => applyUrlRewrites(uri, early.urlRewrites ?? {})) : [`${gatewayUrl}/oauth-callback`],
      scopeName: app.scopeName,
      extraScopeNames: app.extraScopeNames,
      appRoles: app.appRoles,
      assignmentRequired: app.assignmentRequired,
    }));
    const entra = await startEntraStandIn({
      tenantId: identities.tenantId,
      port: options.ports?.entra ?? 0,
      apps: registrations.length ? registrations : [{ clientId: identities.appClientId, redirectUris: [`${gatewayUrl}/oauth-callback`], scopeName: identities.scopeName }],
      managedIdentity: { clientId: identities.managedIdentityClientId, principalId: identities.managedIdentityPrincipalId },
      accessTokenLifetimeSeconds: options.entraAccessTokenLifetimeSeconds,
      ...(options.entraUsers ? { users: options.entraUsers } : {}),
    });
    closers.push(() => entra.close());

    const generated = generateLocalValues(options.tf, { gatewayUrl, entraUrl: entra.baseUrl }, early);
    const servers = localServers(options.tf, generated);
    const samples = servers.filter((s) => s.kind === "sample");
    if (servers.length === 0) throw new Error("the configuration has no MCP server: no API Management API has a backend (service_url)");

    // Where each server's requests go here: a local sample server, the user's rewrite, or nowhere.
    const serverRewrites: Record<string, string> = {};
    const running: LocalStackServer[] = [];
    for (const server of servers) {
      let mcp: RunningServer | undefined;
      let localBackend: string;
      let unavailable: string | undefined;
      if (server.kind === "sample") {
        const mcpConfig = loadMcpConfig({
          MCP_AUTH: "on",
          HOST: "127.0.0.1",
          PORT: String(server === samples[0] ? (options.ports?.mcp ?? 0) : 0),
          ENTRA_TENANT_ID: server.appSettings!.ENTRA_TENANT_ID,
          ENTRA_CLIENT_ID: server.appSettings!.ENTRA_CLIENT_ID,
          MCP_REQUIRED_SCOPE: server.appSettings!.MCP_REQUIRED_SCOPE,
          ENTRA_ISSUER: entra.issuer,
          ENTRA_JWKS_URI: entra.jwksUri,
          MCP_LOG_LEVEL: logLevel,
          MCP_RESPONSE_MODE: options.mcpResponseMode,
        });
        const started = await startMcpServer(mcpConfig, log).catch((e: NodeJS.ErrnoException) => {
          throw new Error(e.code === "EADDRINUSE" ? `port ${mcpConfig.port} for MCP server "${server.name}" is in use; set another with the environment variable named in local/run.ts` : e.message);
        });
        mcp = started;
        closers.push(() => started.close());
        localBackend = serverRewrites[server.backendOrigin] = started.url;
      } else if (extra[server.backendOrigin] !== undefined) {
        localBackend = extra[server.backendOrigin]!;
      } else {
        unavailable = unavailableReason(server);
        const sink = await startUnreachable(() => log.warn(`request for MCP server "${server.name}" answered 502: its ${server.kind} backend does not run locally (see the start-up message)`, { server: server.name, backend: server.backendOrigin }));
        closers.push(() => sink.close());
        localBackend = serverRewrites[server.backendOrigin] = sink.url;
      }
      running.push({ ...server, endpoint: `${gatewayUrl}/${server.path}`, localBackend, mcp, unavailable });
    }
    const values = { ...generated, urlRewrites: { ...generated.urlRewrites, ...serverRewrites, ...extra, ...options.overrideUrlRewrites } };
    const config = loadGatewayConfig(options.tf, values);

    let evaluator = options.evaluator;
    if (!evaluator) {
      const host = await ExpressionHost.start();
      closers.push(() => host.close());
      evaluator = host;
    }
    const gateway = await startGateway(config, {
      evaluator,
      listener,
      cache: options.cache,
      managedIdentityTokenUrl: entra.managedIdentityTokenUrl,
      logger: {
        debug: (m) => log.debug(m),
        warn: (m) => log.warn(m),
        audit: options.onAudit ?? ((event) => (logLevel === "silent" ? undefined : void process.stdout.write(`${event}\n`))),
      },
    });
    closers.push(() => gateway.close());

    return {
      mcpEndpoint: running[0]!.endpoint,
      servers: running,
      gateway,
      entra,
      mcp: running.find((server) => server.mcp)?.mcp,
      values,
      identities: localIdentities(options.tf, values),
      close: closeAll,
    };
  } catch (e) {
    await closeAll();
    throw e;
  }
}

/**
 * Synthesizes into cdktf.out when the synth inputs (configuration variables, platform file contents,
 * sources) differ from those cdk.tf.json at `tfPath` was made from (local/synth-inputs.ts).
 * @returns whether it synthesized.
 */
export async function synthesizeIfChanged(tfPath: string, env: Record<string, string | undefined>, outdir?: string): Promise<boolean> {
  const fingerprint = synthInputsFingerprint(env);
  const reason = synthNeeded(tfPath, fingerprint);
  if (!reason) return false;
  console.log(`${reason}; synthesizing...`);
  const { synthesize } = await import("../main.js");
  await synthesize({ env, outdir });
  recordSynthInputs(tfPath, fingerprint);
  return true;
}

async function main(): Promise<void> {
  const settings = localSettings(process.env);
  const tfPath = resolve(process.env.LOCAL_TF_JSON ?? DEFAULT_TF_JSON);
  const valuesPath = resolve(process.env.LOCAL_VALUES ?? "local.values.json");

  if (!process.env.LOCAL_TF_JSON) await synthesizeIfChanged(tfPath, process.env);
  const tf = readTerraformJson(tfPath);
  let previous: LocalValues | undefined;
  if (existsSync(valuesPath)) {
    try {
      previous = JSON.parse(readFileSync(valuesPath, "utf8")) as LocalValues;
    } catch {
      throw new Error(`${valuesPath} is not valid JSON; delete it and run again to regenerate it`);
    }
  }
  const stack = await startLocalStack({
    tf,
    previousValues: previous,
    ports: settings.ports,
    logLevel: settings.logLevel,
    mcpResponseMode: settings.mcpResponseMode,
    extraUrlRewrites: settings.urlRewrites,
    entraAccessTokenLifetimeSeconds: settings.entraAccessTokenLifetimeSeconds,
    entraUsers: settings.entraUsers,
  });
  writeFileSync(valuesPath, `${JSON.stringify(stack.values, null, 2)}\n`, { mode: 0o600 });

  const users = stack.entra.users.map((u) => `${u.name}${u.roles?.length ? ` [${u.roles.join(", ")}]` : ""}`);
  console.log(`Entra stand-in: ${stack.entra.issuer} (${users.length > 1 ? `users, picked on its sign-in page: ${users.join("; ")}` : `test user: ${users[0]}`})`);
  console.log(`Gateway:        ${stack.gateway.url}`);
  for (const server of stack.servers) {
    const backend = server.mcp
      ? `local sample MCP server ${server.mcp.url}/mcp (accepts only tokens obtained through the gateway)`
      : server.unavailable
        ? "NOT RUNNING LOCALLY, answers 502"
        : `${server.backendOrigin} rewritten to ${server.localBackend}`;
    console.log(`Server ${server.name}: ${server.endpoint} -> ${backend}`);
    if (server.kind !== "sample" && !server.unavailable) {
      console.log(`  its token check here: issuer ${stack.entra.issuer}, audience = azp = ${server.entraClientId}, keys ${stack.entra.jwksUri}`);
    }
  }
  for (const server of stack.servers) if (server.unavailable) console.log(`Note: ${server.unavailable}`);
  console.log(`MCP endpoint: ${stack.mcpEndpoint}`);
  const confidential = Object.keys(stack.values.clientSecrets ?? {});
  if (confidential.length > 0) {
    // Where the secrets are, never the secrets (in Azure: terraform output -json static_client_secrets).
    console.log(`Confidential static clients ${confidential.join(", ")}: their secrets are in ${valuesPath} under clientSecrets.`);
  }
  console.log("Try it: npx @modelcontextprotocol/inspector (needs Node 22+), streamable-http, the MCP endpoint above, turn on the server card's toggle. Ctrl-C stops.");

  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    console.log("Stopping...");
    void stack.close().then(() => process.exit(0));
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}

const isEntryPoint = process.argv[1] !== undefined && /local[/\\]run\.[cm]?[jt]s$/.test(process.argv[1]);
if (isEntryPoint) {
  main().catch((e: unknown) => {
    console.error(`npm run local failed: ${(e as Error).message}`);
    process.exit(1);
  });
}
