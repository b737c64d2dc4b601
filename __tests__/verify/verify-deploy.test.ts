import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startLocalStack, type LocalStack } from "../../local/run.js";
import { synthesizeForLocal } from "../../test-support/local-oauth-client.js";
import { runVerifyCli } from "../../test-support/verify-broken-gateway.js";
import { DEPLOY_DEFECTS } from "../../test-support/verify-deploy-defects.js";
import { withDefect } from "../../test-support/verify-defects.js";
import { CHECKS, runVerification } from "../../verify/checks.js";
import { parseCliArgs } from "../../verify/cli.js";
import { backendChecks, deployChecks } from "../../verify/deploy-checks.js";
import { VerifyUsageError } from "../../verify/target.js";

const DEPLOY = deployChecks();
const names = (checks: readonly { name: string }[]) => checks.map((c) => c.name);

// The real synthesized policies on the local gateway, the Entra stand-in and the MCP server.
let stack: LocalStack;
beforeAll(async () => {
  const tf = await synthesizeForLocal();
  stack = await startLocalStack({ tf, logLevel: "silent" });
}, 180_000);
afterAll(async () => {
  await stack?.close();
});

describe("post-deploy checks of the sign-in path and the backend", () => {
  it("are part of every run", () => {
    expect(names(CHECKS)).toEqual(expect.arrayContaining(names(DEPLOY)));
  });

  it("pass against the local stack, naming the upstream endpoint and scopes", async () => {
    const report = await runVerification(stack.gateway.url, {}, DEPLOY);
    expect(report.results.filter((r) => !r.ok)).toEqual([]);
    const detail = Object.fromEntries(report.results.map((r) => [r.name, r.detail]));
    expect(detail["Consent approval redirects to Entra"]).toMatch(/^302 to http:\/\/127\.0\.0\.1:\d+\/[0-9a-f-]+\/oauth2\/v2\.0\/authorize; scope api:\/\/[0-9a-f-]+\/user_impersonate openid profile offline_access; gateway PKCE and state$/);
    expect(detail["Entra accepts the sign-in request"]).toMatch(/no AADSTS error$/);
    expect(detail["Callback: forged state refused"]).toBe("400, no redirect, no-store");
  });

  it("check the MCP server behind the gateway with --backend-url", async () => {
    const report = await runVerification(stack.gateway.url, {}, backendChecks(stack.mcp!.url));
    expect(report.results.map((r) => [r.name, r.ok, r.detail])).toEqual([
      ["Backend: no token refused", true, "401 Bearer"],
      ["Backend: forged token refused", true, "401 Bearer"],
      ["Backend: health check", true, "200"],
    ]);
  });

  it("runs them from the CLI, the backend ones only with --backend-url", async () => {
    const { code, stdout, stderr } = await runVerifyCli([stack.gateway.url, "--backend-url", stack.mcp!.url]);
    expect(stderr).toBe("");
    expect(code).toBe(0);
    for (const name of [...names(DEPLOY), "Backend: no token refused", "Backend: health check"]) expect(stdout).toMatch(new RegExp(`^${name.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}\\s+PASS`, "m"));
    expect(stdout).toContain(`All ${CHECKS.length + 3} checks passed.`);
    expect(stdout).not.toMatch(/state=|code_challenge=/);
  }, 60_000);

  it.each<[keyof typeof DEPLOY_DEFECTS, Record<string, string[]>]>([
    ["upstreamGetsClientState", { "Consent approval redirects to Entra": ["state: expected a fresh state of the gateway's, got the MCP client's state", "resource: Entra refuses resource together with scope (AADSTS9010010)"] }],
    [
      "upstreamWrongRedirectAndScope",
      {
        "Consent approval redirects to Entra": [`redirect_uri: expected http://127.0.0.1`, '/oauth-callback, got "https://elsewhere.example/callback"', "scope: missing offline_access"],
        // The Entra stand-in refuses an unregistered redirect URI as Entra does.
        "Entra accepts the sign-in request": ["Entra refused the sign-in request: AADSTS50011", "(the gateway's /oauth-callback is not a redirect URI of the application)"],
      },
    ],
    ["entraRedirectUriNotRegistered", { "Entra accepts the sign-in request": ["Entra refused the sign-in request: AADSTS50011: The redirect URI", "(the gateway's /oauth-callback is not a redirect URI of the application)"] }],
    [
      "callbackRedirects",
      {
        "Callback: forged state refused": ["expected HTTP 400, got HTTP 302", 'expected no redirect, got Location "https://attacker.example/"'],
        "Callback: Entra error without sign-in": ["expected HTTP 400, got HTTP 302", 'expected no redirect, got Location "https://attacker.example/"'],
      },
    ],
    ["callbackEchoesCode", { "Callback: forged state refused": ["the answer echoes the code it was sent", "Cache-Control: expected no-store, got nothing"] }],
  ])("%s fails exactly the checks covering it", async (defect, expected) => {
    const report = await runVerification(stack.gateway.url, { fetch: withDefect(DEPLOY_DEFECTS[defect]) }, DEPLOY);
    const failed = report.results.filter((r) => !r.ok);
    expect(failed.map((r) => r.name)).toEqual(Object.keys(expected));
    for (const r of failed) for (const part of expected[r.name]!) expect(r.detail).toContain(part);
  });

  it("fails the backend checks when the MCP server answers without a token", async () => {
    const report = await runVerification(stack.gateway.url, { fetch: withDefect(DEPLOY_DEFECTS.backendOpen) }, backendChecks(stack.mcp!.url));
    expect(report.results.filter((r) => !r.ok).map((r) => [r.name, r.detail])).toEqual([
      ["Backend: no token refused", expect.stringContaining(`no Authorization header: expected HTTP 401 from POST ${stack.mcp!.url}/mcp, got HTTP 200`)],
      ["Backend: forged token refused", expect.stringContaining("a JWT with a forged signature: expected HTTP 401")],
    ]);
  });
});

describe("--backend-url", () => {
  it("takes the MCP server's https base URL, or http on loopback", () => {
    expect(parseCliArgs(["https://gw.example", "--backend-url", "https://mcp-app-x.azurewebsites.net/"]).backendUrl).toBe("https://mcp-app-x.azurewebsites.net");
    expect(parseCliArgs(["https://gw.example", "--backend-url", "http://127.0.0.1:8000"]).backendUrl).toBe("http://127.0.0.1:8000");
    expect(parseCliArgs(["https://gw.example"]).backendUrl).toBeUndefined();
  });

  it.each([
    ["http://mcp-app.azurewebsites.net", /--backend-url "http:\/\/mcp-app\.azurewebsites\.net" uses http; expected https/],
    ["https://mcp-app.azurewebsites.net/mcp", /--backend-url "https:\/\/mcp-app\.azurewebsites\.net\/mcp" has a path, query or fragment/],
    ["not a url", /--backend-url "not a url" is not a valid URL; expected the MCP server's base URL/],
    ["https://user:pw@mcp.example", /--backend-url must not contain a user name or password/],
  ])("fails for %s, naming the value", (value, message) => {
    expect(() => parseCliArgs(["https://gw.example", "--backend-url", value])).toThrow(VerifyUsageError);
    expect(() => parseCliArgs(["https://gw.example", "--backend-url", value])).toThrow(message);
  });
});
