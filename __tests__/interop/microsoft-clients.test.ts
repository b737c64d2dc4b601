/**
 * Interop: Microsoft's own MCP clients (issue 19 item 4), reproduced as Microsoft Learn documents
 * them (test-support/mcp-clients.ts), on the local stack with the real synthesized policies and a
 * platform file with the static clients their administrators would add. Each signs in as a
 * confidential client, calls a tool, refreshes and revokes, with its secret on every token and
 * revocation request:
 * - Microsoft 365 Copilot registers dynamically and needs a client_secret in the 201; Teams redeems
 *   the code at its redirect URI and never follows a 307 from the token endpoint;
 * - Copilot Studio registers one client per connector (its per-connector redirect URL), or uses
 *   the static client an administrator configured with its secret ("Manual" OAuth);
 * - Foundry Agent Service's custom OAuth ("OAuth identity passthrough") uses a static confidential
 *   client with the redirect URL Foundry shows.
 * The administrator reads a static client's secret from `terraform output -json
 * static_client_secrets`; locally it is the local values' `clientSecrets`.
 */
import { describe, expect, it } from "vitest";
import { call, json, useAttackStack, type AttackEnv, type Reply } from "../../test-support/attack-client.js";
import { platformWithClients } from "../../test-support/local-oauth-client.js";
import {
  COPILOT_STUDIO,
  COPILOT_STUDIO_CONNECTORS,
  COPILOT_STUDIO_MANUAL,
  copilotStudioRedirect,
  discover,
  FOUNDRY,
  FOUNDRY_REDIRECT,
  M365_COPILOT,
  M365_COPILOT_REDIRECT,
  revokeAs,
  signInAs,
  type SignInAs,
} from "../../test-support/mcp-clients.js";

const CLIENTS = {
  static: [
    { client_id: "copilot-studio-weather", client_name: "Copilot Studio (weather)", redirect_uris: [COPILOT_STUDIO_MANUAL.redirectUri(0)], application_type: "web", confidential: true, token_endpoint_auth_method: "client_secret_post" },
    { client_id: "foundry-weather", client_name: "Foundry agents", redirect_uris: [FOUNDRY_REDIRECT], application_type: "web", confidential: true, token_endpoint_auth_method: "client_secret_post" },
  ],
};

let env: AttackEnv;
useAttackStack((started) => (env = started), { platform: platformWithClients(CLIENTS) });

/** What the administrator copies out of `terraform output -json static_client_secrets` (locally: the local values). */
function staticSecret(clientId: string): string {
  const secret = env.stack.values.clientSecrets?.[clientId];
  if (!secret) throw new Error(`no secret for ${clientId} in the local values' clientSecrets`);
  return secret;
}

const getWeather = { jsonrpc: "2.0", id: 2, method: "tools/call", params: { name: "get_weather", arguments: { city: "Redmond" } } };

/** A confidential client's sign-in ended with working tokens: callback with iss, a tool call with the refreshed token, and a revocation that ends the grant. */
async function expectWorking(run: SignInAs, redirectUri: string): Promise<void> {
  expect(`${run.callback.origin}${run.callback.pathname}`).toBe(redirectUri);
  expect(run.callback.searchParams.get("iss")).toBe(env.base);
  expect(run.tokenReply.status).toBe(200);
  expect(run.mcp.status).toBe(200);
  expect(run.refreshed.status, run.refreshed.text).toBe(200);
  const refreshed = json(run.refreshed) as { access_token: string };
  const tool = await env.mcp(refreshed.access_token, getWeather);
  expect(tool.status, tool.text).toBe(200);
  expect(tool.text).toContain("Redmond");
  const { revoked, mcp, refresh } = await revokeAs(env, run);
  expect(revoked.status, revoked.text).toBe(200);
  expect(mcp.status).toBe(401);
  expect(json(refresh).error).toBe("invalid_grant");
}

/** None of these answers of the token or revocation endpoint is a redirect (Microsoft 365 Copilot does not follow a 307 there). */
function expectNoRedirects(...replies: Reply[]): void {
  for (const reply of replies) {
    expect(reply.status < 300 || reply.status >= 400, `${reply.status} ${reply.text.slice(0, 100)}`).toBe(true);
    expect(reply.headers.get("location")).toBeNull();
  }
}

describe("Microsoft 365 Copilot (dynamic client registration with a secret)", () => {
  it("finds what its DCR auth config needs: a registration endpoint, PKCE S256 and client secrets at the token endpoint", async () => {
    const { asMetadata } = await discover(env);
    expect(asMetadata.registration_endpoint).toBe(`${env.base}/register`);
    expect(asMetadata.code_challenge_methods_supported).toEqual(["S256"]);
    expect(asMetadata.token_endpoint_auth_methods_supported).toEqual(expect.arrayContaining(["client_secret_post", "client_secret_basic"]));
    expect(asMetadata.revocation_endpoint_auth_methods_supported).toEqual(expect.arrayContaining(["client_secret_post", "client_secret_basic"]));
  });

  it("registers for Teams' redirect URI and gets a client_secret, signs in, calls a tool, refreshes and revokes", async () => {
    const run = await signInAs(env, M365_COPILOT);
    expect(run.identifiedBy).toBe("registration");
    expect(run.registered).toMatchObject({ token_endpoint_auth_method: "client_secret_post", client_secret_expires_at: 0, redirect_uris: [M365_COPILOT_REDIRECT], client_name: "Microsoft 365 Copilot" });
    expect(run.secret?.secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(run.consentPage.text).toContain("Microsoft 365 Copilot");
    expect(run.consentPage.text).toContain("<strong>teams.microsoft.com</strong>");
    await expectWorking(run, M365_COPILOT_REDIRECT);
  });

  it("signs in as well when it sends its secret in an HTTP Basic header (client_secret_basic)", async () => {
    const basic = { ...M365_COPILOT, authMethod: "client_secret_basic" as const, registration: (uri: string) => ({ ...M365_COPILOT.registration!(uri), token_endpoint_auth_method: "client_secret_basic" }) };
    const run = await signInAs(env, basic);
    expect(run.registered?.token_endpoint_auth_method).toBe("client_secret_basic");
    await expectWorking(run, M365_COPILOT_REDIRECT);
  });

  it("never gets a redirect from the token or revocation endpoint, and code, refresh and error answers are JSON", async () => {
    const run = await signInAs(env, M365_COPILOT);
    const replay = await env.token({ grant_type: "authorization_code", code: "not-a-code", client_id: run.clientId, client_secret: run.secret!.secret, redirect_uri: M365_COPILOT_REDIRECT, code_verifier: "x".repeat(43), resource: env.resource });
    const wrongSecret = await env.refresh(run.clientId, run.tokens.refresh_token, { method: "client_secret_post", secret: "not-the-secret" });
    expect(replay.status).toBe(400);
    expect(wrongSecret.status).toBe(401);
    expectNoRedirects(run.tokenReply, run.refreshed, replay, wrongSecret);
    for (const reply of [run.tokenReply, run.refreshed, replay, wrongSecret]) expect(reply.headers.get("content-type")).toContain("application/json");
    const { revoked } = await revokeAs(env, run);
    expectNoRedirects(revoked);
  });
});

describe("Copilot Studio", () => {
  it("registers one client per connector with that connector's redirect URL (Dynamic discovery), and each signs in, refreshes and revokes", async () => {
    const runs: SignInAs[] = [];
    for (const connector of COPILOT_STUDIO_CONNECTORS) {
      const redirect = copilotStudioRedirect(connector);
      const run = await signInAs(env, { ...COPILOT_STUDIO, redirectUri: () => redirect });
      expect(run.registered).toMatchObject({ token_endpoint_auth_method: "client_secret_basic", redirect_uris: [redirect] });
      await expectWorking(run, redirect);
      runs.push(run);
    }
    expect(runs[0]!.clientId).not.toBe(runs[1]!.clientId);
    expect(runs[0]!.secret!.secret).not.toBe(runs[1]!.secret!.secret);
  });

  it("keeps a connector's registration to its own redirect URL: another connector's is refused with a page, not a redirect", async () => {
    const first = await signInAs(env, COPILOT_STUDIO);
    const other = copilotStudioRedirect(COPILOT_STUDIO_CONNECTORS[1]);
    const page = await call("GET", env.authorizeUrl({ clientId: first.clientId, challenge: "A".repeat(43), redirectUri: other }));
    expect(page.status).toBe(400);
    expect(page.headers.get("location")).toBeNull();
    expect(page.text).toContain("The redirect_uri is missing or is not registered for this client.");
  });

  it("signs in with the static client an administrator configured (Manual OAuth: client id, secret, the connector's redirect URL)", async () => {
    const run = await signInAs(env, COPILOT_STUDIO_MANUAL, { clientId: "copilot-studio-weather", clientSecret: staticSecret("copilot-studio-weather") });
    expect(run.identifiedBy).toBe("static client_id");
    expect(run.consentPage.text).toContain("Known application: this gateway's administrator registered it.");
    await expectWorking(run, COPILOT_STUDIO_MANUAL.redirectUri(0));
  });
});

describe("Foundry Agent Service (custom OAuth, identity passthrough)", () => {
  it("signs in with the static confidential client and the redirect URL Foundry shows, without a resource parameter, calls a tool, refreshes and revokes", async () => {
    expect(FOUNDRY.sendsResource).toBe(false);
    const run = await signInAs(env, FOUNDRY, { clientId: "foundry-weather", clientSecret: staticSecret("foundry-weather") });
    expect(run.consentPage.text).toContain("Foundry agents");
    await expectWorking(run, FOUNDRY_REDIRECT);
  });

  it("is told what is missing when the optional-looking client secret field was left blank: 401 invalid_client at the token endpoint", async () => {
    await expect(signInAs(env, { ...FOUNDRY, authMethod: undefined }, { clientId: "foundry-weather" })).rejects.toThrow(
      /token answered 401: .*invalid_client.*This client is confidential \(token_endpoint_auth_method client_secret_post\)/,
    );
  });
});
