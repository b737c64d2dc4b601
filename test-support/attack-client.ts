/**
 * The attacker's (and the honest user's) toolkit against the local stack: the real synthesized
 * policies on the local gateway (Mono C#), the Entra stand-in and the MCP server, all on 127.0.0.1.
 * Raw HTTP only (no SDK), so every parameter, header and cookie is the test's to choose.
 *
 *   const env = await startAttackStack();
 *   const victim = new Browser();
 *   const flow = await env.signIn({ browser: victim });   // register, consent, Entra, callback, token
 *   await env.mcp(flow.tokens.access_token);              // 200
 *
 * A `Browser` keeps cookies per origin like a browser (the `__Host-` consent cookie included) and
 * never follows redirects by itself, so a test sees every hop.
 */
import { createHash, randomBytes } from "node:crypto";
import { afterAll, beforeAll } from "vitest";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { startLocalStack, type LocalStack } from "../local/run.js";
import type { LocalValues } from "../local/gateway/config.js";
import { ValueCache } from "../local/gateway/runtime-services.js";
import { generateLocalValues } from "../local/gateway/local-values.js";
import { startBackend } from "./local-gateway.js";
import { CookieJar, parseConsentForm, parseEntraSignInPage, synthesizeForLocal, type ConsentForm } from "./local-oauth-client.js";
import type { EntraUser } from "../local/entra/stand-in.js";

export const ATTACK_REDIRECT = "http://127.0.0.1:33418/callback";
/** The https origin of locally served client ID metadata documents (rewritten to a local server). */
export const CIMD_ORIGIN = "https://cimd.attack.example";

export interface Reply {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  /** The Location header resolved against the request URL, when there is one. */
  readonly location?: URL;
}

export function json(reply: Reply): Record<string, unknown> {
  try {
    return JSON.parse(reply.text) as Record<string, unknown>;
  } catch {
    throw new Error(`expected JSON, got ${reply.status}: ${reply.text.slice(0, 300)}`);
  }
}

/** A browser: cookies per origin, manual redirects. */
export class Browser {
  readonly jar = new CookieJar();

  async request(method: string, url: string | URL, init: { body?: string; headers?: Record<string, string> } = {}): Promise<Reply> {
    const target = url.toString();
    const cookie = this.jar.header(target);
    const res = await fetch(target, { method, body: init.body, redirect: "manual", headers: { ...(cookie ? { Cookie: cookie } : {}), ...init.headers } });
    this.jar.store(target, res);
    const location = res.headers.get("location");
    return { status: res.status, headers: res.headers, text: await res.text(), location: location ? new URL(location, target) : undefined };
  }

  get(url: string | URL): Promise<Reply> {
    return this.request("GET", url);
  }

  postForm(url: string | URL, fields: Record<string, string>): Promise<Reply> {
    return this.request("POST", url, { body: new URLSearchParams(fields).toString(), headers: { "Content-Type": "application/x-www-form-urlencoded" } });
  }
}

/** A plain HTTP call without cookies. */
export function call(method: string, url: string | URL, init: { body?: string; headers?: Record<string, string> } = {}): Promise<Reply> {
  return new Browser().request(method, url, init);
}

export function pkce(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString("base64url");
  return { verifier, challenge: createHash("sha256").update(verifier).digest("base64url") };
}

/** A confidential client's secret and how it sends it (its registered token_endpoint_auth_method). */
export interface ClientSecret {
  readonly method: "client_secret_basic" | "client_secret_post";
  readonly secret: string;
}

/** application/x-www-form-urlencoded encoding of one value (RFC 6749 appendix B). */
const formEncode = (v: string): string => encodeURIComponent(v).replace(/%20/g, "+");

/**
 * What authenticates `clientId` at /token and /revoke (RFC 6749 §2.3.1): nothing but client_id for
 * a public client; an HTTP Basic header of the form-url-encoded id and secret; or both in the body.
 */
export function clientAuthentication(clientId: string, secret?: ClientSecret): { fields: Record<string, string>; headers: Record<string, string> } {
  if (!secret) return { fields: { client_id: clientId }, headers: {} };
  if (secret.method === "client_secret_post") return { fields: { client_id: clientId, client_secret: secret.secret }, headers: {} };
  return { fields: {}, headers: { Authorization: `Basic ${Buffer.from(`${formEncode(clientId)}:${formEncode(secret.secret)}`).toString("base64")}` } };
}

export interface AuthorizeParams {
  readonly clientId: string;
  readonly challenge: string;
  /** @default ATTACK_REDIRECT */
  readonly redirectUri?: string;
  /** @default "client-state" */
  readonly state?: string;
  /** null leaves the parameter out (a client that sends none, e.g. Foundry). @default the stack's MCP resource */
  readonly resource?: string | null;
  /** Extra or replacing query parameters (raw, appended after the others). */
  readonly extra?: Record<string, string>;
}

export interface SignedIn {
  readonly clientId: string;
  readonly redirectUri: string;
  readonly verifier: string;
  readonly code: string;
  readonly tokens: { access_token: string; refresh_token: string; expires_in: number; scope: string };
}

export interface AttackEnv {
  readonly stack: LocalStack;
  /** The gateway's cache (pass it to another stack, with `stack.values`, to keep the grants; clear() simulates API Management losing its volatile cache). */
  readonly cache: ValueCache;
  /** Gateway origin, e.g. http://127.0.0.1:40123 */
  readonly base: string;
  /** The MCP resource (RFC 8707) and endpoint. */
  readonly resource: string;
  /** Serves client ID metadata documents at CIMD_ORIGIN + path. */
  serveDocument(path: string, body: unknown, headers?: Record<string, string>): void;
  /** Paths (with query) the document server was asked for, in order: shows whether the gateway fetched a URL. */
  readonly documentRequests: readonly string[];
  /** The gateway's audit events so far (parsed), oldest first. */
  readonly auditEvents: Record<string, unknown>[];
  /** Moves the gateway cache's clock forward. */
  advance(ms: number): void;
  register(redirectUris?: string[], metadata?: Record<string, unknown>): Promise<string>;
  authorizeUrl(params: AuthorizeParams): URL;
  /** Opens /authorize in `browser`, posts the consent form; returns the reply to the consent post (302 to Entra when approved). */
  consent(browser: Browser, url: URL, options?: { decision?: string; tamper?: (form: ConsentForm) => ConsentForm }): Promise<{ page: Reply; form: ConsentForm; reply: Reply }>;
  /**
   * Follows redirects in `browser` from `from` until one leaves for `redirectUri` (returned), or a non-redirect
   * (returned as `stopped`). The Entra stand-in's sign-in page (several users) is answered as `user` (an oid; the
   * stand-in's first user by default): the form is posted with that user's button.
   */
  follow(browser: Browser, from: URL, redirectUri: string, options?: { user?: string }): Promise<{ final?: URL; stopped?: Reply; hops: string[] }>;
  /**
   * The whole honest flow in one browser: register (unless clientId), consent, Entra (signed in as `user`, an oid
   * of the stand-in's users), callback, token; for `resource` (another server's endpoint) and `scope` when given;
   * a confidential client authenticates at /token with `secret`.
   */
  signIn(options?: { browser?: Browser; clientId?: string; redirectUri?: string; state?: string; scope?: string; resource?: string; user?: string; secret?: ClientSecret }): Promise<SignedIn & { consentPage: Reply }>;
  /** POST /token with these form fields (and headers, e.g. an HTTP Basic Authorization). */
  token(fields: Record<string, string>, headers?: Record<string, string>): Promise<Reply>;
  /** A refresh grant as `clientId` (a confidential client with its `secret`). */
  refresh(clientId: string, refreshToken: string, secret?: ClientSecret): Promise<Reply>;
  /** POST /revoke with these form fields (and headers). */
  revoke(fields: Record<string, string>, headers?: Record<string, string>): Promise<Reply>;
  /**
   * Holds the gateway's next upstream refresh (POST /token grant_type=refresh_token at Entra) until
   * `release()`; `reached` resolves when the gateway has sent it. Needs `gateUpstream: true`.
   */
  holdUpstreamRefresh(): { reached: Promise<void>; release(): void };
  /**
   * What reached the MCP server through the gateway (method, path and body of each request, oldest
   * first): shows whether the gateway forwarded a request. Needs `countBackend: true`.
   */
  readonly backendRequests: readonly { method: string; url: string; headers: Record<string, string>; body: string }[];
  /** A tools/list call (or `body`) to the MCP endpoint (or `endpoint`, another server's) with this bearer token. */
  mcp(accessToken: string, body?: unknown, endpoint?: string): Promise<Reply>;
  close(): Promise<void>;
}

/** Starts the local stack from the real synthesized configuration, with a document server for CIMD tests. */
export async function startAttackStack(
  options: {
    entraAccessTokenLifetimeSeconds?: number;
    /** More https origins to serve from the document server (e.g. hosts the gateway must never fetch). */
    documentOrigins?: readonly string[];
    /** Put a proxy in front of the Entra stand-in so a test can hold upstream refreshes (`holdUpstreamRefresh`). */
    gateUpstream?: boolean;
    /** Put a recording proxy in front of the MCP server, so a test sees what the gateway forwarded (`backendRequests`). */
    countBackend?: boolean;
    /** The platform configuration file to synthesize with (e.g. `platformWithClients({...})`). @default none: the default stack */
    platform?: unknown;
    /** Keys and ids of an earlier stack (its `stack.values`), so its registrations and tokens stay valid. @default fresh ones */
    previousValues?: LocalValues;
    /** The gateway cache to use (an earlier stack's `cache` keeps its grants). @default a new one with a controllable clock */
    cache?: ValueCache;
    /** More URL rewrites (https origin -> local http origin), e.g. a `url` backend's origin to a server the test runs. @default none */
    urlRewrites?: Readonly<Record<string, string>>;
    /** The Entra stand-in's users (several: its sign-in page, answered by `follow` as the chosen user). @default its one test user */
    entraUsers?: readonly EntraUser[];
  } = {},
): Promise<AttackEnv> {
  const documents = new Map<string, { body: unknown; headers: Record<string, string> }>();
  const docs = await startBackend((req, _body, res) => {
    const doc = documents.get(req.url ?? "");
    if (!doc) return void res.writeHead(404).end();
    res.writeHead(200, { "Content-Type": "application/json", ...doc.headers });
    res.end(typeof doc.body === "string" ? doc.body : JSON.stringify(doc.body));
  });
  let offset = 0;
  const auditEvents: Record<string, unknown>[] = [];
  const gate = options.gateUpstream ? await startGate() : undefined;
  const tf = await synthesizeForLocal({ platform: options.platform });
  const cache = options.cache ?? new ValueCache(() => Date.now() + offset);
  // The recording proxy takes the MCP server's place: the values are made first, so its App Service host is known.
  const backendGate = options.countBackend ? await startGate() : undefined;
  const unused = "http://127.0.0.1:9";
  const previousValues = backendGate ? generateLocalValues(tf, { gatewayUrl: unused, mcpAppUrl: unused, entraUrl: unused }, options.previousValues) : options.previousValues;
  const appOrigins = backendGate ? Object.entries(previousValues!.urlRewrites ?? {}).filter(([, to]) => to === unused).map(([from]) => from).filter((from) => from.endsWith(".azurewebsites.net")) : [];
  if (backendGate && appOrigins.length !== 1) throw new Error(`countBackend: expected one App Service backend, found ${appOrigins.join(", ") || "none"}`);
  const stack = await startLocalStack({
    tf,
    previousValues,
    logLevel: process.env.E2E_LOG === "1" ? "debug" : "silent",
    extraUrlRewrites: { ...Object.fromEntries([CIMD_ORIGIN, ...(options.documentOrigins ?? [])].map((origin) => [origin, docs.url])), ...options.urlRewrites },
    overrideUrlRewrites: gate || backendGate ? { ...(gate ? { "https://login.microsoftonline.com": gate.url } : {}), ...(backendGate ? { [appOrigins[0]!]: backendGate.url } : {}) } : undefined,
    cache,
    onAudit: (event) => auditEvents.push(JSON.parse(event) as Record<string, unknown>),
    entraAccessTokenLifetimeSeconds: options.entraAccessTokenLifetimeSeconds,
    entraUsers: options.entraUsers,
  });
  const base = stack.gateway.url;
  const resource = stack.mcpEndpoint;
  gate?.target(stack.entra.baseUrl);
  backendGate?.target(stack.mcp!.url);

  const env: AttackEnv = {
    stack,
    cache,
    auditEvents,
    base,
    resource,
    serveDocument(path, body, headers = {}) {
      documents.set(path, { body, headers });
    },
    get documentRequests() {
      return docs.requests.map((r) => r.url);
    },
    advance(ms) {
      offset += ms;
    },
    async register(redirectUris = [ATTACK_REDIRECT], metadata = {}) {
      const reply = await call("POST", `${base}/register`, { body: JSON.stringify({ redirect_uris: redirectUris, client_name: "Attack test client", ...metadata }), headers: { "Content-Type": "application/json" } });
      if (reply.status !== 201) throw new Error(`registration answered ${reply.status}: ${reply.text.slice(0, 300)}`);
      return json(reply).client_id as string;
    },
    authorizeUrl(p) {
      const url = new URL(`${base}/authorize`);
      const q: Record<string, string> = {
        response_type: "code",
        client_id: p.clientId,
        redirect_uri: p.redirectUri ?? ATTACK_REDIRECT,
        state: p.state ?? "client-state",
        code_challenge: p.challenge,
        code_challenge_method: "S256",
        ...(p.resource === null ? {} : { resource: p.resource ?? resource }),
      };
      for (const [k, v] of Object.entries(q)) if (!(p.extra && k in p.extra)) url.searchParams.append(k, v);
      for (const [k, v] of Object.entries(p.extra ?? {})) url.searchParams.append(k, v);
      return url;
    },
    async consent(browser, url, opts = {}) {
      const page = await browser.get(url);
      if (page.status !== 200) throw new Error(`authorize answered ${page.status}: ${page.text.slice(0, 300)}`);
      let form = parseConsentForm(page.text, url.toString());
      if (opts.tamper) form = opts.tamper(form);
      const reply = await browser.postForm(form.action, { ...form.fields, decision: opts.decision ?? "approve" });
      return { page, form, reply };
    },
    async follow(browser, from, redirectUri, opts = {}) {
      const hops: string[] = [];
      let next: URL | undefined = from;
      for (let i = 0; i < 10 && next; i++) {
        if (next.toString().startsWith(redirectUri)) return { final: next, hops };
        hops.push(next.toString());
        let reply = await browser.get(next);
        if (reply.status === 200 && next.pathname === new URL(stack.entra.authorizeUrl).pathname) {
          // The stand-in's sign-in page: pick the user.
          const page = parseEntraSignInPage(reply.text, next.toString());
          const user = opts.user ?? stack.entra.user.oid;
          if (!page.users.some((u) => u.oid === user)) throw new Error(`the sign-in page offers no user ${user}: ${page.users.map((u) => u.oid).join(", ")}`);
          reply = await browser.postForm(page.action, { ...page.fields, user });
        }
        if (reply.status < 300 || reply.status >= 400 || !reply.location) return { stopped: reply, hops };
        next = reply.location;
      }
      throw new Error(`too many redirects: ${hops.join(" -> ")}`);
    },
    async signIn(opts = {}) {
      const browser = opts.browser ?? new Browser();
      const redirectUri = opts.redirectUri ?? ATTACK_REDIRECT;
      const clientId = opts.clientId ?? (await env.register([redirectUri]));
      const { verifier, challenge } = pkce();
      const target = opts.resource ?? resource;
      const { page, reply } = await env.consent(browser, env.authorizeUrl({ clientId, challenge, redirectUri, state: opts.state, resource: target, ...(opts.scope !== undefined ? { extra: { scope: opts.scope } } : {}) }));
      if (reply.status !== 302 || !reply.location) throw new Error(`consent answered ${reply.status}: ${reply.text.slice(0, 300)}`);
      const { final, stopped } = await env.follow(browser, reply.location, redirectUri, { user: opts.user });
      if (!final) throw new Error(`sign-in stopped with ${stopped?.status}: ${stopped?.text.slice(0, 300)}`);
      const code = final.searchParams.get("code");
      if (!code) throw new Error(`no code in ${final.toString()}`);
      const auth = clientAuthentication(clientId, opts.secret);
      const tokenReply = await env.token({ grant_type: "authorization_code", code, ...auth.fields, redirect_uri: redirectUri, code_verifier: verifier, resource: target }, auth.headers);
      if (tokenReply.status !== 200) throw new Error(`token answered ${tokenReply.status}: ${tokenReply.text}`);
      return { clientId, redirectUri, verifier, code, tokens: json(tokenReply) as unknown as SignedIn["tokens"], consentPage: page };
    },
    token(fields, headers = {}) {
      return call("POST", `${base}/token`, { body: new URLSearchParams(fields).toString(), headers: { "Content-Type": "application/x-www-form-urlencoded", ...headers } });
    },
    refresh(clientId, refreshToken, secret) {
      const auth = clientAuthentication(clientId, secret);
      return env.token({ grant_type: "refresh_token", refresh_token: refreshToken, ...auth.fields }, auth.headers);
    },
    revoke(fields, headers = {}) {
      return call("POST", `${base}/revoke`, { body: new URLSearchParams(fields).toString(), headers: { "Content-Type": "application/x-www-form-urlencoded", ...headers } });
    },
    get backendRequests() {
      if (!backendGate) throw new Error("startAttackStack({ countBackend: true }) is needed to see what reached the MCP server");
      return backendGate.requests;
    },
    holdUpstreamRefresh() {
      if (!gate) throw new Error("startAttackStack({ gateUpstream: true }) is needed to hold upstream refreshes");
      return gate.hold();
    },
    mcp(accessToken, body = { jsonrpc: "2.0", id: 1, method: "tools/list", params: {} }, endpoint = resource) {
      return call("POST", endpoint, {
        body: JSON.stringify(body),
        headers: { Authorization: `Bearer ${accessToken}`, "Content-Type": "application/json", Accept: "application/json, text/event-stream", "MCP-Protocol-Version": "2025-11-25" },
      });
    },
    async close() {
      await stack.close();
      await docs.close();
      await gate?.close();
      await backendGate?.close();
    },
  };
  return env;
}

/**
 * A proxy in front of the Entra stand-in (the gateway's rewrite of login.microsoftonline.com points
 * here) that can hold upstream refresh-token grants, so a test can act while one is in flight.
 */
async function startGate(): Promise<{ url: string; requests: { method: string; url: string; headers: Record<string, string>; body: string }[]; target(url: string): void; hold(): { reached: Promise<void>; release(): void }; close(): Promise<void> }> {
  let upstream = "";
  const requests: { method: string; url: string; headers: Record<string, string>; body: string }[] = [];
  let held: { reach: () => void; released: Promise<void> } | undefined;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks);
      requests.push({ method: req.method ?? "", url: req.url ?? "", headers: Object.fromEntries(Object.entries(req.headers).filter(([, v]) => typeof v === "string")) as Record<string, string>, body: body.toString("utf8") });
      const isRefresh = req.method === "POST" && /\/token$/.test(req.url ?? "") && new URLSearchParams(body.toString("utf8")).get("grant_type") === "refresh_token";
      const hold = isRefresh ? held : undefined;
      if (hold) held = undefined;
      hold?.reach();
      void (hold?.released ?? Promise.resolve()).then(async () => {
        const headers = Object.fromEntries(Object.entries(req.headers).filter(([k, v]) => typeof v === "string" && k !== "host" && k !== "content-length")) as Record<string, string>;
        const reply = await fetch(upstream + (req.url ?? "/"), { method: req.method, headers, body: req.method === "GET" || req.method === "HEAD" ? undefined : body, redirect: "manual" });
        const out: Record<string, string> = {};
        reply.headers.forEach((v, k) => {
          if (k !== "content-encoding" && k !== "content-length" && k !== "transfer-encoding") out[k] = v;
        });
        res.writeHead(reply.status, out).end(Buffer.from(await reply.arrayBuffer()));
      }).catch(() => res.writeHead(502).end());
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    target(url) {
      upstream = url;
    },
    hold() {
      let release!: () => void;
      let reach!: () => void;
      const released = new Promise<void>((resolve) => (release = resolve));
      const reached = new Promise<void>((resolve) => (reach = resolve));
      held = { reach, released };
      return { reached, release };
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * One attack stack for a test file: started before its first test (given to `started`), closed
 * after its last.
 */
export function useAttackStack(started: (env: AttackEnv) => void, options?: Parameters<typeof startAttackStack>[0]): void {
  let env: AttackEnv | undefined;
  beforeAll(async () => {
    env = await startAttackStack(options);
    started(env);
  }, 180_000);
  afterAll(async () => {
    await env?.close();
  });
}
