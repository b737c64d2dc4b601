/**
 * vocabulary/oauth-clients.ts: the client policy's checks (the platform file's and McpOAuth's),
 * their key paths, and their restatement of the policies' redirect URI and metadata document URL
 * rules, compared with the policies' own C# on Mono, case by case.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  clientPolicyProblems,
  metadataDocumentUrlProblem,
  queryBudgetClientBytes,
  redirectUriKinds,
  redirectUriProblem,
  STATIC_CLIENT_ID,
  staticClientAuthMethod,
  type McpClientPolicy,
} from "../../vocabulary/oauth-clients.js";
import { formatKeyPathProblem, keyPath } from "../../vocabulary/key-path.js";
import { ExpressionHost } from "../../local/csharp/expression-host.js";
import { evaluateWith, setVariableExpression } from "../../test-support/policy-expression.js";

const BUDGET = queryBudgetClientBytes("https://mcp-apim-0123456789abc.azure-api.net", "mcp");

let host: ExpressionHost;
beforeAll(async () => {
  host = await ExpressionHost.start();
}, 120_000);
afterAll(async () => {
  await host?.close();
});

type Verdict = "ok" | "refused";
/** URI, and whether a client without application_type, a native one and a web one may use it. */
const REDIRECTS: [string, Verdict, Verdict, Verdict][] = [
  ["https://claude.ai/api/mcp/auth_callback", "ok", "ok", "ok"],
  ["https://chatgpt.com/connector/oauth/abc123", "ok", "ok", "ok"],
  ["https://vscode.dev/redirect", "ok", "ok", "ok"],
  ["http://127.0.0.1:33418/", "ok", "ok", "refused"],
  ["http://127.0.0.1/", "ok", "ok", "refused"],
  ["http://localhost/callback", "ok", "ok", "refused"],
  ["http://localhost:8787/callback", "ok", "ok", "refused"],
  ["http://[::1]:8080/cb", "ok", "ok", "refused"],
  ["cursor://anysphere.cursor-mcp/oauth/callback", "refused", "ok", "refused"],
  ["com.example.app:/cb", "refused", "ok", "refused"],
  ["com.example.app:/oauth2redirect/example-provider", "refused", "ok", "refused"],
  ["vscode://vscode.github-authentication/did-authenticate?windowid=1", "refused", "ok", "refused"],
  ["javascript:alert(1)", "refused", "refused", "refused"],
  ["javascript://%0Aalert(1)", "refused", "refused", "refused"],
  ["JavaScript:/alert(1)", "refused", "refused", "refused"],
  ["data:text/html,hello", "refused", "refused", "refused"],
  ["data:/text/html,hello", "refused", "refused", "refused"],
  ["file:///etc/passwd", "refused", "refused", "refused"],
  ["vbscript:/msgbox", "refused", "refused", "refused"],
  ["about:/blank", "refused", "refused", "refused"],
  ["ms-msdt:/id", "refused", "refused", "refused"],
  ["search-ms:/query=x", "refused", "refused", "refused"],
  ["ftp://files.example/cb", "refused", "refused", "refused"],
  ["ws://127.0.0.1/cb", "refused", "refused", "refused"],
  ["http://evil.example/cb", "refused", "refused", "refused"],
  ["http://10.0.0.1/cb", "refused", "refused", "refused"],
  ["myapp:cb", "refused", "refused", "refused"],
  ["myapp://user@host/cb", "refused", "refused", "refused"],
  ["myapp://Host/cb", "refused", "refused", "refused"],
  ["myapp://host:99/cb", "refused", "refused", "refused"],
  ["myapp:/a/../b", "refused", "refused", "refused"],
  ["myapp:/a/%2E%2E/b", "refused", "refused", "refused"],
  ["com.example.app:/cb#x", "refused", "refused", "refused"],
  ["my+app:/cb", "refused", "refused", "refused"],
  ["com.example.-bad:/cb", "refused", "refused", "refused"],
  ["com.example.app:/c b", "refused", "refused", "refused"],
  ["https://x.example:443/cb", "refused", "refused", "refused"],
  ["https://X.example/cb", "refused", "refused", "refused"],
  ["http://127.1/cb", "refused", "refused", "refused"],
  ["http://[0:0:0:0:0:0:0:1]/cb", "refused", "refused", "refused"],
];

const TYPES = [undefined, "native", "web"] as const;

describe("redirect URI rules", () => {
  it("allows https and loopback without application_type, adds private-use schemes for native, keeps web to https", () => {
    expect(redirectUriKinds(undefined)).toEqual(["https", "loopback"]);
    expect(redirectUriKinds("native")).toEqual(["https", "loopback", "private-use"]);
    expect(redirectUriKinds("web")).toEqual(["https"]);
  });

  it.each(REDIRECTS)("judges %s as the policy does (absent %s, native %s, web %s)", async (uri, ...verdicts) => {
    const expression = setVariableExpression("fragments/oauth-redirect-uris-check.xml", "redirect-uris-problem");
    for (const [i, type] of TYPES.entries()) {
      const ts = redirectUriProblem(uri, type);
      const cs = (await evaluateWith(host, expression, { "client-redirect-uris": JSON.stringify([uri]), "client-application-type": type ?? "" })) as string;
      expect(ts === undefined ? "ok" : "refused", `TypeScript, ${type ?? "absent"}: ${ts}`).toBe(verdicts[i]);
      expect(cs === "" ? "ok" : "refused", `policy, ${type ?? "absent"}: ${cs}`).toBe(verdicts[i]);
    }
  });

  it("says which application_type a private-use scheme needs, and that web means https only", () => {
    expect(redirectUriProblem("cursor://anysphere.cursor-mcp/oauth/callback", undefined)).toMatch(/private-use scheme 'cursor:'.*application_type native/);
    expect(redirectUriProblem("http://127.0.0.1/cb", "web")).toMatch(/application_type web may use only https/);
    expect(redirectUriProblem("javascript:alert(1)", "native")).toMatch(/'javascript', which is not an application's private-use scheme/);
    expect(redirectUriProblem("myapp:cb", "native")).toMatch(/continue with '\/' after 'myapp:'/);
    expect(redirectUriProblem("javascript://x/y", "native")).toMatch(/'javascript', which is not an application's private-use scheme/);
  });
});

const DOCUMENT_URLS: [string, Verdict][] = [
  ["https://vscode.dev/oauth/client-metadata.json", "ok"],
  ["https://claude.ai/oauth/claude-code-client-metadata", "ok"],
  ["https://chatgpt.com/oauth/abc123/client.json", "ok"],
  ["https://localhost/x.json", "refused"],
  ["https://LOCALHOST/x.json", "refused"],
  ["https://localhost./x.json", "refused"],
  ["https://app.localhost/x.json", "refused"],
  ["https://vscode.dev./x.json", "refused"],
  ["https://intranet/x.json", "refused"],
  ["https://printer.local/x.json", "refused"],
  ["https://127.0.0.1/x.json", "refused"],
  ["https://0x7f.1/x.json", "refused"],
  ["https://[::1]/x.json", "refused"],
  ["https://vscode.dev:443/x.json", "refused"],
  ["https://user@vscode.dev/x.json", "refused"],
  ["https://Vscode.dev/x.json", "refused"],
  ["https://vscode.dev/", "refused"],
  ["https://vscode.dev/a/../x.json", "refused"],
  ["https://vscode.dev/a/%2e%2e/x.json", "refused"],
  ["https://vscode.dev/x.json#f", "refused"],
  ["http://vscode.dev/x.json", "refused"],
];

describe("metadata document URL rules", () => {
  it.each(DOCUMENT_URLS)("judges %s as the policy does (%s)", async (url, verdict) => {
    const expression = setVariableExpression("fragments/oauth-client-id.xml", "cimd-url-problem");
    const ts = metadataDocumentUrlProblem(url);
    const kind = url.startsWith("https://") ? "cimd" : "dcr";
    const cs = kind === "cimd" ? ((await evaluateWith(host, expression, { "client-id": url, "client-kind": kind })) as string) : "not https";
    expect(ts === undefined ? "ok" : "refused", `TypeScript: ${ts}`).toBe(verdict);
    expect(cs === "" ? "ok" : "refused", `policy: ${cs}`).toBe(verdict);
  });
});

describe("clientPolicyProblems", () => {
  it("accepts the issue's example and the default", () => {
    expect(clientPolicyProblems({}, BUDGET)).toEqual([]);
    expect(
      clientPolicyProblems(
        {
          registration: true,
          metadataDocuments: { allow: ["https://vscode.dev/oauth/client-metadata.json", "https://claude.ai/*"] },
          static: [{ client_id: "corp-cli", client_name: "Corp CLI", redirect_uris: ["http://127.0.0.1/callback"] }],
        },
        BUDGET,
      ),
    ).toEqual([]);
  });

  it("counts the query budget from the resource URL, at its longest when the gateway name is a Terraform expression", () => {
    expect(BUDGET).toBe(2048 - 64 - 153 - 512 - 256 - "https%3A%2F%2Fmcp-apim-0123456789abc.azure-api.net%2Fmcp".length);
    expect(queryBudgetClientBytes("https://${random_id.x.hex}.azure-api.net", "mcp")).toBe(2048 - 64 - 153 - 512 - 256 - (14 + 50 + 14 + 3 + 3));
    expect(queryBudgetClientBytes("https://${TfToken[TOKEN.12]}.azure-api.net", "mcp")).toBe(queryBudgetClientBytes("https://${random_id.x.hex}.azure-api.net", "mcp"));
  });

  it("names each problem by its key path under clients, the value in its message", () => {
    const problems = clientPolicyProblems({ registration: false, metadataDocuments: { allow: [] }, static: [] }, BUDGET);
    expect(problems).toEqual([{ path: ["clients"], message: expect.stringMatching(/^registration is false, metadataDocuments\.allow is empty/) }]);
    const [first] = clientPolicyProblems({ static: [{ client_id: "x", client_name: "X", redirect_uris: ["http://127.0.0.1/cb", "http://evil.example/cb"] }] }, BUDGET);
    expect(first).toEqual({ path: ["clients", "static", 0, "redirect_uris", 1], message: expect.stringMatching(/^"http:\/\/evil\.example\/cb" uses http off loopback/) });
    expect(keyPath(first!.path)).toBe("clients.static[0].redirect_uris[1]");
    expect(keyPath([])).toBe("(top level)");
  });

  it("takes a static client_id of 1-64 URL-safe characters", () => {
    expect(["corp-cli", "a.b_c~d", "x".repeat(64)].filter((id) => !STATIC_CLIENT_ID.test(id))).toEqual([]);
    expect(["", "https://x", "a b", "x".repeat(65)].filter((id) => STATIC_CLIENT_ID.test(id))).toEqual([]);
  });

  const fails: [string, McpClientPolicy, RegExp][] = [
    ["a '*' inside an allow entry", { metadataDocuments: { allow: ["https://claude.ai/*/x"] } }, /clients\.metadataDocuments\.allow\[0\]: "https:\/\/claude\.ai\/\*\/x" has a '\*' before its end/],
    ["a prefix that does not end its host with '/'", { metadataDocuments: { allow: ["https://claude.ai*"] } }, /allow\[0\]: "https:\/\/claude\.ai\*".*end the host with '\/' before the '\*'.*https:\/\/claude\.ai\.evil\.example/],
    ["a prefix with a loopback host", { metadataDocuments: { allow: ["https://localhost/*"] } }, /allow\[0\]: "https:\/\/localhost\/\*" names a loopback host/],
    ["an exact URL no client could present", { metadataDocuments: { allow: ["https://vscode.dev:443/oauth/client-metadata.json"] } }, /allow\[0\]: "https:\/\/vscode\.dev:443\/oauth\/client-metadata\.json" names an IP address or a port, not a DNS host name on the default port, so no client could ever present it/],
    ["an exact URL without a path", { metadataDocuments: { allow: ["https://vscode.dev"] } }, /allow\[0\]: "https:\/\/vscode\.dev" has no path/],
    ["a web static client with a loopback redirect URI", { static: [{ client_id: "web-app", client_name: "Web", redirect_uris: ["http://127.0.0.1/cb"], application_type: "web" }] }, /clients\.static\[0\]\.redirect_uris\[0\]: "http:\/\/127\.0\.0\.1\/cb" is not https; a client with application_type web/],
    ["a static client with http off loopback", { static: [{ client_id: "x", client_name: "X", redirect_uris: ["https://ok.example/cb", "http://evil.example/cb"] }] }, /clients\.static\[0\]\.redirect_uris\[1\]: "http:\/\/evil\.example\/cb" uses http off loopback/],
    ["a static client with javascript:", { static: [{ client_id: "x", client_name: "X", redirect_uris: ["javascript://x/%0Aalert(1)"] }] }, /redirect_uris\[0\]: "javascript:\/\/x\/%0Aalert\(1\)" has the scheme 'javascript'/],
    ["a static client with an unnormalised URI", { static: [{ client_id: "x", client_name: "X", redirect_uris: ["https://Ok.example/cb"] }] }, /redirect_uris\[0\]: "https:\/\/Ok\.example\/cb" has an upper-case host/],
    ["a static redirect URI that would not fit an authorization request", { static: [{ client_id: "x", client_name: "X", redirect_uris: [`https://ok.example/${"a".repeat(1000)}`] }] }, /redirect_uris\[0\]: "https:\/\/ok\.example\/a+" with the client_id it takes 1\d{3} bytes URL-encoded.*more than the \d+ bytes/],
    ["a duplicate static client_id", { static: [{ client_id: "x", client_name: "X", redirect_uris: ["http://127.0.0.1/cb"] }, { client_id: "x", client_name: "Y", redirect_uris: ["http://127.0.0.1/cb"] }] }, /clients\.static\[1\]\.client_id: "x" is already the client_id of another static client/],
    ["a static client_id with a ':'", { static: [{ client_id: "https://x", client_name: "X", redirect_uris: ["http://127.0.0.1/cb"] }] }, /clients\.static\[0\]\.client_id: "https:\/\/x" is not a static client_id; expected 1-64 letters/],
    ["a static client_name with a bidi control", { static: [{ client_id: "x", client_name: "Corp\u202eILC", redirect_uris: ["http://127.0.0.1/cb"] }] }, /clients\.static\[0\]\.client_name: "Corp\\u202eILC" is not a usable client name; expected 1-100 characters without control/],
    ["a static client without redirect URIs", { static: [{ client_id: "x", client_name: "X", redirect_uris: [] }] }, /clients\.static\[0\]\.redirect_uris: lists 0 URIs; expected 1 to 10/],
    ["a policy that lets no client sign in", { registration: false, metadataDocuments: { allow: [] } }, /no MCP client could sign in/],
    ["a token_endpoint_auth_method on a public static client", { static: [{ client_id: "p", client_name: "P", redirect_uris: ["https://p.example/cb"], token_endpoint_auth_method: "client_secret_post" }] }, /^clients\.static\[0\]\.token_endpoint_auth_method: "client_secret_post" is set on a public client; add "confidential": true \(the client then gets a secret\), or remove it$/],
  ];
  it.each(fails)("fails on %s, naming the key path and value", (_what, policy, message) => {
    const problems = clientPolicyProblems(policy, BUDGET);
    expect(problems.length).toBeGreaterThan(0);
    expect(problems.map(formatKeyPathProblem).join("\n")).toMatch(message);
  });
});

describe("confidential static clients", () => {
  it("authenticate with client_secret_basic by default, the configured method otherwise, none when public", () => {
    const base = { client_id: "c", client_name: "C", redirect_uris: ["https://c.example/cb"] };
    expect(staticClientAuthMethod(base)).toBe("none");
    expect(staticClientAuthMethod({ ...base, confidential: false })).toBe("none");
    expect(staticClientAuthMethod({ ...base, confidential: true })).toBe("client_secret_basic");
    expect(staticClientAuthMethod({ ...base, confidential: true, token_endpoint_auth_method: "client_secret_post" })).toBe("client_secret_post");
  });

  it("pass the client policy checks with either method", () => {
    const client = { client_id: "portal", client_name: "Portal", redirect_uris: ["https://portal.example/cb"], application_type: "web" as const, confidential: true };
    expect(clientPolicyProblems({ static: [client, { ...client, client_id: "agents", token_endpoint_auth_method: "client_secret_post" }] }, BUDGET)).toEqual([]);
  });
});
