/**
 * Single defects planted into a working gateway's answers, for the post-deploy check's tests: a
 * fetch that passes every request to the real (local) gateway and rewrites the answers matching
 * one defect, so each test shows that exactly the checks covering that behaviour fail.
 */
import type { FetchLike } from "@modelcontextprotocol/client";

export interface Answer {
  status: number;
  headers: Headers;
  body: string;
}

/** Rewrites one answer (or leaves it: return it unchanged). */
export type Defect = (request: { method: string; url: URL }, answer: Answer) => Answer;

/** A fetch that applies `defect` to every answer of `base`. */
export function withDefect(defect: Defect, base: FetchLike = fetch): FetchLike {
  return async (input, init) => {
    const res = await base(input, init);
    const url = new URL(input);
    const answer = defect({ method: (init?.method ?? "GET").toUpperCase(), url }, { status: res.status, headers: new Headers(res.headers), body: await res.text() });
    const nullBody = answer.status === 204 || answer.status === 304 || (answer.status >= 300 && answer.status < 400 && answer.body === "");
    return new Response(nullBody ? null : answer.body, { status: answer.status, headers: answer.headers });
  };
}

const on = (method: string, path: string | RegExp, change: (a: Answer, url: URL) => Answer): Defect => (req, a) =>
  req.method === method && (typeof path === "string" ? req.url.pathname === path : path.test(req.url.pathname)) ? change(a, req.url) : a;

const header = (a: Answer, name: string, value: string | undefined): Answer => {
  const headers = new Headers(a.headers);
  if (value === undefined) headers.delete(name);
  else headers.set(name, value);
  return { ...a, headers };
};

/** Every planted defect, by name. */
export const DEFECTS = {
  /** The 401 challenge without scope="...". */
  challengeWithoutScope: on("POST", "/mcp", (a) => header(a, "www-authenticate", a.headers.get("www-authenticate")?.replace(/,\s*scope="[^"]*"/, ""))),
  /** The 401 for a presented token without error="invalid_token". */
  challengeWithoutError: on("POST", "/mcp", (a) => header(a, "www-authenticate", a.headers.get("www-authenticate")?.replace(/,\s*error="[^"]*"/, "").replace(/,\s*error_description="[^"]*"/, ""))),
  /** Root protected resource metadata missing. */
  rootMetadataMissing: on("GET", "/.well-known/oauth-protected-resource", () => ({ status: 404, headers: new Headers({ "Content-Type": "application/json" }), body: '{"statusCode":404,"message":"Resource not found"}' })),
  /** `plain` PKCE advertised in both metadata documents. */
  plainPkceAdvertised: on("GET", /^\/\.well-known\/(oauth-authorization-server|openid-configuration)$/, (a) => ({ ...a, body: JSON.stringify({ ...(JSON.parse(a.body) as object), code_challenge_methods_supported: ["plain", "S256"] }) })),
  /** Registration answering 200 instead of 201 Created. */
  registration200: on("POST", "/register", (a) => (a.status === 201 ? { ...a, status: 200 } : a)),
  /** /authorize sends its own errors to whatever redirect_uri came (an open redirector). */
  authorizeErrorsRedirected: (req, a) => {
    if (req.method !== "GET" || req.url.pathname !== "/authorize" || a.status !== 400) return a;
    return { status: 302, headers: new Headers({ Location: `${req.url.searchParams.get("redirect_uri")}?error=invalid_request` }), body: "" };
  },
  /** The consent page can be framed. */
  consentFramable: on("GET", "/authorize", (a) => (a.status === 200 ? header(a, "x-frame-options", undefined) : a)),
  /** The consent cookie without the __Host- prefix. */
  consentCookieWithoutHostPrefix: on("GET", "/authorize", (a) => {
    const headers = new Headers();
    a.headers.forEach((v, k) => {
      if (k !== "set-cookie") headers.append(k, v);
    });
    for (const c of a.headers.getSetCookie()) headers.append("set-cookie", c.replace(/^__Host-/, ""));
    return { ...a, headers };
  }),
  /** Token errors cacheable. */
  tokenErrorsCacheable: on("POST", "/token", (a) => header(a, "cache-control", undefined)),
  /** Unknown tokens refused at /revoke (RFC 7009 asks for 200). */
  revokeUnknownRefused: on("POST", "/revoke", (a) => (a.status === 200 ? { status: 400, headers: new Headers({ "Content-Type": "application/json" }), body: '{"error":"invalid_token"}' } : a)),
  /** Preflights that do not allow Mcp-Name. */
  preflightWithoutMcpName: (req, a) =>
    req.method === "OPTIONS" ? header(a, "access-control-allow-headers", (a.headers.get("access-control-allow-headers") ?? "").split(",").map((s) => s.trim()).filter((s) => s.toLowerCase() !== "mcp-name").join(", ")) : a,
} satisfies Record<string, Defect>;
