/**
 * What every post-deploy check shares: the types of a check, its context and its result, the
 * failure it throws (CheckFailed: expected versus actual, in one line), and the small helpers the
 * checks of each endpoint use to say what came back (never a secret: cookie values are never shown,
 * a registered client_id only by its length, server text clipped to one line).
 */
import { createHash, randomBytes } from "node:crypto";
import type { FetchLike } from "@modelcontextprotocol/client";
import { clip, describeError, request, RequestFailure, type HttpAnswer } from "./http.js";
import type { VerifyTarget } from "./target.js";

/** A check's outcome: expected versus actual, in one line. */
export class CheckFailed extends Error {
  override readonly name = "CheckFailed";
}

/** A check needs a client and there is none: its message says why and what to pass. */
export class NoClient extends CheckFailed {}

export interface RegisteredClient {
  readonly clientId: string;
  readonly status: number;
  readonly redirectUris?: readonly string[];
}

/** A client the administrator pre-registered (`clients.static` in the platform configuration file). */
export interface StaticClient {
  readonly clientId: string;
  /** One of its registered redirect URIs. */
  readonly redirectUri: string;
}

export interface CheckContext {
  readonly target: VerifyTarget;
  /** fetch with the per-request timeout. */
  readonly fetch: FetchLike;
  /** The redirect URI of the client the checks use: the static client's, or the loopback URI they register. */
  readonly redirectUri: string;
  /** The pre-registered client the checks use instead of registering one, when given. */
  readonly staticClient?: StaticClient;
  /**
   * The client the checks use: the static client when given, else one registered once per run (SDK registerClient).
   * Rejects with {@link NoClient} when there is none to use (registration failed, or is off and no static client).
   */
  client(): Promise<RegisteredClient>;
  /** A loopback client registered once per run; rejects with the registration failure. */
  register(): Promise<RegisteredClient>;
  /** Whether the gateway offers registration: its metadata names a registration_endpoint (true when unknown). */
  registrationOpen(): Promise<boolean>;
}

export interface Check {
  readonly name: string;
  /** Resolves with a short detail when the check passes; throws (CheckFailed) when it fails. */
  readonly run: (ctx: CheckContext) => Promise<string>;
}

export interface CheckResult {
  readonly name: string;
  readonly ok: boolean;
  readonly detail: string;
}

/** The loopback redirect URI of the client the checks register. */
export const REDIRECT_URI = "http://127.0.0.1:33418/mcp-verify/callback";
/** The Origin of the checks' cross-origin requests. */
export const CHECK_ORIGIN = "https://mcp-verify.example";
/** The request headers an MCP client in a browser sends (every preflight asks for them). */
export const CORS_HEADERS = ["Authorization", "Content-Type", "Mcp-Protocol-Version", "Mcp-Session-Id", "Mcp-Method", "Mcp-Name", "Last-Event-ID"];

export function fail(message: string): never {
  throw new CheckFailed(message);
}

/** A value as it goes into a detail: JSON, clipped; "nothing" when absent. */
export function show(v: unknown): string {
  if (v === undefined || v === null) return "nothing";
  return clip(typeof v === "string" ? JSON.stringify(v) : (JSON.stringify(v) ?? String(v)), 120);
}

/** What the answer was, for a failure detail: status, content type and the start of the body. */
export function answered(a: HttpAnswer): string {
  const type = a.headers.get("content-type");
  const body = clip(a.text, 100);
  return `HTTP ${a.status}${type ? ` ${clip(type, 40)}` : ""}${body ? ` "${body}"` : ""}`;
}

/** A failure detail for `e`: a RequestFailure already names the request; anything else gets `context`. */
export function because(context: string, e: unknown): string {
  return e instanceof RequestFailure ? e.message : `${context}: ${describeError(e)}`;
}

export function random(): string {
  return randomBytes(32).toString("base64url");
}

export function sameIssuer(a: string, b: string): boolean {
  return a.replace(/\/$/, "") === b.replace(/\/$/, "");
}

/** Header list (comma separated) as lower-case names. */
export function headerList(v: string | null): string[] {
  return (v ?? "").split(",").map((s) => s.trim().toLowerCase()).filter(Boolean);
}

export function expectStatus(a: HttpAnswer, expected: readonly number[], what: string): void {
  if (!expected.includes(a.status)) fail(`${what}: expected HTTP ${expected.join(" or ")}, got ${answered(a)}`);
}

export function oauthErrorOf(a: HttpAnswer): { error?: unknown; description?: unknown } {
  const j = a.json as { error?: unknown; error_description?: unknown } | undefined;
  return typeof j === "object" && j !== null ? { error: j.error, description: j.error_description } : {};
}

export function formBody(fields: Record<string, string>): string {
  return new URLSearchParams(fields).toString();
}

export const FORM = { "Content-Type": "application/x-www-form-urlencoded" };

export function expectedResourceMetadataUrl(t: VerifyTarget): string {
  return `${t.gatewayUrl}/.well-known/oauth-protected-resource/${t.mcpPath}`;
}

export function pkce(): { verifier: string; challenge: string } {
  const verifier = random();
  return { verifier, challenge: createHash("sha256").update(verifier).digest("base64url") };
}

/** The client a check uses; fails the check with why there is none. */
export async function clientFor(ctx: CheckContext): Promise<RegisteredClient> {
  return ctx.client().catch((e: unknown) => fail(e instanceof NoClient ? e.message : `needs a registered client, but registration failed: ${describeError(e)}`));
}

/** A CORS preflight from {@link CHECK_ORIGIN}: allowed origin, the methods and the request headers. */
export async function preflight(ctx: CheckContext, url: string, method: string, methods: readonly string[], headers: readonly string[]): Promise<string> {
  const a = await request(ctx.fetch, url, {
    method: "OPTIONS",
    headers: { Origin: CHECK_ORIGIN, "Access-Control-Request-Method": method, "Access-Control-Request-Headers": headers.map((h) => h.toLowerCase()).join(",") },
  });
  expectStatus(a, [200, 204], `OPTIONS ${url}`);
  const problems: string[] = [];
  const origin = a.headers.get("access-control-allow-origin");
  if (origin !== "*" && origin !== CHECK_ORIGIN) problems.push(`Access-Control-Allow-Origin: expected * or ${CHECK_ORIGIN}, got ${show(origin)}`);
  const allowedMethods = headerList(a.headers.get("access-control-allow-methods"));
  const missingMethods = methods.filter((m) => !allowedMethods.includes(m.toLowerCase()) && !allowedMethods.includes("*"));
  if (missingMethods.length) problems.push(`Access-Control-Allow-Methods: missing ${missingMethods.join(", ")} in ${show(a.headers.get("access-control-allow-methods"))}`);
  const allowedHeaders = headerList(a.headers.get("access-control-allow-headers"));
  // "*" does not cover Authorization (Fetch standard), so Authorization must be named.
  const missingHeaders = headers.filter((h) => !allowedHeaders.includes(h.toLowerCase()) && !(allowedHeaders.includes("*") && h !== "Authorization"));
  if (missingHeaders.length) problems.push(`Access-Control-Allow-Headers: missing ${missingHeaders.join(", ")} in ${show(a.headers.get("access-control-allow-headers"))}`);
  if (problems.length) fail(problems.join("; "));
  return `${a.status}, methods ${methods.join(" ")}, ${headers.length} headers`;
}
