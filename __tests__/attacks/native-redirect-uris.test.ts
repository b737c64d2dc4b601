/**
 * Threat: T-native-redirect. Native applications may use private-use URI schemes (RFC 8252 §7.1)
 * and loopback redirects on any port (§7.3); an attacker registers (or publishes a metadata
 * document) with a redirect URI that runs script or reads files in the browser (`javascript:`,
 * `data:`, `file:`, `vbscript:`), reaches the operating system's handlers (`ms-*`, `search-ms:`),
 * or sends the code over plain http off loopback, or claims to be a web application and uses a
 * loopback or private-use URI. The application type a client declares (DCR `application_type`, or
 * the document's) decides what it may use, and every refusal is `invalid_redirect_uri` at
 * registration or an error page at /authorize, never a redirect.
 */
import { describe, expect, it } from "vitest";
import { call, json, pkce, useAttackStack, type AttackEnv } from "../../test-support/attack-client.js";

let env: AttackEnv;
useAttackStack((started) => (env = started));

const register = (body: Record<string, unknown>) => call("POST", `${env.base}/register`, { body: JSON.stringify({ client_name: "Native test", ...body }), headers: { "Content-Type": "application/json" } });

const HOSTILE = [
  "javascript:alert(document.domain)",
  "javascript://x/%0Aalert(document.domain)",
  "data:text/html,<script>alert(1)</script>",
  "data:/text/html;base64,PHNjcmlwdD4=",
  "file:///etc/passwd",
  "vbscript:/msgbox",
  "ms-msdt:/id=PCWDiagnostic",
  "search-ms:/query=x",
  "about:/blank",
  "http://evil.example/callback",
  "myapp:callback",
  "myapp://user@host/cb",
];

describe("dynamic registration with application_type", () => {
  it("registers a native client with a private-use scheme and a loopback URI, and echoes its application_type", async () => {
    const reply = await register({ application_type: "native", redirect_uris: ["com.example.app:/oauth2redirect/example-provider", "http://127.0.0.1/callback"] });
    expect(reply.status).toBe(201);
    expect(json(reply).application_type).toBe("native");
    expect(json(reply).redirect_uris).toEqual(["com.example.app:/oauth2redirect/example-provider", "http://127.0.0.1/callback"]);
  });

  it.each(HOSTILE)("refuses %s even for a native client", async (uri) => {
    const reply = await register({ application_type: "native", redirect_uris: [uri] });
    expect(reply.status).toBe(400);
    expect(json(reply).error).toBe("invalid_redirect_uri");
  });

  it("refuses a private-use scheme without application_type, saying to send native", async () => {
    const reply = await register({ redirect_uris: ["com.example.app:/cb"] });
    expect(reply.status).toBe(400);
    expect(json(reply).error_description).toMatch(/private-use scheme 'com\.example\.app:'.*send application_type native/);
  });

  it.each(["http://127.0.0.1/callback", "http://localhost:8787/callback", "com.example.app:/cb"])("refuses %s for a web client: https only", async (uri) => {
    const reply = await register({ application_type: "web", redirect_uris: ["https://app.example/cb", uri] });
    expect(reply.status).toBe(400);
    expect(json(reply).error_description).toMatch(/redirect_uris\[1\] is not https; a client with application_type web may use only https/);
  });

  it.each(["browser", "Native", 1, true])("refuses application_type %j", async (type) => {
    const reply = await register({ application_type: type, redirect_uris: ["https://app.example/cb"] });
    expect(reply.status).toBe(400);
    expect(json(reply).error).toBe("invalid_client_metadata");
    expect(json(reply).error_description).toMatch(/application_type must be native or web/);
  });

  it("keeps the application type in the registration: a web client cannot later ask for a loopback URI", async () => {
    const reply = await register({ application_type: "web", redirect_uris: ["https://app.example/cb"] });
    const clientId = json(reply).client_id as string;
    const page = await call("GET", env.authorizeUrl({ clientId, challenge: pkce().challenge, redirectUri: "http://127.0.0.1:4000/cb" }));
    expect(page.status).toBe(400);
    expect(page.headers.get("location")).toBeNull();
  });

  it("sends a native client's code to its private-use callback, never anywhere else", async () => {
    const flow = await env.signIn({ clientId: json(await register({ application_type: "native", redirect_uris: ["com.example.app:/cb"] })).client_id as string, redirectUri: "com.example.app:/cb" });
    expect(flow.code).toBeTruthy();
    expect((await env.mcp(flow.tokens.access_token)).status).toBe(200);
    const other = await call("GET", env.authorizeUrl({ clientId: flow.clientId, challenge: pkce().challenge, redirectUri: "com.example.app:/cb2" }));
    expect(other.status).toBe(400);
    expect(other.headers.get("location")).toBeNull();
  });

  it("names the private-use application, not a host, on its error page", async () => {
    const clientId = json(await register({ application_type: "native", redirect_uris: ["com.example.app:/cb"] })).client_id as string;
    const reply = await call("GET", env.authorizeUrl({ clientId, challenge: pkce().challenge, redirectUri: "com.example.app:/cb", extra: { code_challenge_method: "plain" } }));
    expect(reply.status).toBe(400);
    expect(reply.headers.get("location")).toBeNull();
    expect(reply.text).toContain("<strong>com.example.app:</strong> (an application on this computer)");
  });
});

describe("client ID metadata documents follow the same rules", () => {
  let n = 0;
  const documentFor = (body: Record<string, unknown>): string => {
    const id = `https://cimd.attack.example/native-${++n}.json`;
    env.serveDocument(`/native-${n}.json`, { client_id: id, client_name: "Document", token_endpoint_auth_method: "none", ...body });
    return id;
  };

  it("accepts a native document's private-use callback", async () => {
    const clientId = documentFor({ application_type: "native", redirect_uris: ["com.example.app:/cb"] });
    const reply = await call("GET", env.authorizeUrl({ clientId, challenge: pkce().challenge, redirectUri: "com.example.app:/cb" }));
    expect(reply.status).toBe(200);
    expect(reply.text).toContain("the application on this computer that opens <strong>com.example.app:</strong> links");
  });

  it.each([
    ["a private-use callback without application_type", { redirect_uris: ["com.example.app:/cb"] }, "com.example.app:/cb"],
    ["a loopback callback of a web document", { application_type: "web", redirect_uris: ["http://127.0.0.1/cb"] }, "http://127.0.0.1/cb"],
    ["javascript: in a native document", { application_type: "native", redirect_uris: ["javascript://x/%0Aalert(1)"] }, "javascript://x/%0Aalert(1)"],
    ["an unknown application_type", { application_type: "browser", redirect_uris: ["https://app.example/cb"] }, "https://app.example/cb"],
  ])("refuses %s with a page, not a redirect", async (_what, body, redirectUri) => {
    const reply = await call("GET", env.authorizeUrl({ clientId: documentFor(body), challenge: pkce().challenge, redirectUri }));
    expect(reply.status).toBe(400);
    expect(reply.headers.get("location")).toBeNull();
    expect(reply.text).not.toContain('value="approve"');
  });
});
