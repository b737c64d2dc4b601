import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startLocalStack, type LocalStack } from "../../local/run.js";
import { synthesizeForLocal } from "../../test-support/local-oauth-client.js";
import { runVerifyCli } from "../../test-support/verify-broken-gateway.js";
import { DEFECTS, withDefect } from "../../test-support/verify-defects.js";
import { CHECKS, runVerification } from "../../verify/checks.js";

// The real synthesized policies on the local gateway (Mono C# expressions), the Entra stand-in and
// the MCP server, started in this process as the end-to-end tests do.
let stack: LocalStack;
beforeAll(async () => {
  const tf = await synthesizeForLocal();
  stack = await startLocalStack({ tf, logLevel: "silent" });
}, 180_000);
afterAll(async () => {
  await stack?.close();
});

describe("post-deploy check against the local stack", () => {
  it("passes every check when run as a function", async () => {
    const report = await runVerification(stack.gateway.url);
    expect(report.target).toEqual({ gatewayUrl: stack.gateway.url, mcpPath: "mcp", mcpUrl: stack.mcpEndpoint });
    expect(report.results.map((r) => r.name)).toEqual(CHECKS.map((c) => c.name));
    expect(report.results.filter((r) => !r.ok)).toEqual([]);
    expect(report.ok).toBe(true);
    const detail = (name: string) => report.results.find((r) => r.name === name)?.detail;
    expect(detail("MCP 401 without token")).toContain(`resource_metadata=${stack.gateway.url}/.well-known/oauth-protected-resource/mcp`);
    expect(detail("Register loopback client")).toMatch(/^201, client_id of \d+ characters$/);
    expect(detail("Authorize: consent page")).toContain("__Host-mcp-consent");
  });

  it("passes every check as the CLI (npm run verify), exit code 0, printing no client_id or cookie value", async () => {
    const { code, stdout, stderr } = await runVerifyCli([stack.gateway.url, "--mcp-path", "mcp"]);
    expect(stderr).toBe("");
    expect(code).toBe(0);
    for (const c of CHECKS) expect(stdout).toMatch(new RegExp(`^${c.name.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}\\s+PASS\\s+\\S`, "m"));
    expect(stdout).not.toMatch(/FAIL/);
    expect(stdout).toContain(`All ${CHECKS.length} checks passed.`);
    // Registered client_ids and consent tickets are base64url JSON ("eyJ..."); none is printed.
    expect(stdout).not.toContain("eyJ");
    expect(stdout).not.toMatch(/__Host-mcp-consent=/);
  }, 60_000);

  it("fails the MCP and resource metadata checks, naming the URLs, when --mcp-path is not the deployed one", async () => {
    const report = await runVerification(stack.gateway.url, { mcpPath: "not-mcp" });
    const failed = Object.fromEntries(report.results.filter((r) => !r.ok).map((r) => [r.name, r.detail]));
    expect(Object.keys(failed)).toEqual(expect.arrayContaining(["MCP 401 without token", "Resource metadata (path)", "SDK client reaches sign-in"]));
    expect(failed["MCP 401 without token"]).toContain(`expected HTTP 401 from POST ${stack.gateway.url}/not-mcp, got HTTP 404`);
    // The root document describes the gateway's one server, not the path asked for: not this check's to fail.
    expect(report.results.find((r) => r.name === "Resource metadata (root)")?.detail).toBe(
      `not applicable to ${stack.gateway.url}/not-mcp: the root document describes one server, ${stack.mcpEndpoint} (this gateway's first), and names this gateway as its authorization server`,
    );
    expect(report.results.find((r) => r.name === "Token: bogus code")?.ok).toBe(true);
    expect(report.ok).toBe(false);
  });
});

describe("post-deploy check against the local stack with one planted defect", () => {
  const TOKEN_CHECKS = ["Token: wrong content type", "Token: malformed body", "Token: unknown grant type", "Token: bogus code", "Token: bogus refresh token"];
  const CONSENT_APPROVAL = ["Consent approval redirects to Entra", "Entra accepts the sign-in request"];
  it.each<[keyof typeof DEFECTS, string[], string | Record<string, string>]>([
    ["challengeWithoutScope", ["MCP 401 without token", "MCP 401 with bogus token"], 'expected a scope="..." in the challenge, got WWW-Authenticate: Bearer resource_metadata='],
    ["challengeWithoutError", ["MCP 401 with bogus token"], 'expected error="invalid_token" in the challenge, got nothing'],
    ["rootMetadataMissing", ["Resource metadata (root)"], "does not implement OAuth 2.0 Protected Resource Metadata"],
    ["plainPkceAdvertised", ["AS metadata (RFC 8414)", "AS metadata (openid-configuration)"], 'code_challenge_methods_supported: expected ["S256"], got ["plain","S256"]'],
    ["registration200", ["Register loopback client"], "expected HTTP 201 Created, got HTTP 200"],
    ["authorizeErrorsRedirected", ["Authorize: no PKCE", "Authorize: plain PKCE", "Authorize: unknown redirect_uri", "Authorize: tampered client_id"], "got HTTP 302"],
    ["consentFramable", ["Authorize: consent page"], "X-Frame-Options: expected DENY, got nothing"],
    [
      "consentCookieWithoutHostPrefix",
      ["Authorize: consent page", ...CONSENT_APPROVAL],
      {
        "Authorize: consent page": 'Set-Cookie: expected a __Host- cookie, got ["mcp-consent"]',
        // The gateway then refuses the approval: the browser sends back a cookie it does not know.
        ...Object.fromEntries(CONSENT_APPROVAL.map((name) => [name, "approving the consent form: expected a redirect to Entra ID (302), got HTTP 400"])),
      },
    ],
    ["tokenErrorsCacheable", TOKEN_CHECKS, "Cache-Control: expected no-store, got nothing"],
    ["revokeUnknownRefused", ["Revoke: unknown token"], 'expected HTTP 200, got HTTP 400 application/json "{"error":"invalid_token"}"'],
    ["preflightWithoutMcpName", ["CORS preflight /register", "CORS preflight /token", "CORS preflight /revoke", "CORS preflight MCP endpoint"], "Access-Control-Allow-Headers: missing Mcp-Name in"],
  ])("%s fails exactly the checks covering it", async (defect, expectedFailures, detail) => {
    const report = await runVerification(stack.gateway.url, { fetch: withDefect(DEFECTS[defect]) });
    const failed = report.results.filter((r) => !r.ok);
    expect(failed.map((r) => r.name)).toEqual(expectedFailures);
    for (const r of failed) expect(r.detail).toContain(typeof detail === "string" ? detail : detail[r.name]);
    expect(report.ok).toBe(false);
  });
});

describe("post-deploy check against a local gateway of two servers (examples/two-servers.json)", () => {
  let two: LocalStack;
  beforeAll(async () => {
    const platform = JSON.parse(readFileSync(join(import.meta.dirname, "..", "..", "examples", "two-servers.json"), "utf8")) as unknown;
    two = await startLocalStack({ tf: await synthesizeForLocal({ platform }), logLevel: "silent" });
  }, 180_000);
  afterAll(async () => {
    await two?.close();
  });
  const lookAlike = (gw: string) => gw.replace("//127.0.0.1:", "//127.0.0.10:");
  const root = (report: Awaited<ReturnType<typeof runVerification>>) => report.results.find((r) => r.name === "Resource metadata (root)")!;

  it("passes every check at the server that is not at the root, the root document's check saying it describes the first server", async () => {
    const report = await runVerification(two.gateway.url, { mcpPath: "tickets/mcp" });
    expect(report.results.filter((r) => !r.ok)).toEqual([]);
    expect(root(report).detail).toBe(
      `not applicable to ${two.gateway.url}/tickets/mcp: the root document describes one server, ${two.gateway.url}/mcp (this gateway's first), and names this gateway as its authorization server`,
    );
  });

  it("checks the root document in full at the first server", async () => {
    const report = await runVerification(two.gateway.url, { mcpPath: "mcp" });
    expect(report.results.filter((r) => !r.ok)).toEqual([]);
    expect(root(report).detail).toBe(`resource ${two.gateway.url}/mcp, authorization_servers ["${two.gateway.url}"]`);
  });

  it.each([
    ["a look-alike host (127.0.0.10 for 127.0.0.1)", (gw: string) => ({ resource: `${lookAlike(gw)}/mcp` }), (gw: string) => `resource: expected "${gw}/tickets/mcp", got "${lookAlike(gw)}/mcp"`],
    ["another authorization server", (gw: string) => ({ resource: `${gw}/mcp`, authorization_servers: ["https://login.example"] }), (gw: string) => `authorization_servers: expected ["${gw}"], got ["https://login.example"]`],
  ])("fails the root check at any server when the root document names %s", async (_what, change, message) => {
    const gw = two.gateway.url;
    const planted = withDefect((req, a) => (req.method === "GET" && req.url.pathname === "/.well-known/oauth-protected-resource" ? { ...a, body: JSON.stringify({ ...(JSON.parse(a.body) as object), ...change(gw) }) } : a));
    const report = await runVerification(gw, { mcpPath: "tickets/mcp", fetch: planted });
    expect(report.results.filter((r) => !r.ok).map((r) => r.name)).toEqual(["Resource metadata (root)"]);
    expect(root(report).detail).toContain(message(gw));
  });
});
