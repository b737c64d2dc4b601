import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runVerifyCli, startBrokenGateway, unusedLoopbackUrl, type BrokenGateway } from "../../test-support/verify-broken-gateway.js";
import { CHECKS, runVerification, type VerifyReport } from "../../verify/checks.js";

const details = (report: VerifyReport): Record<string, string> => Object.fromEntries(report.results.map((r) => [r.name, r.detail]));
const failedNames = (report: VerifyReport): string[] => report.results.filter((r) => !r.ok).map((r) => r.name);

describe("post-deploy check against a gateway answering like the lab it replaces", () => {
  let gw: BrokenGateway;
  let report: VerifyReport;
  let d: Record<string, string>;
  beforeAll(async () => {
    gw = await startBrokenGateway("wrong");
    report = await runVerification(gw.url, { timeoutMs: 2000 });
    d = details(report);
  });
  afterAll(() => gw?.close());

  it("fails every check except the two /revoke checks the target gets right", () => {
    expect(report.ok).toBe(false);
    expect(report.results.map((r) => r.name)).toEqual(CHECKS.map((c) => c.name));
    expect(report.results.filter((r) => r.ok).map((r) => r.name)).toEqual(["Revoke: unknown token", "Revoke: missing token"]);
  });

  it("names the missing resource_metadata and CORS headers of the 401", () => {
    expect(d["MCP 401 without token"]).toBe(`expected resource_metadata="${gw.url}/.well-known/oauth-protected-resource/mcp", got nothing in WWW-Authenticate: Bearer realm="mcp"`);
    expect(d["MCP 401 with bogus token"]).toContain("expected resource_metadata=");
    expect(d["MCP 401 CORS headers"]).toBe("expected Access-Control-Allow-Origin * or https://mcp-verify.example on the 401, got nothing");
  });

  it("stops the SDK client when the metadata sends it to another host, without going there", () => {
    expect(d["SDK client reaches sign-in"]).toBe(
      `the SDK was sent outside the gateway, to https://login.microsoftonline.com/.well-known/oauth-authorization-server/common/v2.0; expected discovery and registration at ${gw.url}`,
    );
    expect(gw.requests.filter((r) => r.includes("common"))).toEqual([]);
  });

  it("names wrong resource and authorization server, and every wrong authorization server capability", () => {
    expect(d["Resource metadata (path)"]).toBe(
      `resource: expected "${gw.url}/mcp", got "https://other.example/mcp"; authorization_servers: expected ["${gw.url}"], got ["https://login.microsoftonline.com/common/v2.0"]`,
    );
    expect(d["Resource metadata (root)"]).toContain("HTTP 500");
    for (const part of [
      `revocation_endpoint: expected "${gw.url}/revoke", got nothing`,
      'code_challenge_methods_supported: expected ["S256"], got ["plain","S256"]',
      'token_endpoint_auth_methods_supported: expected ["none","client_secret_basic","client_secret_post"], got ["client_secret_post"]',
      "client_id_metadata_document_supported: expected true, got nothing",
      "authorization_response_iss_parameter_supported: expected true, got nothing",
    ]) {
      expect(d["AS metadata (RFC 8414)"]).toContain(part);
    }
    expect(d["AS metadata (RFC 8414)"]).not.toContain("issuer:");
    expect(d["AS metadata (openid-configuration)"]).toBe(`GET ${gw.url}/.well-known/openid-configuration: expected HTTP 200, got HTTP 500 text/html "<h1>Internal Server Error</h1>"`);
  });

  it("reports unvalidated registration, and the checks needing a client say why they could not run", () => {
    expect(d["Register loopback client"]).toBe(`POST ${gw.url}/register (HTTP 200): the answer does not match the expected JSON document: redirect_uris: Invalid input: expected array, received undefined`);
    expect(d["Register: http redirect refused"]).toBe('http redirect URI on a non-loopback host: expected HTTP 400, got HTTP 200 application/json "{"client_id":"static-client"}"');
    expect(d["Register: fragment refused"]).toContain("expected HTTP 400, got HTTP 200");
    expect(d["Register: non-JSON refused"]).toBe('a body that is not JSON: expected HTTP 400, got HTTP 500 text/plain "Unexpected token"');
    for (const name of ["Authorize: no PKCE", "Authorize: consent page", "Token: bogus code", "Token: bogus refresh token"]) {
      expect(d[name]).toMatch(/^needs a registered client, but registration failed: POST /);
    }
  });

  it("reports token endpoint 500s and preflights missing methods and headers", () => {
    expect(d["Token: unknown grant type"]).toBe('grant_type=password: expected HTTP 400, got HTTP 500 text/plain "Internal Server Error"');
    expect(d["CORS preflight MCP endpoint"]).toBe(
      'Access-Control-Allow-Methods: missing POST, DELETE in "GET"; Access-Control-Allow-Headers: missing Authorization, Mcp-Protocol-Version, Mcp-Session-Id, Mcp-Method, Mcp-Name, Last-Event-ID, Mcp-Param-Region in "Content-Type"',
    );
    expect(d["CORS preflight resource metadata"]).toBe('Access-Control-Allow-Headers: missing Mcp-Protocol-Version in "Content-Type"');
  });

  it("exits 1 as the CLI and prints the failures in the table", async () => {
    const { code, stdout, stderr } = await runVerifyCli([gw.url]);
    expect(stderr).toBe("");
    expect(code).toBe(1);
    expect(stdout).toMatch(/^Revoke: unknown token\s+PASS\s+200$/m);
    expect(stdout).toMatch(/^Token: bogus code\s+FAIL\s+needs a registered client/m);
    expect(stdout).toContain(`${CHECKS.length - 2} of ${CHECKS.length} checks failed.`);
  }, 60_000);
});

describe("post-deploy check against a gateway answering 500 to everything", () => {
  it("fails every check with the status and the start of the body", async () => {
    const gw = await startBrokenGateway("errors");
    try {
      const report = await runVerification(gw.url, { timeoutMs: 2000 });
      expect(failedNames(report)).toEqual(CHECKS.map((c) => c.name));
      const d = details(report);
      expect(d["MCP 401 without token"]).toMatch(new RegExp(`^expected HTTP 401 from POST ${gw.url}/mcp, got HTTP 500`));
      expect(d["Revoke: unknown token"]).toContain('expected HTTP 200, got HTTP 500 text/html "<html><body><h1>500 Internal Server Error</h1></body></html>"');
      expect(d["Token: malformed body"]).toContain("expected HTTP 400, got HTTP 500");
      expect(d["CORS preflight /token"]).toBe(`OPTIONS ${gw.url}/token: expected HTTP 200 or 204, got HTTP 500 text/html "<html><body><h1>500 Internal Server Error</h1></body></html>"`);
    } finally {
      await gw.close();
    }
  });
});

describe("post-deploy check when the network fails", () => {
  it("fails each check with the connection error and still runs all of them", async () => {
    const url = await unusedLoopbackUrl();
    const report = await runVerification(url, { timeoutMs: 2000 });
    expect(report.results).toHaveLength(CHECKS.length);
    for (const r of report.results) {
      expect(r.ok).toBe(false);
      expect(r.detail).toMatch(/ECONNREFUSED/);
    }
    expect(details(report)["Token: wrong content type"]).toBe(`POST ${url}/token: fetch failed: connect ECONNREFUSED ${url.replace("http://", "")}`);
  });

  it("fails each check after the per-request timeout when the gateway never answers", async () => {
    const gw = await startBrokenGateway("hang");
    try {
      const report = await runVerification(gw.url, { timeoutMs: 200, concurrency: 8 });
      expect(failedNames(report)).toEqual(CHECKS.map((c) => c.name));
      expect(details(report)["AS metadata (openid-configuration)"]).toBe(`GET ${gw.url}/.well-known/openid-configuration: no answer within 200 ms`);
      expect(details(report)["Authorize: no PKCE"]).toBe(`needs a registered client, but registration failed: POST ${gw.url}/register: no answer within 200 ms`);
    } finally {
      await gw.close();
    }
  });
});
