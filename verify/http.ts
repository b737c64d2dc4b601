/**
 * HTTP plumbing of the post-deploy check: a fetch with a per-request timeout whose failures name
 * the request, a small request helper that reads the whole answer, and text clipping so nothing a
 * server sends can flood or garble the report.
 */
import type { FetchLike } from "@modelcontextprotocol/client";

/** A request that got no HTTP answer (network error, TLS failure, timeout). */
export class RequestFailure extends Error {
  override readonly name = "RequestFailure";
}

/** One line of at most `max` characters, control characters replaced (server text in the report). */
export function clip(text: string, max = 160): string {
  // eslint-disable-next-line no-control-regex
  const line = text.replace(/[\u0000-\u001f\u007f-\u009f]+/g, " ").replace(/\s+/g, " ").trim();
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

/** Method and URL of a request, without query (a query could carry values worth not printing). */
function requestLabel(url: string | URL, init?: RequestInit): string {
  const u = new URL(url);
  return `${(init?.method ?? "GET").toUpperCase()} ${u.origin}${u.pathname}`;
}

/** A readable reason for a thrown value: the network cause (ECONNREFUSED, ENOTFOUND, TLS) or a timeout. */
export function describeError(e: unknown, timeoutMs?: number): string {
  if (e instanceof RequestFailure) return e.message;
  const err = e as { name?: string; message?: string; cause?: { code?: string; message?: string } } | undefined;
  if (err?.name === "TimeoutError") return timeoutMs !== undefined ? `no answer within ${timeoutMs} ms` : "timed out";
  if (err?.name === "AbortError") return "request aborted";
  const issues = (e as { issues?: { path?: PropertyKey[]; message?: string }[] } | undefined)?.issues;
  if (err?.name === "ZodError" && Array.isArray(issues)) {
    // A document the SDK's schema refused: name the fields, not the schema dump.
    const list = issues.slice(0, 3).map((i) => `${(i.path ?? []).map(String).join(".") || "(document)"}: ${i.message ?? "invalid"}`);
    return clip(`the answer does not match the expected JSON document: ${list.join("; ")}`, 240);
  }
  const cause = err?.cause?.message ?? err?.cause?.code;
  return clip(cause ? `${err?.message ?? String(e)}: ${cause}` : (err?.message ?? String(e)), 240);
}

/**
 * A fetch whose every request (answer body included) is aborted after `timeoutMs`, and whose
 * failures are RequestFailure errors naming the request and the cause.
 */
export function timedFetch(timeoutMs: number, base: FetchLike = fetch): FetchLike {
  return async (url, init) => {
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = init?.signal ? AbortSignal.any([init.signal, timeout]) : timeout;
    try {
      return await base(url, { ...init, signal });
    } catch (e) {
      throw new RequestFailure(`${requestLabel(url, init)}: ${describeError(e, timeoutMs)}`);
    }
  };
}

export interface HttpAnswer {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  /** The body parsed as JSON, or undefined when it is not JSON. */
  readonly json: unknown;
}

/** Sends one request (redirects not followed) and reads the whole answer. */
export async function request(
  fetchFn: FetchLike,
  url: string,
  init: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<HttpAnswer> {
  const res = await fetchFn(url, { method: init.method ?? "GET", headers: init.headers, body: init.body, redirect: "manual" });
  let text: string;
  try {
    text = await res.text();
  } catch (e) {
    throw new RequestFailure(`${requestLabel(url, init)}: reading the answer failed: ${describeError(e)}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json };
}
