/**
 * Defects of a real deployment planted into the local stack's answers, for the tests of
 * verify/deploy-checks.ts: each rewrites one kind of answer (see test-support/verify-defects.ts).
 */
import type { Answer, Defect } from "./verify-defects.js";

const withLocation = (a: Answer, change: (u: URL) => void): Answer => {
  const location = a.headers.get("location");
  if (!location) return a;
  const url = new URL(location);
  change(url);
  const headers = new Headers(a.headers);
  headers.set("location", url.toString());
  return { ...a, headers };
};

const isUpstreamAuthorize = (url: URL) => url.pathname.endsWith("/oauth2/v2.0/authorize");

export const DEPLOY_DEFECTS = {
  /** The approved consent forwards the MCP client's state and adds resource (AADSTS9010010). */
  upstreamGetsClientState: ((req, a) =>
    req.method === "POST" && req.url.pathname === "/consent"
      ? withLocation(a, (u) => {
          u.searchParams.set("state", "mcp-verify-deploy-state");
          u.searchParams.set("resource", "https://gateway.example/mcp");
        })
      : a) satisfies Defect,
  /** The gateway asks Entra without offline_access and with another redirect URI. */
  upstreamWrongRedirectAndScope: ((req, a) =>
    req.method === "POST" && req.url.pathname === "/consent"
      ? withLocation(a, (u) => {
          u.searchParams.set("redirect_uri", "https://elsewhere.example/callback");
          u.searchParams.set("scope", (u.searchParams.get("scope") ?? "").replace(" offline_access", ""));
        })
      : a) satisfies Defect,
  /** Entra shows its error page: the callback is not a redirect URI of the application. */
  entraRedirectUriNotRegistered: ((req, a) =>
    req.method === "GET" && isUpstreamAuthorize(req.url)
      ? {
          status: 200,
          headers: new Headers({ "Content-Type": "text/html" }),
          body: '<html><script>$Config={"strServiceExceptionMessage":"AADSTS50011: The redirect URI \'https://gw/oauth-callback\' specified in the request does not match the redirect URIs configured for the application."}</script></html>',
        }
      : a) satisfies Defect,
  /** The callback redirects whatever it got (an open redirector for forged requests). */
  callbackRedirects: ((req, a) =>
    req.method === "GET" && req.url.pathname === "/oauth-callback"
      ? { status: 302, headers: new Headers({ Location: "https://attacker.example/", "Cache-Control": "no-store" }), body: "" }
      : a) satisfies Defect,
  /** The callback's error page echoes the code (and may be cached). */
  callbackEchoesCode: ((req, a) =>
    req.method === "GET" && req.url.pathname === "/oauth-callback" && req.url.searchParams.has("code")
      ? { status: 400, headers: new Headers({ "Content-Type": "text/html" }), body: `<p>bad code ${req.url.searchParams.get("code")}</p>` }
      : a) satisfies Defect,
  /** The MCP server answers without checking the token. */
  backendOpen: ((req, a) =>
    req.method === "POST" && req.url.pathname === "/mcp" && a.status === 401
      ? { status: 200, headers: new Headers({ "Content-Type": "application/json" }), body: '{"jsonrpc":"2.0","id":1,"result":{"tools":[]}}' }
      : a) satisfies Defect,
};
