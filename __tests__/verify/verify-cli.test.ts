import { describe, expect, it } from "vitest";
import { runVerifyCli } from "../../test-support/verify-broken-gateway.js";
import { main, parseCliArgs, USAGE } from "../../verify/cli.js";
import { runVerification, type VerifyReport } from "../../verify/checks.js";
import { metadataProblems } from "../../verify/discovery-checks.js";
import { clip, describeError, RequestFailure, timedFetch } from "../../verify/http.js";
import { formatReport } from "../../verify/report.js";
import { resolveTarget, VerifyUsageError } from "../../verify/target.js";

describe("metadataProblems: client authentication methods", () => {
  const gw = "https://gw.example";
  const base = { issuer: gw, authorization_endpoint: `${gw}/authorize`, token_endpoint: `${gw}/token`, revocation_endpoint: `${gw}/revoke`, response_types_supported: ["code"], grant_types_supported: ["authorization_code", "refresh_token"], code_challenge_methods_supported: ["S256"], client_id_metadata_document_supported: true, authorization_response_iss_parameter_supported: true };
  const all = ["none", "client_secret_basic", "client_secret_post"];

  it("expects all three methods, for tokens and revocation, when registration is on", () => {
    expect(metadataProblems({ ...base, registration_endpoint: `${gw}/register`, token_endpoint_auth_methods_supported: all, revocation_endpoint_auth_methods_supported: all }, gw)).toEqual([]);
    expect(metadataProblems({ ...base, registration_endpoint: `${gw}/register`, token_endpoint_auth_methods_supported: ["none"], revocation_endpoint_auth_methods_supported: ["none"] }, gw)).toEqual([
      'token_endpoint_auth_methods_supported: expected ["none","client_secret_basic","client_secret_post"], got ["none"]',
    ]);
  });

  it("takes the methods in use when registration is off, refusing others, another order and a revocation list that differs", () => {
    expect(metadataProblems({ ...base, token_endpoint_auth_methods_supported: ["none"], revocation_endpoint_auth_methods_supported: ["none"] }, gw)).toEqual([]);
    expect(metadataProblems({ ...base, token_endpoint_auth_methods_supported: ["client_secret_basic"], revocation_endpoint_auth_methods_supported: ["client_secret_basic"] }, gw)).toEqual([]);
    expect(metadataProblems({ ...base, token_endpoint_auth_methods_supported: ["private_key_jwt"], revocation_endpoint_auth_methods_supported: ["private_key_jwt"] }, gw)[0]).toMatch(/^token_endpoint_auth_methods_supported: expected some of/);
    expect(metadataProblems({ ...base, token_endpoint_auth_methods_supported: ["client_secret_post", "none"], revocation_endpoint_auth_methods_supported: ["client_secret_post", "none"] }, gw)[0]).toContain("in that order");
    expect(metadataProblems({ ...base, token_endpoint_auth_methods_supported: ["none"], revocation_endpoint_auth_methods_supported: all }, gw)).toEqual([
      'revocation_endpoint_auth_methods_supported: expected ["none"], got ["none","client_secret_basic","client_secret_post"]',
    ]);
  });
});

describe("resolveTarget", () => {
  it("defaults the MCP path to mcp and drops a trailing slash", () => {
    expect(resolveTarget("https://apim-mcp.azure-api.net/")).toEqual({ gatewayUrl: "https://apim-mcp.azure-api.net", mcpPath: "mcp", mcpUrl: "https://apim-mcp.azure-api.net/mcp" });
  });

  it("takes a nested MCP path and http on loopback hosts", () => {
    expect(resolveTarget("http://127.0.0.1:8080", "tools/mcp").mcpUrl).toBe("http://127.0.0.1:8080/tools/mcp");
    expect(resolveTarget("http://localhost:8080").gatewayUrl).toBe("http://localhost:8080");
    expect(resolveTarget("http://[::1]:8080").gatewayUrl).toBe("http://[::1]:8080");
  });

  it.each([
    [undefined, /missing the gateway URL; expected the API Management gateway's base URL/],
    ["  ", /missing the gateway URL/],
    ["apim-mcp.azure-api.net", /gateway URL "apim-mcp.azure-api.net" is not a valid URL; expected e\.g\. https:/],
    ["http://apim-mcp.azure-api.net", /gateway URL "http:\/\/apim-mcp.azure-api.net" uses http; expected https \(http only for a loopback host/],
    ["ftp://127.0.0.1", /uses ftp; expected https/],
    ["https://apim-mcp.azure-api.net/mcp", /has a path, query or fragment; expected the gateway's base URL only.*--mcp-path/],
    ["https://apim-mcp.azure-api.net?x=1", /has a path, query or fragment/],
    ["https://apim-mcp.azure-api.net#frag", /has a path, query or fragment/],
  ])("fails for gateway URL %j", (url, message) => {
    expect(() => resolveTarget(url)).toThrow(VerifyUsageError);
    expect(() => resolveTarget(url)).toThrow(message);
  });

  it("fails for credentials in the URL without echoing them", () => {
    let message = "";
    try {
      resolveTarget("https://user:s3cret-value@apim-mcp.azure-api.net");
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toMatch(/must not contain a user name or password/);
    expect(message).not.toContain("s3cret-value");
  });

  it.each(["/mcp", "mcp/", "", "a//b", ".well-known/x", "m cp"])("fails for MCP path %j", (path) => {
    expect(() => resolveTarget("https://apim-mcp.azure-api.net", path)).toThrow(`MCP path ${JSON.stringify(path)} is invalid; expected URL path segments`);
  });
});

describe("parseCliArgs", () => {
  it("parses the URL, --mcp-path and --timeout", () => {
    expect(parseCliArgs(["https://apim-mcp.azure-api.net", "--mcp-path", "api/mcp", "--timeout", "2500"])).toEqual({
      help: false,
      gatewayUrl: "https://apim-mcp.azure-api.net",
      options: { mcpPath: "api/mcp", timeoutMs: 2500 },
    });
  });

  it("leaves the timeout to its default when not given", () => {
    expect(parseCliArgs(["https://apim-mcp.azure-api.net"]).options).toEqual({ mcpPath: "mcp", timeoutMs: undefined });
  });

  it("takes a static client with --client-id and --redirect-uri (for a gateway with registration off)", () => {
    expect(parseCliArgs(["https://a.azure-api.net", "--client-id", "corp-cli", "--redirect-uri", "http://127.0.0.1:33418/callback"]).options).toEqual({
      mcpPath: "mcp",
      timeoutMs: undefined,
      staticClient: { clientId: "corp-cli", redirectUri: "http://127.0.0.1:33418/callback" },
    });
  });

  it("recognises --help", () => {
    expect(parseCliArgs(["--help"]).help).toBe(true);
  });

  it.each([
    [["https://a.azure-api.net", "--timeout", "5"], /--timeout "5" is invalid; expected milliseconds from 100 to 120000/],
    [["https://a.azure-api.net", "--timeout", "ten"], /--timeout "ten" is invalid/],
    [["https://a.azure-api.net", "--verbose"], /Unknown option '--verbose'/],
    [["https://a.azure-api.net", "https://b.azure-api.net"], /expected one gateway URL, got 2 arguments: "https:\/\/a.azure-api.net" "https:\/\/b.azure-api.net"/],
    [["https://a.azure-api.net", "--mcp-path"], /--mcp-path/],
    [["https://a.azure-api.net", "--client-id", "corp-cli"], /--client-id needs --redirect-uri too: a static client is given by its client_id and one of its redirect URIs/],
    [["https://a.azure-api.net", "--redirect-uri", "http://127.0.0.1/cb"], /--redirect-uri needs --client-id too/],
    [["https://a.azure-api.net", "--client-id", "corp cli", "--redirect-uri", "http://127.0.0.1/cb"], /client id "corp cli" is invalid; expected the client_id of a static client: 1-64 letters/],
    [["https://a.azure-api.net", "--client-id", "corp-cli", "--redirect-uri", "/callback"], /redirect URI "\/callback" is not an absolute URI; expected one of the static client's redirect_uris/],
    [["https://a.azure-api.net", "--client-id", "corp-cli", "--redirect-uri", "http://127.0.0.1/cb#x"], /redirect URI "http:\/\/127.0.0.1\/cb#x" has a fragment/],
  ])("fails for %j", (argv, message) => {
    expect(() => parseCliArgs(argv)).toThrow(VerifyUsageError);
    expect(() => parseCliArgs(argv)).toThrow(message);
  });
});

describe("main", () => {
  const io = () => {
    const out: string[] = [];
    const err: string[] = [];
    return { out, err, io: { out: (t: string) => out.push(t), err: (t: string) => err.push(t) } };
  };

  it("prints the usage error and the usage to stderr with exit code 2", async () => {
    const s = io();
    expect(await main(["not a url"], s.io)).toBe(2);
    expect(s.out).toEqual([]);
    expect(s.err.join("\n")).toContain('npm run verify: gateway URL "not a url" is not a valid URL');
    expect(s.err.join("\n")).toContain(USAGE);
  });

  it("prints the usage to stdout with exit code 0 for --help", async () => {
    const s = io();
    expect(await main(["--help"], s.io)).toBe(0);
    expect(s.out).toEqual([USAGE]);
  });

  it("fails runVerification for a bad timeout option before any request", async () => {
    await expect(runVerification("https://a.azure-api.net", { timeoutMs: 5 })).rejects.toThrow("timeout 5 is invalid; expected a whole number from 100 to 120000");
    await expect(runVerification("https://a.azure-api.net", { concurrency: 0 })).rejects.toThrow("concurrency 0 is invalid");
  });
});

describe("npm run verify usage errors (child process)", () => {
  it.each([
    [[], "missing the gateway URL"],
    [["http://apim-mcp.azure-api.net"], 'gateway URL "http://apim-mcp.azure-api.net" uses http; expected https'],
    [["https://"], 'gateway URL "https://" is not a valid URL'],
  ])("exits 2 for %j naming the value", async (args, message) => {
    const { code, stdout, stderr } = await runVerifyCli(args);
    expect(code).toBe(2);
    expect(stdout).toBe("");
    expect(stderr).toContain(message);
    expect(stderr).toContain("usage: npm run verify -- <gateway-url>");
  }, 30_000);
});

describe("report and HTTP helpers", () => {
  const report: VerifyReport = {
    target: { gatewayUrl: "https://g.azure-api.net", mcpPath: "mcp", mcpUrl: "https://g.azure-api.net/mcp" },
    results: [
      { name: "First check", ok: true, detail: "fine" },
      { name: "Longer check name", ok: false, detail: "expected 1, got 2" },
    ],
    ok: false,
  };

  it("formats an aligned table with a summary", () => {
    expect(formatReport(report)).toBe(
      [
        "Gateway:      https://g.azure-api.net",
        "MCP endpoint: https://g.azure-api.net/mcp",
        "",
        "check              result  detail",
        "-----------------  ------  ------",
        "First check        PASS    fine",
        "Longer check name  FAIL    expected 1, got 2",
        "",
        "1 of 2 checks failed.",
      ].join("\n"),
    );
    expect(formatReport({ ...report, results: [report.results[0]!], ok: true })).toMatch(/All 1 checks passed\.$/);
  });

  it("clips server text to one line without control characters", () => {
    expect(clip("a\u001b[31mred\r\nnext\tline")).toBe("a [31mred next line");
    expect(clip("x".repeat(200), 10)).toBe(`${"x".repeat(9)}…`);
  });

  it("describes network causes, timeouts and schema errors", () => {
    expect(describeError(Object.assign(new TypeError("fetch failed"), { cause: { code: "ENOTFOUND", message: "getaddrinfo ENOTFOUND x.azure-api.net" } }))).toBe("fetch failed: getaddrinfo ENOTFOUND x.azure-api.net");
    expect(describeError(new DOMException("aborted", "TimeoutError"), 300)).toBe("no answer within 300 ms");
    expect(describeError({ name: "ZodError", issues: [{ path: ["resource"], message: "Required" }] })).toBe("the answer does not match the expected JSON document: resource: Required");
  });

  it("timedFetch names the request (without its query) in failures", async () => {
    const failing = timedFetch(1000, () => Promise.reject(Object.assign(new TypeError("fetch failed"), { cause: { code: "ECONNRESET", message: "read ECONNRESET" } })));
    const error = await failing("https://g.azure-api.net/authorize?client_id=abc&state=xyz", { method: "GET" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RequestFailure);
    expect((error as Error).message).toBe("GET https://g.azure-api.net/authorize: fetch failed: read ECONNRESET");
  });
});
