/**
 * Interop: every MCP client of the README's table signs in to the gateway with its default client
 * policy, as it publishes itself (test-support/mcp-clients.ts: its client ID metadata document,
 * its callbacks, how it chooses between a document and registration), on the local stack with the
 * real synthesized policies. Each sign-in goes from the 401 challenge through discovery,
 * identification, consent, Entra and the callback to a token that calls the MCP server and
 * refreshes; for callbacks that are not loopback (claude.ai, ChatGPT, vscode.dev, cursor://) the
 * browser ends at the client's callback with the code, which the test redeems as the client's
 * server or app would.
 */
import { describe, expect, it } from "vitest";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { UnauthorizedError } from "@modelcontextprotocol/sdk/client/auth.js";
import { call, pkce, useAttackStack, type AttackEnv } from "../../test-support/attack-client.js";
import { browserAuthorize, MemoryOAuthProvider } from "../../test-support/local-oauth-client.js";
import {
  CHATGPT,
  CLAUDE_AI,
  CLAUDE_CODE,
  CLIENT_DOCUMENT_ORIGINS,
  CURSOR,
  CURSOR_PRIVATE_USE,
  CURSOR_PRIVATE_USE_NATIVE,
  CURSOR_SCHEME_CALLBACK,
  discover,
  MCP_INSPECTOR,
  signInAs,
  VS_CODE,
  type SignInAs,
} from "../../test-support/mcp-clients.js";

let env: AttackEnv;
useAttackStack((started) => (env = started), { documentOrigins: CLIENT_DOCUMENT_ORIGINS });

/** A sign-in that ended with a working token: the callback carries iss, the token calls tools/list and refreshes. */
function expectWorking(run: SignInAs): void {
  expect(run.callback.searchParams.get("iss")).toBe(env.base);
  expect(run.tokens.token_type).toBe("Bearer");
  expect(run.mcp.status).toBe(200);
  expect(run.mcp.text).toContain("get_weather");
  expect(run.refreshed.status).toBe(200);
}

describe("VS Code (client ID metadata document)", () => {
  it("signs in on its fixed loopback port 33418", async () => {
    const run = await signInAs(env, VS_CODE, { port: 33418 });
    expect(run.identifiedBy).toBe("metadata document");
    expect(run.callback.origin).toBe("http://127.0.0.1:33418");
    expect(run.consentPage.text).toContain("Visual Studio Code");
    expect(run.consentPage.text).toContain("Its identity is published at vscode.dev.");
    expectWorking(run);
  });

  it("signs in on a random loopback port when 33418 is busy", async () => {
    const run = await signInAs(env, VS_CODE, { port: 51873 });
    expect(run.callback.origin).toBe("http://127.0.0.1:51873");
    expectWorking(run);
  });

  it("signs in through its web redirect https://vscode.dev/redirect", async () => {
    const run = await signInAs(env, VS_CODE, { redirectUri: "https://vscode.dev/redirect" });
    expect(`${run.callback.origin}${run.callback.pathname}`).toBe("https://vscode.dev/redirect");
    expectWorking(run);
  });
});

describe("Claude Code", () => {
  it("signs in with its document's portless http://localhost/callback on an ephemeral port", async () => {
    const run = await signInAs(env, CLAUDE_CODE, { port: 49152 });
    expect(run.identifiedBy).toBe("metadata document");
    expect(run.callback.origin).toBe("http://localhost:49152");
    expect(run.callback.pathname).toBe("/callback");
    expect(run.consentPage.text).toContain("(an application on this computer)");
    expectWorking(run);
  });

  it("registers with application_type native where no document is used, and signs in", async () => {
    const run = await signInAs(env, { ...CLAUDE_CODE, usesDocument: () => false }, { port: 50111 });
    expect(run.identifiedBy).toBe("registration");
    expect(run.consentPage.text).toContain("Unverified application");
    expectWorking(run);
  });
});

describe("claude.ai and Claude Desktop", () => {
  it("finds what it needs to use its document: client_id_metadata_document_supported and none", async () => {
    const { asMetadata } = await discover(env);
    expect(asMetadata.client_id_metadata_document_supported).toBe(true);
    // none first: the confidential methods (for Microsoft's clients) are listed after it and change nothing for a public client.
    expect(asMetadata.token_endpoint_auth_methods_supported).toEqual(["none", "client_secret_basic", "client_secret_post"]);
  });

  it.each(["https://claude.ai/api/mcp/auth_callback", "https://claude.com/api/mcp/auth_callback"])("signs in to its callback %s", async (callback) => {
    const run = await signInAs(env, CLAUDE_AI, { redirectUri: callback });
    expect(run.identifiedBy).toBe("metadata document");
    expect(`${run.callback.origin}${run.callback.pathname}`).toBe(callback);
    expect(run.consentPage.text).toContain(`<strong>${new URL(callback).host}</strong>`);
    expectWorking(run);
  });
});

describe("ChatGPT", () => {
  it("uses its document although it prefers private_key_jwt (it lists none), and signs in to its connector's callback", async () => {
    const run = await signInAs(env, CHATGPT);
    expect(run.identifiedBy).toBe("metadata document");
    expect(`${run.callback.origin}${run.callback.pathname}`).toBe(CHATGPT.redirectUri(0));
    expectWorking(run);
  });

  it("asks for offline_access because the AS metadata lists it (the resource metadata and the challenge do not), and gets a refresh token that rotates", async () => {
    const run = await signInAs(env, CHATGPT);
    expect(run.discovery.asMetadata.scopes_supported).toContain("offline_access");
    expect(run.discovery.resourceMetadata.scopes_supported).not.toContain("offline_access");
    expect(run.discovery.challengeScope).not.toContain("offline_access");
    expect(run.discovery.challengeScope.length).toBeGreaterThan(0);
    expect(run.tokens.refresh_token).toMatch(/\./);
    const next = JSON.parse(run.refreshed.text) as { refresh_token: string };
    expect(next.refresh_token).not.toBe(run.tokens.refresh_token);
  });

  it("is refused, with the reason, when its document offers only private_key_jwt", async () => {
    const body = { ...CHATGPT.document!.body, client_id: "https://chatgpt.com/oauth/g-onlyjwt/client.json", token_endpoint_auth_methods_supported: undefined };
    env.serveDocument("/oauth/g-onlyjwt/client.json", body);
    const reply = await call("GET", env.authorizeUrl({ clientId: body.client_id, challenge: pkce().challenge, redirectUri: CHATGPT.redirectUri(0) }));
    expect(reply.status).toBe(400);
    expect(reply.headers.get("location")).toBeNull();
    expect(reply.text).toContain("declares token_endpoint_auth_method private_key_jwt and does not list none");
  });
});

describe("Cursor", () => {
  it("signs in with its desktop callback http://localhost:8787/callback", async () => {
    const run = await signInAs(env, CURSOR);
    expect(run.identifiedBy).toBe("registration");
    expect(run.callback.origin).toBe("http://localhost:8787");
    expectWorking(run);
  });

  it("signs in to its cursor:// callback when it registers as a native application", async () => {
    const run = await signInAs(env, CURSOR_PRIVATE_USE_NATIVE);
    expect(run.callback.toString().startsWith(`${CURSOR_SCHEME_CALLBACK}?`)).toBe(true);
    expect(run.consentPage.text).toContain("the application on this computer that opens <strong>cursor:</strong> links");
    expectWorking(run);
  });

  it("is told to send application_type native when it registers cursor:// without it (the older Cursor)", async () => {
    await expect(signInAs(env, CURSOR_PRIVATE_USE)).rejects.toThrow(/registration answered 400: .*invalid_redirect_uri.*private-use scheme 'cursor:'.*send application_type native/);
  });
});

describe("MCP Inspector 2.x", () => {
  it("registers and redeems its code from its browser origin (CORS), and signs in", async () => {
    const preflight = await call("OPTIONS", `${env.base}/register`, { headers: { Origin: MCP_INSPECTOR.origin!, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type" } });
    expect(preflight.status).toBeLessThan(300);
    expect(preflight.headers.get("access-control-allow-origin")).toBe("*");
    expect(preflight.headers.get("access-control-allow-methods")).toContain("POST");
    const run = await signInAs(env, MCP_INSPECTOR);
    expect(run.identifiedBy).toBe("registration");
    expect(run.callback.origin).toBe("http://127.0.0.1:6274");
    expect(run.tokenReply.headers.get("access-control-allow-origin")).toBe("*");
    expectWorking(run);
  });
});

describe("the MCP TypeScript SDK's own client (the authorization code Claude Code and VS Code build on)", () => {
  it("picks the metadata document because the metadata advertises it, and calls tools", async () => {
    env.serveDocument(new URL(CLAUDE_CODE.document!.url).pathname, CLAUDE_CODE.document!.body);
    const redirect = "http://localhost:53682/callback";
    const provider = new MemoryOAuthProvider(redirect, "Claude Code", CLAUDE_CODE.document!.url);
    const transport = new StreamableHTTPClientTransport(new URL(env.resource), { authProvider: provider });
    await expect(new Client({ name: "claude-code", version: "1.0.0" }).connect(transport)).rejects.toBeInstanceOf(UnauthorizedError);
    expect(provider.lastAuthorizationUrl?.searchParams.get("client_id")).toBe(CLAUDE_CODE.document!.url);
    const { finalUrl, consentPage } = await browserAuthorize(provider.lastAuthorizationUrl!, redirect);
    expect(await consentPage.text()).toContain("Claude Code");
    await transport.finishAuth(finalUrl.searchParams.get("code")!);
    const client = new Client({ name: "claude-code", version: "1.0.0" });
    await client.connect(new StreamableHTTPClientTransport(new URL(env.resource), { authProvider: provider }));
    expect((await client.listTools()).tools.map((t) => t.name)).toContain("get_weather");
    await client.close();
  });
});

describe("per-client consent", () => {
  it("asks every client, every time: consent is never remembered across clients or sign-ins", async () => {
    const first = await signInAs(env, CLAUDE_CODE, { port: 40001 });
    const second = await signInAs(env, CLAUDE_CODE, { port: 40002 });
    const other = await signInAs(env, VS_CODE, { port: 33418 });
    for (const run of [first, second, other]) {
      expect(run.consentPage.status).toBe(200);
      expect(run.consentPage.text).toContain('value="approve"');
    }
    expect(other.consentPage.text).toContain("Visual Studio Code");
    expect(other.consentPage.text).not.toContain("Claude Code");
  });
});
