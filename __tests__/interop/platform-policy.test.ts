/**
 * Interop under a platform team's client policy (the `clients` block of the platform configuration
 * file, synthesized into the real stack): registration off, only VS Code's document and Anthropic's
 * documents (`https://claude.ai/*`) allowed, Cursor and a corporate CLI as static clients. The
 * allowed clients sign in as they publish themselves; ChatGPT (a document outside the list) gets an
 * error page naming it and nothing is fetched; MCP Inspector (registration only) learns from the
 * metadata that it cannot register and is refused if it tries; Cursor signs in with the static
 * CLIENT_ID from its configuration.
 */
import { describe, expect, it } from "vitest";
import { call, json, pkce, useAttackStack, type AttackEnv } from "../../test-support/attack-client.js";
import { platformWithClients } from "../../test-support/local-oauth-client.js";
import { runVerification } from "../../verify/checks.js";
import { CHATGPT, CLAUDE_AI, CLAUDE_CODE, CLIENT_DOCUMENT_ORIGINS, CURSOR, CURSOR_SCHEME_CALLBACK, discover, MCP_INSPECTOR, signInAs, VS_CODE } from "../../test-support/mcp-clients.js";

const CLIENTS = {
  registration: false,
  metadataDocuments: { allow: ["https://vscode.dev/oauth/client-metadata.json", "https://claude.ai/*"] },
  static: [
    { client_id: "cursor", client_name: "Cursor", redirect_uris: ["http://localhost:8787/callback", CURSOR_SCHEME_CALLBACK] },
    { client_id: "corp-cli", client_name: "Corp CLI", redirect_uris: ["http://127.0.0.1/callback"] },
  ],
};

let env: AttackEnv;
useAttackStack((started) => (env = started), { documentOrigins: CLIENT_DOCUMENT_ORIGINS, platform: platformWithClients(CLIENTS) });

describe("the allowed documents", () => {
  it("lets VS Code sign in (an exact URL of the list), shown as a known application", async () => {
    const run = await signInAs(env, VS_CODE, { port: 33418 });
    expect(run.identifiedBy).toBe("metadata document");
    expect(run.consentPage.text).toContain("Known application: its identity is published at vscode.dev, and this gateway's administrator allows it.");
    expect(run.mcp.status).toBe(200);
    expect(run.refreshed.status).toBe(200);
  });

  it("lets Claude Code and claude.ai sign in (the prefix https://claude.ai/*)", async () => {
    for (const run of [await signInAs(env, CLAUDE_CODE, { port: 45678 }), await signInAs(env, CLAUDE_AI)]) {
      expect(run.identifiedBy).toBe("metadata document");
      expect(run.consentPage.text).toContain("Known application");
      expect(run.mcp.status).toBe(200);
    }
  });
});

describe("a document outside the allow list", () => {
  it("refuses ChatGPT at /authorize with an error page naming it, never a redirect, and never fetches its document", async () => {
    env.serveDocument(new URL(CHATGPT.document!.url).pathname, CHATGPT.document!.body);
    const reply = await call("GET", env.authorizeUrl({ clientId: CHATGPT.document!.url, challenge: pkce().challenge, redirectUri: CHATGPT.redirectUri(0) }));
    expect(reply.status).toBe(400);
    expect(reply.headers.get("location")).toBeNull();
    expect(reply.headers.get("content-type")).toContain("text/html");
    expect(reply.text).toContain(`The client ${CHATGPT.document!.url} (a client ID metadata document) may not sign in here`);
    expect(reply.text).toContain("unauthorized_client");
    expect(env.documentRequests).not.toContain(new URL(CHATGPT.document!.url).pathname);
  });
});

describe("registration off", () => {
  it("names no registration_endpoint in the metadata, so MCP Inspector cannot identify itself", async () => {
    const { asMetadata } = await discover(env);
    expect(asMetadata).not.toHaveProperty("registration_endpoint");
    expect(asMetadata.client_id_metadata_document_supported).toBe(true);
    await expect(signInAs(env, MCP_INSPECTOR)).rejects.toThrow(/neither a metadata document the client uses nor a registration endpoint/);
  });

  it("refuses POST /register with 403 access_denied saying why, with CORS for browser clients", async () => {
    const reply = await call("POST", `${env.base}/register`, { body: JSON.stringify(MCP_INSPECTOR.registration!("")), headers: { "Content-Type": "application/json", Origin: MCP_INSPECTOR.origin! } });
    expect(reply.status).toBe(403);
    expect(reply.headers.get("access-control-allow-origin")).toBe("*");
    expect(json(reply).error).toBe("access_denied");
    expect(json(reply).error_description).toMatch(/Dynamic client registration is turned off at this gateway/);
  });
});

describe("static clients", () => {
  it("signs Cursor in with the static CLIENT_ID from its configuration, on its desktop callback", async () => {
    const run = await signInAs(env, CURSOR, { clientId: "cursor" });
    expect(run.callback.origin).toBe("http://localhost:8787");
    expect(run.consentPage.text).toContain("Known application: this gateway's administrator registered it.");
    expect(run.mcp.status).toBe(200);
    expect(run.refreshed.status).toBe(200);
  });

  it("signs Cursor in on its cursor:// callback (a static client is native unless configured otherwise)", async () => {
    const run = await signInAs(env, CURSOR, { clientId: "cursor", redirectUri: CURSOR_SCHEME_CALLBACK });
    expect(run.callback.toString().startsWith(`${CURSOR_SCHEME_CALLBACK}?code=`)).toBe(true);
    expect(run.mcp.status).toBe(200);
  });

  it("signs the corporate CLI in on any loopback port of its fixed redirect URI", async () => {
    const run = await signInAs(env, { name: "Corp CLI", redirectUri: (port) => `http://127.0.0.1:${port}/callback` }, { clientId: "corp-cli", port: 61234 });
    expect(run.callback.origin).toBe("http://127.0.0.1:61234");
    expect(run.mcp.status).toBe(200);
  });
});

describe("the post-deploy check (npm run verify) with registration off", () => {
  const NEEDS_A_CLIENT = ["SDK client reaches sign-in", "Authorize: no PKCE", "Authorize: consent page", "Token: bogus code"];

  it("passes every check with a static client, and checks that registration is refused", async () => {
    const report = await runVerification(env.base, { staticClient: { clientId: "corp-cli", redirectUri: "http://127.0.0.1:33418/callback" } });
    expect(report.results.filter((r) => !r.ok)).toEqual([]);
    const detail = Object.fromEntries(report.results.map((r) => [r.name, r.detail]));
    expect(detail["Register loopback client"]).toBe("registration off: 403 access_denied");
    expect(detail["Register: fragment refused"]).toBe("registration off: 403 access_denied");
    expect(detail["SDK client reaches sign-in"]).toMatch(/^discovery \+ static client by the SDK/);
    expect(report.ok).toBe(true);
  }, 60_000);

  it("without a static client, fails only the checks needing a client, saying what to pass", async () => {
    const report = await runVerification(env.base);
    const failed = Object.fromEntries(report.results.filter((r) => !r.ok).map((r) => [r.name, r.detail]));
    expect(Object.keys(failed)).toEqual(expect.arrayContaining(NEEDS_A_CLIENT));
    for (const name of Object.keys(failed)) expect(failed[name]).toMatch(/^needs a client, but registration is off at this gateway .*pass --client-id and --redirect-uri of a static client/);
    expect(report.results.find((r) => r.name === "Register loopback client")?.ok).toBe(true);
    expect(report.results.find((r) => r.name === "AS metadata (RFC 8414)")?.ok).toBe(true);
  }, 60_000);
});
