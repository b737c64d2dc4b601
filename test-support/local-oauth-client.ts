/**
 * End-to-end helpers for the local stack: an in-memory OAuthClientProvider for the real MCP SDK
 * client, a "browser" that walks the consent page (cookies, CSRF field, form post) and the
 * redirects through the Entra stand-in back to the client's redirect URI, and a synth of the real
 * stack into a temporary folder.
 */
import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { OAuthClientInformationMixed, OAuthClientMetadata, OAuthClientProvider, OAuthTokens } from "@modelcontextprotocol/client";

/** What the SDK asks a provider to keep between the redirect and the callback (its type is not exported). */
type OAuthDiscoveryState = Parameters<NonNullable<OAuthClientProvider["saveDiscoveryState"]>>[0];

/** The platform configuration of the default stack (the sample server at /mcp) with a `clients` block. */
export function platformWithClients(clients: Record<string, unknown>): Record<string, unknown> {
  return { servers: [{ name: "weather", path: "mcp", title: "Weather", backend: { kind: "sample" } }], clients };
}

/**
 * Synthesizes the real stack (main.ts) into a temporary folder; returns the parsed cdk.tf.json.
 * With `platform`, that object is written as the platform configuration file (MCP_PLATFORM_CONFIG).
 */
export async function synthesizeForLocal(options: { platform?: unknown } = {}): Promise<Record<string, unknown>> {
  const { synthesize } = await import("../main.js");
  const outdir = mkdtempSync(join(tmpdir(), "local-synth-"));
  try {
    const env: Record<string, string> = {};
    if (options.platform !== undefined) {
      env.MCP_PLATFORM_CONFIG = join(outdir, "platform.json");
      writeFileSync(env.MCP_PLATFORM_CONFIG, JSON.stringify(options.platform, null, 2));
    }
    await synthesize({ env, outdir, buildDir: join(outdir, "build") });
    return JSON.parse(readFileSync(join(outdir, "stacks", "mcp", "cdk.tf.json"), "utf8")) as Record<string, unknown>;
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

export class MemoryOAuthProvider implements OAuthClientProvider {
  client?: OAuthClientInformationMixed;
  savedTokens?: OAuthTokens;
  verifier = "";
  lastAuthorizationUrl?: URL;

  constructor(
    readonly redirect: string,
    readonly name = "e2e test client",
    readonly clientMetadataUrl?: string,
  ) {}

  get redirectUrl(): string {
    return this.redirect;
  }

  get clientMetadata(): OAuthClientMetadata {
    return { client_name: this.name, redirect_uris: [this.redirect], grant_types: ["authorization_code", "refresh_token"], response_types: ["code"], token_endpoint_auth_method: "none" };
  }

  clientInformation(): OAuthClientInformationMixed | undefined {
    return this.client;
  }

  saveClientInformation(info: OAuthClientInformationMixed): void {
    this.client = info;
  }

  tokens(): OAuthTokens | undefined {
    return this.savedTokens;
  }

  saveTokens(tokens: OAuthTokens): void {
    this.savedTokens = tokens;
  }

  redirectToAuthorization(url: URL): void {
    this.lastAuthorizationUrl = url;
  }

  saveCodeVerifier(v: string): void {
    this.verifier = v;
  }

  codeVerifier(): string {
    return this.verifier;
  }

  /** Kept between the redirect and the callback, so the SDK checks the callback against the same authorization server (SEP-2352). */
  discovery?: OAuthDiscoveryState;

  saveDiscoveryState(state: OAuthDiscoveryState): void {
    this.discovery = state;
  }

  discoveryState(): OAuthDiscoveryState | undefined {
    return this.discovery;
  }
}

/** Cookies per origin, as a browser keeps them (name=value only; attributes ignored). */
export class CookieJar {
  private readonly jar = new Map<string, Map<string, string>>();

  store(url: string, res: Response): void {
    const origin = new URL(url).origin;
    const m = this.jar.get(origin) ?? new Map<string, string>();
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(";");
      const eq = pair!.indexOf("=");
      m.set(pair!.slice(0, eq).trim(), pair!.slice(eq + 1).trim());
    }
    this.jar.set(origin, m);
  }

  /** Flips the last character of every cookie value for `url`'s origin (a forged cookie). */
  corrupt(url: string): void {
    const m = this.jar.get(new URL(url).origin);
    if (!m) return;
    for (const [k, v] of m) m.set(k, v.slice(0, -1) + (v.endsWith("A") ? "B" : "A"));
  }

  header(url: string): string | undefined {
    const m = this.jar.get(new URL(url).origin);
    return m && m.size ? [...m].map(([k, v]) => `${k}=${v}`).join("; ") : undefined;
  }
}

export interface ConsentForm {
  readonly action: string;
  readonly fields: Record<string, string>;
}

function decodeHtml(s: string): string {
  return s
    .replace(/&#x([0-9a-f]+);/gi, (_m, hex: string) => String.fromCodePoint(parseInt(hex, 16)))
    .replace(/&#([0-9]+);/g, (_m, dec: string) => String.fromCodePoint(parseInt(dec, 10)))
    .replace(/&quot;/g, '"').replace(/&#39;|&apos;/g, "'").replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&");
}

/** Reads the consent form (action and hidden fields) from the consent page. */
export function parseConsentForm(html: string, pageUrl: string): ConsentForm {
  const form = /<form\b[^>]*\baction="([^"]*)"/i.exec(html);
  if (!form) throw new Error(`no <form action> in the consent page: ${html.slice(0, 200)}`);
  const fields: Record<string, string> = {};
  for (const m of html.matchAll(/<input\b[^>]*>/gi)) {
    const name = /\bname="([^"]*)"/i.exec(m[0])?.[1];
    const value = /\bvalue="([^"]*)"/i.exec(m[0])?.[1] ?? "";
    if (name) fields[decodeHtml(name)] = decodeHtml(value);
  }
  return { action: new URL(decodeHtml(form[1]!), pageUrl).toString(), fields };
}

/** The Entra stand-in's sign-in page (several users): its form (action, the request as hidden fields) and one button per user. */
export interface EntraSignInPage extends ConsentForm {
  readonly users: readonly { readonly oid: string; readonly text: string }[];
}

/** Reads the Entra stand-in's sign-in page. */
export function parseEntraSignInPage(html: string, pageUrl: string): EntraSignInPage {
  const form = parseConsentForm(html, pageUrl);
  const users = [...html.matchAll(/<button\b[^>]*\bname="user"[^>]*\bvalue="([^"]*)"[^>]*>([^<]*)<\/button>/gi)].map((m) => ({ oid: decodeHtml(m[1]!), text: decodeHtml(m[2]!) }));
  if (users.length === 0) throw new Error(`no user buttons on the sign-in page: ${html.slice(0, 200)}`);
  return { ...form, users };
}

export interface BrowserResult {
  /** Where the flow ended: the client's redirect URI with code/state/iss, or an error. */
  readonly finalUrl: URL;
  /** Every URL visited after the consent post (Entra's authorize, the gateway's callback). */
  readonly hops: readonly string[];
  readonly consentPage: Response;
  readonly form: ConsentForm;
}

/**
 * Acts as the user's browser: opens the authorization URL, submits the consent form with
 * `decision` (approve by default), and follows redirects until one leaves for `redirectUri`.
 */
export async function browserAuthorize(
  authorizationUrl: URL,
  redirectUri: string,
  options: {
    decision?: string;
    jar?: CookieJar;
    tamper?: (form: ConsentForm) => ConsentForm;
    /** Called before each redirect is followed (e.g. to let time pass before the callback). */
    beforeHop?: (url: string) => void | Promise<void>;
  } = {},
): Promise<BrowserResult> {
  const jar = options.jar ?? new CookieJar();
  const page = await fetch(authorizationUrl, { redirect: "manual" });
  jar.store(authorizationUrl.toString(), page);
  const html = await page.clone().text();
  if (page.status !== 200) throw new Error(`authorization page answered ${page.status}: ${html.slice(0, 300)}`);
  let form = parseConsentForm(html, authorizationUrl.toString());
  if (options.tamper) form = options.tamper(form);
  let res = await fetch(form.action, {
    method: "POST",
    redirect: "manual",
    headers: { "Content-Type": "application/x-www-form-urlencoded", ...(jar.header(form.action) ? { Cookie: jar.header(form.action)! } : {}) },
    body: new URLSearchParams({ ...form.fields, decision: options.decision ?? "approve" }),
  });
  let url = form.action;
  jar.store(url, res);
  const visited: string[] = [];
  for (let hops = 0; hops < 10; hops++) {
    const location = res.headers.get("location");
    if (res.status < 300 || res.status >= 400 || !location) {
      throw new Error(`the flow stopped at ${url} with ${res.status}: ${(await res.text()).slice(0, 300)}`);
    }
    const next = new URL(location, url);
    if (next.toString().startsWith(redirectUri)) return { finalUrl: next, consentPage: page, form, hops: visited };
    url = next.toString();
    visited.push(url);
    await options.beforeHop?.(url);
    const cookie = jar.header(url);
    res = await fetch(url, { redirect: "manual", headers: cookie ? { Cookie: cookie } : {} });
    jar.store(url, res);
  }
  throw new Error("too many redirects");
}

/** S256 PKCE pair. */
export function pkcePair(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString("base64url");
  return { verifier, challenge: createHash("sha256").update(verifier).digest("base64url") };
}

/** Posts a form and returns status and parsed JSON (or text). */
export async function postForm(url: string, form: Record<string, string>): Promise<{ status: number; body: Record<string, unknown>; headers: Headers }> {
  const res = await fetch(url, { method: "POST", headers: { "Content-Type": "application/x-www-form-urlencoded" }, body: new URLSearchParams(form) });
  const text = await res.text();
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(text) as Record<string, unknown>;
  } catch {
    body = { text };
  }
  return { status: res.status, body, headers: res.headers };
}
