/**
 * Threats: T-client-allow-list, T-registration-off, T-static-client. A platform team restricts
 * which MCP clients may sign in (the `clients` block of the platform configuration file); an
 * attacker tries to get past it: documents that look like allowed ones (a longer path, a lookalike
 * host, another letter case, dot segments, a query), registering although registration is off, a
 * static client's id with another redirect URI. Every refusal is an error page (never a redirect)
 * and no refused document is ever fetched. Static clients' redirect URIs are the administrator's,
 * so once one is verified, errors go back to it (RFC 9700 §4.11.2: redirect only to a trusted URI).
 */
import { describe, expect, it } from "vitest";
import { Browser, CIMD_ORIGIN, call, json, pkce, useAttackStack, type AttackEnv } from "../../test-support/attack-client.js";
import { platformWithClients } from "../../test-support/local-oauth-client.js";

const LOOKALIKE = "https://cimd.attack.example.evil.example";
const EXACT = `${CIMD_ORIGIN}/exact.json`;
const PREFIX = `${CIMD_ORIGIN}/allowed/`;
const CLI_REDIRECT = "http://127.0.0.1/callback";
const PORTAL_REDIRECT = "https://portal.contoso.example/oauth/callback";

let env: AttackEnv;
useAttackStack((started) => (env = started), {
    documentOrigins: [LOOKALIKE],
    platform: platformWithClients({
      registration: false,
      metadataDocuments: { allow: [EXACT, `${PREFIX}*`] },
      static: [
        { client_id: "corp-cli", client_name: "Corp CLI", redirect_uris: [CLI_REDIRECT] },
        { client_id: "portal", client_name: "Portal", redirect_uris: [PORTAL_REDIRECT], application_type: "web" },
      ],
    }),
  });

/** Serves a valid public-client document for `url` (so only the allow list can stop it). */
function serve(url: string): void {
  env.serveDocument(new URL(url).pathname + new URL(url).search, { client_id: url, client_name: "Document client", redirect_uris: ["http://127.0.0.1:33418/callback"], token_endpoint_auth_method: "none" });
}

async function authorize(clientId: string, redirectUri = "http://127.0.0.1:33418/callback", extra: Record<string, string> = {}) {
  return call("GET", env.authorizeUrl({ clientId, challenge: pkce().challenge, redirectUri, extra }));
}

describe("the metadata document allow list", () => {
  it("lets the exact URL and a document under the prefix sign in", async () => {
    for (const url of [EXACT, `${PREFIX}client.json`]) {
      serve(url);
      const flow = await env.signIn({ clientId: url, redirectUri: "http://127.0.0.1:33418/callback" });
      expect((await env.mcp(flow.tokens.access_token)).status).toBe(200);
    }
  });

  const outside = [
    `${CIMD_ORIGIN}/exact.json?x=1`,
    `${CIMD_ORIGIN}/exact.json/`,
    `${CIMD_ORIGIN}/exact.jsonx`,
    `${CIMD_ORIGIN}/allowed-evil.json`,
    `${CIMD_ORIGIN}/Allowed/client.json`,
    `${CIMD_ORIGIN}/other/client.json`,
    `${LOOKALIKE}/allowed/client.json`,
    `${LOOKALIKE}/exact.json`,
  ];
  it.each(outside)("refuses %s before fetching it, with a page naming it", async (url) => {
    serve(url);
    const fetched = env.documentRequests.length;
    const reply = await authorize(url);
    expect(reply.status).toBe(400);
    expect(reply.headers.get("location")).toBeNull();
    expect(reply.text).toContain("unauthorized_client");
    expect(reply.text).toContain(`The client ${url.replace(/&/g, "&amp;")} (a client ID metadata document) may not sign in here`);
    expect(env.documentRequests.length).toBe(fetched);
  });

  it.each([`${PREFIX}../exact.json`, `${PREFIX}%2E%2E/evil.json`])("refuses the dot-segment escape %s from the prefix (no fetch)", async (url) => {
    const fetched = env.documentRequests.length;
    const reply = await authorize(url);
    expect(reply.status).toBe(400);
    expect(reply.headers.get("location")).toBeNull();
    expect(env.documentRequests.length).toBe(fetched);
  });
});

describe("registration off", () => {
  it("refuses POST /register with 403 access_denied, whatever the body", async () => {
    for (const body of [JSON.stringify({ redirect_uris: ["http://127.0.0.1/cb"] }), "{", ""]) {
      const reply = await call("POST", `${env.base}/register`, { body, headers: { "Content-Type": "application/json" } });
      expect(reply.status, body).toBe(403);
      expect(json(reply).error).toBe("access_denied");
    }
  });

  it("leaves registration_endpoint out of both metadata documents and lists offline_access", async () => {
    for (const path of ["/.well-known/oauth-authorization-server", "/.well-known/openid-configuration"]) {
      const meta = json(await call("GET", `${env.base}${path}`));
      expect(meta, path).not.toHaveProperty("registration_endpoint");
      expect(meta.scopes_supported).toContain("offline_access");
    }
  });

  it("lists only none as the authentication method when no client of the policy has a secret", async () => {
    const meta = json(await call("GET", `${env.base}/.well-known/oauth-authorization-server`));
    expect(meta.token_endpoint_auth_methods_supported).toEqual(["none"]);
    expect(meta.revocation_endpoint_auth_methods_supported).toEqual(["none"]);
  });

  it("refuses a client_id that is neither static nor a document, without echoing it", async () => {
    const reply = await authorize("corp-cli.AAAAAAAAAAAAAAAAAAAAAA", CLI_REDIRECT);
    expect(reply.status).toBe(400);
    expect(reply.headers.get("location")).toBeNull();
    expect(reply.text).toContain("unauthorized_client");
    expect(reply.text).not.toContain("corp-cli.AAAA");
  });
});

describe("static clients", () => {
  it("signs in on its fixed redirect URI with any loopback port, shown as known", async () => {
    const browser = new Browser();
    const page = await browser.get(env.authorizeUrl({ clientId: "corp-cli", challenge: pkce().challenge, redirectUri: "http://127.0.0.1:50505/callback" }));
    expect(page.status).toBe(200);
    expect(page.text).toContain("Corp CLI");
    expect(page.text).toContain("Known application: this gateway's administrator registered it.");
    const flow = await env.signIn({ clientId: "corp-cli", redirectUri: "http://127.0.0.1:50506/callback" });
    expect((await env.mcp(flow.tokens.access_token)).status).toBe(200);
  });

  it.each([
    ["another path", "http://127.0.0.1/callback/evil"],
    ["another loopback host", "http://localhost/callback"],
    ["an attacker's site", "https://evil.example/callback"],
    ["a port on its https URI", "https://portal.contoso.example:8443/oauth/callback"],
  ])("refuses %s as its redirect URI with a page, not a redirect", async (_what, redirectUri) => {
    const clientId = redirectUri.startsWith("https://portal") ? "portal" : "corp-cli";
    const reply = await authorize(clientId, redirectUri);
    expect(reply.status).toBe(400);
    expect(reply.headers.get("location")).toBeNull();
    expect(reply.text).toContain("not registered for this client");
  });

  it("is matched exactly: another letter case is not the static client", async () => {
    const reply = await authorize("Corp-CLI", CLI_REDIRECT);
    expect(reply.status).toBe(400);
    expect(reply.text).toContain("unauthorized_client");
  });

  it("gets errors redirected to its verified redirect URI, with state and iss (the administrator's URI is trusted)", async () => {
    const reply = await authorize("portal", PORTAL_REDIRECT, { code_challenge_method: "plain" });
    expect(reply.status).toBe(302);
    expect(`${reply.location!.origin}${reply.location!.pathname}`).toBe(PORTAL_REDIRECT);
    expect(reply.location!.searchParams.get("error")).toBe("invalid_request");
    expect(reply.location!.searchParams.get("state")).toBe("client-state");
    expect(reply.location!.searchParams.get("iss")).toBe(env.base);
    expect(reply.headers.get("referrer-policy")).toBe("no-referrer");
  });

  it("signs a web static client in on its https redirect URI", async () => {
    const flow = await env.signIn({ clientId: "portal", redirectUri: PORTAL_REDIRECT });
    expect((await env.mcp(flow.tokens.access_token)).status).toBe(200);
  });

  it("redeems its code only for itself: another client's id at /token is refused", async () => {
    const flow = await env.signIn({ clientId: "corp-cli", redirectUri: "http://127.0.0.1:50507/callback" });
    const stolen = await env.refresh("portal", flow.tokens.refresh_token);
    expect(stolen.status).toBe(400);
    expect(json(stolen).error).toBe("invalid_grant");
  });
});
