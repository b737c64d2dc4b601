/**
 * Post-deploy checks of what a real tenant adds to the picture (issue "Ready for a real tenant"),
 * still needing no interactive sign-in:
 *
 * - the consent page, approved like a browser would, sends the user to Entra ID with the gateway's
 *   own state and PKCE, the server's application, the gateway's callback as redirect URI, the
 *   server's scope plus `openid profile offline_access`, no `resource` (AADSTS9010010), and
 *   nothing of the MCP client's own request;
 * - Entra accepts that sign-in request: its answer names no AADSTS error (unregistered redirect
 *   URI, unknown application, ...). This is the one request sent outside the gateway: a GET of the
 *   URL the gateway produced, without credentials;
 * - `/oauth-callback` refuses a forged state and an Entra error for no pending sign-in with a
 *   clean 400, never a redirect, a 500 or the code echoed back;
 * - with `--backend-url`: the MCP server itself (reachable from the internet: API Management v2
 *   traffic is not covered by the ApiManagement service tag) refuses calls without a valid Entra
 *   token, and its health check answers.
 *
 * What cannot be seen from outside is not claimed: whether Application Insights masks codes and
 * states (the README gives a query to run), whether admin consent was granted (only a sign-in
 * shows it), whether the external cache is attached.
 */
import { createHash } from "node:crypto";
import { isLoopbackHost, VerifyUsageError } from "./target.js";
import { answered, clientFor, fail, FORM, random, show, type Check, type CheckContext } from "./check.js";
import { clip, request } from "./http.js";

const CLIENT_STATE = "mcp-verify-deploy-state";

/** Entra error codes an administrator can act on, with what they mean here. */
const AADSTS_HINTS: Readonly<Record<string, string>> = {
  "50011": "the gateway's /oauth-callback is not a redirect URI of the application",
  "700016": "the application does not exist in this tenant (wrong tenant, or deleted)",
  "900971": "the application has no redirect URI",
  "9010010": "the request combines resource and scope",
  "90014": "a required parameter is missing",
  "50194": "the application is not multi-tenant but the request used a common endpoint",
  "65001": "nobody consented to the application (ENTRA_ADMIN_CONSENT)",
};

function decodeHtml(s: string): string {
  return s.replace(/&quot;/g, '"').replace(/&#39;|&apos;/g, "'").replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&");
}

/** The consent form of a page: its action and every named input (hidden fields). */
function consentForm(html: string): { action: string; fields: Record<string, string> } | undefined {
  const form = /<form\b[^>]*\baction="([^"]*)"/i.exec(html);
  if (!form) return undefined;
  const fields: Record<string, string> = {};
  for (const m of html.matchAll(/<input\b[^>]*>/gi)) {
    const name = /\bname="([^"]*)"/i.exec(m[0])?.[1];
    if (name) fields[decodeHtml(name)] = decodeHtml(/\bvalue="([^"]*)"/i.exec(m[0])?.[1] ?? "");
  }
  return { action: decodeHtml(form[1]!), fields };
}

interface UpstreamSignIn {
  /** Where the approved consent sends the browser. */
  readonly location: URL;
  /** What the MCP client sent, which must not reach Entra. */
  readonly client: { clientId: string; state: string; challenge: string; redirectUri: string };
}

const signIns = new WeakMap<CheckContext, Promise<UpstreamSignIn>>();

/**
 * Registers (once per run), opens /authorize with S256 PKCE, and approves the consent form as a
 * browser: its cookies sent back, every field posted with decision=approve. Once per run.
 */
function approvedConsent(ctx: CheckContext): Promise<UpstreamSignIn> {
  let signIn = signIns.get(ctx);
  if (!signIn) {
    signIn = (async () => {
      const registered = await clientFor(ctx);
      const challenge = createHash("sha256").update(random()).digest("base64url");
      const authorize = new URL(`${ctx.target.gatewayUrl}/authorize`);
      for (const [k, v] of Object.entries({ response_type: "code", client_id: registered.clientId, redirect_uri: ctx.redirectUri, state: CLIENT_STATE, resource: ctx.target.mcpUrl, code_challenge: challenge, code_challenge_method: "S256" })) {
        authorize.searchParams.set(k, v);
      }
      const page = await request(ctx.fetch, authorize.toString());
      if (page.status !== 200) fail(`the consent page: expected HTTP 200, got ${answered(page)}`);
      const form = consentForm(page.text);
      if (!form) fail("the consent page has no <form action>");
      const cookies = page.headers.getSetCookie().map((c) => c.split(";")[0]!.trim()).filter((c) => c.includes("="));
      const action = new URL(form.action, authorize).toString();
      if (new URL(action).origin !== ctx.target.gatewayUrl) fail(`the consent form posts to ${new URL(action).origin}; expected the gateway ${ctx.target.gatewayUrl}`);
      const answer = await request(ctx.fetch, action, {
        method: "POST",
        headers: { ...FORM, ...(cookies.length ? { Cookie: cookies.join("; ") } : {}) },
        body: new URLSearchParams({ ...form.fields, decision: "approve" }).toString(),
      });
      if (answer.status !== 302 && answer.status !== 303) fail(`approving the consent form: expected a redirect to Entra ID (302), got ${answered(answer)}`);
      const location = answer.headers.get("location");
      let url: URL;
      try {
        url = new URL(location ?? "", action);
      } catch {
        fail(`approving the consent form: expected a Location to Entra ID, got ${show(location)}`);
      }
      return { location: url, client: { clientId: registered.clientId, state: CLIENT_STATE, challenge, redirectUri: ctx.redirectUri } };
    })();
    signIns.set(ctx, signIn);
  }
  return signIn;
}

async function consentReachesEntra(ctx: CheckContext): Promise<string> {
  const { location, client } = await approvedConsent(ctx);
  const q = location.searchParams;
  const problems: string[] = [];
  if (location.origin === ctx.target.gatewayUrl) problems.push(`expected a redirect to Entra ID, got one to the gateway itself (${location.pathname})`);
  if (!location.pathname.endsWith("/oauth2/v2.0/authorize")) problems.push(`expected Entra's v2 authorize endpoint (/<tenant>/oauth2/v2.0/authorize), got ${location.origin}${location.pathname}`);
  if (q.get("response_type") !== "code") problems.push(`response_type: expected code, got ${show(q.get("response_type"))}`);
  if (q.get("redirect_uri") !== `${ctx.target.gatewayUrl}/oauth-callback`) problems.push(`redirect_uri: expected ${ctx.target.gatewayUrl}/oauth-callback, got ${show(q.get("redirect_uri"))}`);
  const entraClient = q.get("client_id") ?? "";
  if (entraClient === "" || entraClient === client.clientId) problems.push(`client_id: expected the MCP server's Entra application, got ${entraClient === "" ? "nothing" : "the MCP client's client_id"}`);
  if (q.get("code_challenge_method") !== "S256" || !q.get("code_challenge")) problems.push(`PKCE: expected the gateway's own S256 code_challenge, got method ${show(q.get("code_challenge_method"))}`);
  else if (q.get("code_challenge") === client.challenge) problems.push("code_challenge: the MCP client's challenge was passed to Entra; expected the gateway's own");
  const state = q.get("state") ?? "";
  if (state === "" || state.includes(client.state)) problems.push(`state: expected a fresh state of the gateway's, got ${state === "" ? "nothing" : "the MCP client's state"}`);
  const scopes = (q.get("scope") ?? "").split(" ").filter(Boolean);
  const missing = ["openid", "profile", "offline_access"].filter((s) => !scopes.includes(s));
  if (missing.length) problems.push(`scope: missing ${missing.join(", ")} in ${show(q.get("scope"))}`);
  if (!scopes.some((s) => /^api:\/\/[^/]+\/.+/.test(s))) problems.push(`scope: expected the MCP server's api://<client id>/<scope>, got ${show(q.get("scope"))}`);
  if (q.has("resource")) problems.push("resource: Entra refuses resource together with scope (AADSTS9010010); expected none");
  const href = location.href;
  if (href.includes(encodeURIComponent(client.redirectUri)) || href.includes(client.redirectUri)) problems.push("the MCP client's redirect_uri reached Entra");
  if (problems.length) fail(problems.join("; "));
  return `302 to ${location.origin}${location.pathname}; scope ${clip(scopes.join(" "), 120)}; gateway PKCE and state`;
}

async function entraAcceptsSignIn(ctx: CheckContext): Promise<string> {
  const { location } = await approvedConsent(ctx);
  if (location.protocol !== "https:" && !(location.protocol === "http:" && isLoopbackHost(location.hostname))) {
    fail(`the sign-in request goes to ${location.origin}; expected https (Entra ID)`);
  }
  const a = await request(ctx.fetch, location.toString());
  const error = /AADSTS(\d{5,})\b[^<"\\]{0,160}/.exec(a.text);
  if (error) {
    const hint = AADSTS_HINTS[error[1]!];
    fail(`Entra refused the sign-in request: ${clip(error[0], 180)}${hint ? ` (${hint})` : ""}`);
  }
  if (a.status >= 400) fail(`Entra answered the sign-in request with ${answered(a)}`);
  return `HTTP ${a.status} from ${location.origin}, no AADSTS error`;
}

/** An /oauth-callback request that no sign-in is waiting for: a clean 400, no redirect, no echo, no-store. */
async function callbackRefused(ctx: CheckContext, params: Record<string, string>, what: string, secret?: string): Promise<string> {
  const url = new URL(`${ctx.target.gatewayUrl}/oauth-callback`);
  for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
  const a = await request(ctx.fetch, url.toString());
  const problems: string[] = [];
  if (a.status !== 400) problems.push(`expected HTTP 400, got ${answered(a)}`);
  if (a.headers.get("location")) problems.push(`expected no redirect, got Location ${show(a.headers.get("location"))}`);
  if (!/no-store/i.test(a.headers.get("cache-control") ?? "")) problems.push(`Cache-Control: expected no-store, got ${show(a.headers.get("cache-control"))}`);
  if (secret !== undefined && a.text.includes(secret)) problems.push("the answer echoes the code it was sent");
  if (problems.length) fail(`${what}: ${problems.join("; ")}`);
  return `${a.status}, no redirect, no-store`;
}

const callbackForgedState = (ctx: CheckContext) => {
  const code = random();
  return callbackRefused(ctx, { code, state: random() }, "a code with a state the gateway never issued", code);
};
const callbackErrorWithoutSignIn = (ctx: CheckContext) =>
  callbackRefused(ctx, { error: "access_denied", error_description: "mcp-verify", state: random() }, "an Entra error for a state the gateway never issued");

/** The checks every run includes (after the gateway checks of checks.ts). */
export function deployChecks(): readonly Check[] {
  return [
    { name: "Consent approval redirects to Entra", run: consentReachesEntra },
    { name: "Entra accepts the sign-in request", run: entraAcceptsSignIn },
    { name: "Callback: forged state refused", run: callbackForgedState },
    { name: "Callback: Entra error without sign-in", run: callbackErrorWithoutSignIn },
  ];
}

/** Validates `--backend-url`: the MCP server's base URL (https, or http on loopback), nothing else. */
export function resolveBackendUrl(backendUrl: string): string {
  const example = "https://<app>.azurewebsites.net (the app_service_host_name output)";
  let url: URL;
  try {
    url = new URL(backendUrl);
  } catch {
    throw new VerifyUsageError(`--backend-url ${JSON.stringify(backendUrl)} is not a valid URL; expected the MCP server's base URL, e.g. ${example}`);
  }
  if (url.username !== "" || url.password !== "") throw new VerifyUsageError(`--backend-url must not contain a user name or password; expected e.g. ${example}`);
  if (url.protocol !== "https:" && !(url.protocol === "http:" && isLoopbackHost(url.hostname))) {
    throw new VerifyUsageError(`--backend-url ${JSON.stringify(backendUrl)} uses ${url.protocol.replace(/:$/, "")}; expected https (http only for a loopback host)`);
  }
  if (url.pathname !== "/" || url.search !== "" || url.hash !== "" || /[?#]/.test(backendUrl)) {
    throw new VerifyUsageError(`--backend-url ${JSON.stringify(backendUrl)} has a path, query or fragment; expected the base URL only, e.g. ${example}`);
  }
  return url.origin;
}

async function backendRefuses(ctx: CheckContext, backendUrl: string, bearer: string | undefined, what: string): Promise<string> {
  const a = await request(ctx.fetch, `${backendUrl}/mcp`, {
    method: "POST",
    headers: { "Content-Type": "application/json", Accept: "application/json, text/event-stream", ...(bearer ? { Authorization: `Bearer ${bearer}` } : {}) },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list", params: {} }),
  });
  if (a.status !== 401) fail(`${what}: expected HTTP 401 from POST ${backendUrl}/mcp, got ${answered(a)}`);
  if (!/^bearer\b/i.test(a.headers.get("www-authenticate") ?? "")) fail(`${what}: expected a WWW-Authenticate: Bearer challenge, got ${show(a.headers.get("www-authenticate"))}`);
  return "401 Bearer";
}

/** Checks of the MCP server behind the gateway, for `--backend-url` (`app_service_host_name` output). */
export function backendChecks(backendUrl: string, healthPath = "/healthz"): readonly Check[] {
  const base = resolveBackendUrl(backendUrl);
  const fakeJwt = () => [{ alg: "RS256", typ: "JWT" }, { aud: "api://mcp-verify", exp: Math.floor(Date.now() / 1000) + 600 }].map((p) => Buffer.from(JSON.stringify(p)).toString("base64url")).join(".") + `.${random()}`;
  return [
    { name: "Backend: no token refused", run: (ctx) => backendRefuses(ctx, base, undefined, "no Authorization header") },
    { name: "Backend: forged token refused", run: (ctx) => backendRefuses(ctx, base, fakeJwt(), "a JWT with a forged signature") },
    {
      name: "Backend: health check",
      run: async (ctx) => {
        const a = await request(ctx.fetch, `${base}${healthPath}`);
        if (a.status !== 200) fail(`GET ${base}${healthPath}: expected HTTP 200, got ${answered(a)}`);
        return "200";
      },
    },
  ];
}
