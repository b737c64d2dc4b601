/**
 * `npm run policy -- METHOD PATH` (local/policy.ts, local/endpoint-pipeline.ts): the effective
 * pipeline of an endpoint of the synthesized stack. The expected fragments and headers are read
 * here from the synthesized XML with plain string handling (the `<base/>` of an operation's
 * section replaced by the API's section text), not with the assembler the command uses.
 */
import { spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { synthesize } from "../../main.js";
import { SECTIONS } from "../../apim-policy/sections.js";
import { loadGatewayConfig, readTerraformJson, type ApiConfig, type GatewayConfig, type OperationConfig } from "../../local/gateway/config.js";
import { endpointPipeline, findEndpoint, gatewayEndpoints, UnknownEndpointError } from "../../local/endpoint-pipeline.js";
import { parseArguments, UsageError } from "../../local/policy.js";

const ROOT = resolve(import.meta.dirname, "..", "..");
const buildDir = mkdtempSync(join(tmpdir(), "policy-command-build-"));

async function gateway(env: Record<string, string>): Promise<GatewayConfig> {
  const outdir = join(mkdtempSync(join(tmpdir(), "policy-command-")), "cdktf.out");
  const { stackDir } = await synthesize({ env, outdir, buildDir });
  return loadGatewayConfig(readTerraformJson(join(stackDir, "cdk.tf.json")), {}, { onUnresolved: (key) => `\${${key}}` });
}

const collapse = (text: string) => text.replace(/\s+/g, " ").trim();

/** A section's content in a policy document, or undefined when the document has none. */
function sectionText(xml: string | undefined, section: string): string | undefined {
  if (xml === undefined) return undefined;
  const m = new RegExp(`<${section}>([\\s\\S]*?)</${section}>|<${section}\\s*/>`).exec(xml);
  return m ? (m[1] ?? "") : undefined;
}

/** The fragment ids a section of the endpoint includes, in order: the operation's section with `<base />` replaced by the API's (the stacks set no global policy). */
function expectedFragments(api: ApiConfig, op: OperationConfig, section: string): string[] {
  const apiText = (sectionText(api.policyXml, section) ?? "").replace(/<base\s*\/>/, "");
  const opText = sectionText(op.policyXml, section);
  const text = opText === undefined ? apiText : opText.replace(/<base\s*\/>/, apiText);
  return [...text.matchAll(/<include-fragment fragment-id="([^"]+)"/g)].map((m) => m[1]!);
}

/** The fragment ids the command's output shows in a section, in order. */
function shownFragments(output: string, section: string): string[] {
  const lines = output.split("\n");
  const start = lines.indexOf(section);
  const end = lines.findIndex((l, i) => i > start && (SECTIONS as readonly string[]).includes(l));
  return lines.slice(start + 1, end === -1 ? undefined : end).flatMap((l) => /(?:^|\s)fragment ([a-z0-9-]+)/.exec(l)?.[1] ?? []);
}

/** The Reads, Sets and Answers lines of a fragment's header, whitespace collapsed. */
function contractLines(fragmentXml: string): string[] {
  const comment = /<!--([\s\S]*?)-->/.exec(fragmentXml)![1]!;
  return ["Reads", "Sets", "Answers"].map((k) => {
    const m = new RegExp(`${k}:([\\s\\S]*?)(?=\\n\\s*(?:Threats|Cache|Reads|Sets|Answers):|$)`).exec(comment);
    expect(m, `fragment header ${k}: line`).not.toBeNull();
    return `${k}: ${collapse(m![1]!)}`;
  });
}

function run(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ["--import", "tsx", "local/policy.ts", ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
  child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
  return new Promise((done) => child.on("close", (code) => done({ code, stdout, stderr })));
}

let single: GatewayConfig;
let two: GatewayConfig;

beforeAll(async () => {
  single = await gateway({});
  two = await gateway({ MCP_PLATFORM_CONFIG: join(ROOT, "examples", "two-servers.json") });
}, 240_000);

describe("endpointPipeline: the effective pipeline of an endpoint", () => {
  it("answers for every endpoint of the OAuth API: its operation, each fragment where it is included and in order, with the header's Reads, Sets and Answers", () => {
    const oauth = single.apis.find((a) => a.name === "oauth")!;
    expect(oauth.operations.length).toBeGreaterThanOrEqual(17);
    for (const op of oauth.operations) {
      const path = op.urlTemplate;
      const output = endpointPipeline(single, op.method, path);
      expect(output.split("\n")[0], `${op.method} ${path}`).toBe(`${op.method} ${path}: API "oauth" (OAuth authorization server for MCP clients, path "/"), operation "${op.operationId}" (${op.method} ${path})`);
      for (const section of SECTIONS) expect(shownFragments(output, section), `${op.method} ${path} ${section}`).toEqual(expectedFragments(oauth, op, section));
      const flat = collapse(output);
      for (const id of SECTIONS.flatMap((s) => expectedFragments(oauth, op, s))) {
        for (const line of contractLines(single.fragments.get(id)!)) expect(flat, `${op.method} ${path}: fragment ${id}`).toContain(line);
      }
    }
  });

  it("shows POST /token as the OAuth API's client policy, then the token operation's steps, then the API's on-error", () => {
    const output = endpointPipeline(single, "post", "/token", { policiesRoot: ROOT });
    expect(shownFragments(output, "inbound")).toEqual([
      "oauth-client-policy",
      "oauth-form-parse",
      "oauth-client-credentials",
      "oauth-client-registration",
      "oauth-static-secrets",
      "oauth-client-authenticate",
      "oauth-token-request",
      "oauth-token-code-grant",
      "oauth-token-refresh-grant",
      "oauth-client-allowed",
      "oauth-token-issue",
      "oauth-respond",
    ]);
    expect(shownFragments(output, "on-error")).toEqual(["oauth-on-error"]);
    expect(output).toContain("API policy (oauth), policies/oauth-api.xml:");
    expect(output).toContain("Operation policy (token-post), policies/oauth-token.xml:");
    expect(output).toContain("  api        fragment oauth-client-policy (policies/fragments/oauth-client-policy.xml)");
    expect(output).toContain("  operation  fragment oauth-token-issue (policies/fragments/oauth-token-issue.xml)");
    // The statements the operation itself writes, between its fragments, with the scope they were written in.
    expect(output).toMatch(/ {2}operation {2}<choose>\n\s+<when condition="@\(context\.Variables\.ContainsKey\("token-consume"\)\)">\n\s+<cache-remove-value key="@\(\(string\)context\.Variables\["token-lookup-key"\]\)" \/>/);
    expect(output).toContain("Global policy: none in the stack; API Management's default applies (forward-request in backend)");
    expect(output).toMatch(/\nbackend\n {2}global {5}<forward-request \/> {3}\(API Management's default global policy\)\n/);
    expect(output).toContain("\noutbound\n  (nothing)\n");
  });

  it("shows an MCP server's path as its API's pipeline (no operation policy), streaming to the backend", () => {
    const mcp = single.apis.find((a) => a.name === "mcp")!;
    const post = mcp.operations.find((o) => o.method === "POST")!;
    const output = endpointPipeline(single, "POST", "/mcp");
    expect(output.split("\n")[0]).toBe(`POST /mcp: API "mcp" (MCP server, path "/mcp"), operation "mcp-post" (POST /)`);
    expect(output).toContain("Operation policy (mcp-post): none (the API policy applies)");
    for (const section of SECTIONS) expect(shownFragments(output, section), section).toEqual(expectedFragments(mcp, post, section));
    expect(shownFragments(output, "inbound")).toContain("mcp-token-check");
    expect(output).toMatch(/\nbackend\n {2}api {8}<forward-request buffer-response="false" timeout="\{\{mcp-backend-timeout\}\}" \/>\n/);
    expect(endpointPipeline(single, "POST", "/mcp/")).toBe(output);
    expect(endpointPipeline(single, "POST", "https://gateway.example.com/mcp?x=1")).toBe(output);
  });

  it("shows a second server's path with its own named values, and its protected resource metadata on the OAuth API", () => {
    const output = endpointPipeline(two, "POST", "/tickets/mcp");
    expect(output.split("\n")[0]).toBe(`POST /tickets/mcp: API "mcp-tickets" (MCP server Tickets, path "/tickets/mcp"), operation "mcp-post" (POST /)`);
    expect(output).toContain(`<set-variable name="server-resource" value="{{gateway-url}}/{{mcp-path-tickets}}" />`);
    expect(endpointPipeline(two, "POST", "/mcp")).toContain(`<set-variable name="server-resource" value="{{gateway-url}}/{{mcp-path}}" />`);
    const prm = endpointPipeline(two, "GET", "/.well-known/oauth-protected-resource/tickets/mcp");
    expect(prm.split("\n")[0]).toMatch(/^GET \/\.well-known\/oauth-protected-resource\/tickets\/mcp: API "oauth" .*operation "prm-get-tickets"/);
  });

  it("lists every statement of each fragment with statements: true", () => {
    const brief = endpointPipeline(single, "POST", "/token");
    const full = endpointPipeline(single, "POST", "/token", { statements: true });
    expect(brief).not.toContain(`<set-variable name="form"`);
    expect(full).toContain(`<set-variable name="form" value="@{ var form = new JObject();`);
    expect(shownFragments(full, "inbound")).toEqual(shownFragments(brief, "inbound"));
  });

  it("fails an unknown path or method clearly, listing the endpoints that exist", () => {
    const endpoints = gatewayEndpoints(single);
    const operations = single.apis.reduce((n, a) => n + a.operations.length, 0);
    expect(endpoints).toHaveLength(operations);
    expect(endpoints).toEqual(expect.arrayContaining(["POST /token", "OPTIONS /token", "POST /mcp", "GET /.well-known/oauth-protected-resource/mcp", "GET /authorize"]));
    const failure = (method: string, path: string) => {
      try {
        findEndpoint(single, method, path);
      } catch (e) {
        expect(e).toBeInstanceOf(UnknownEndpointError);
        expect((e as UnknownEndpointError).endpoints).toEqual(endpoints);
        return (e as Error).message;
      }
      throw new Error(`${method} ${path} was found`);
    };
    const list = `The endpoints of this gateway:\n${endpoints.map((e) => `  ${e}`).join("\n")}`;
    expect(failure("DELETE", "/token")).toBe(`DELETE /token: API "oauth" answers /token only to OPTIONS, POST, not to DELETE.\n${list}`);
    expect(failure("GET", "/nope")).toBe(`GET /nope: no API of this gateway has an operation for /nope.\n${list}`);
    expect(failure("GET", "/mcp/extra")).toBe(`GET /mcp/extra: no API of this gateway has an operation for /mcp/extra.\n${list}`);
    expect(failure("POST", "token")).toBe(`"token" is not a path: expected one starting with "/" (e.g. /token) or an https:// URL.\n${list}`);
    expect(failure("GET", "https://")).toBe(`"https://" is not a URL.\n${list}`);
    expect(failure("POST", "/tok\u202een")).toMatch(/^POST "\/tok\\u\{202e\}en": no API/);
  });
});

describe("parseArguments", () => {
  it("reads a method (any case) and a path or URL, and --statements", () => {
    expect(parseArguments(["post", "/token"])).toEqual({ method: "POST", path: "/token", statements: false });
    expect(parseArguments(["--statements", "GET", "https://gw.example.com/authorize?x=1"])).toEqual({ method: "GET", path: "https://gw.example.com/authorize?x=1", statements: true });
  });

  it.each([
    [[], "expected a method and a path, got nothing"],
    [["POST"], `expected a method and a path, got "POST"`],
    [["POST", "/token", "/mcp"], `expected a method and a path, got "POST" "/token" "/mcp"`],
    [["--verbose", "POST", "/token"], `unknown option "--verbose"`],
    [["PO ST", "/token"], `"PO ST" is not an HTTP method (expected letters only, e.g. POST)`],
    [["POST", "token"], `"token" is not a path: expected one starting with "/" (e.g. /token) or an https:// URL`],
    [["POST", "/to\tken"], `"/to\\tken" holds spaces or control characters; a path is written as sent (percent-encoded)`],
    [["POST", "https://"], `"https://" is not a URL`],
  ])("fails %j with a usage message", (argv, message) => {
    expect(() => parseArguments(argv)).toThrow(UsageError);
    expect(() => parseArguments(argv)).toThrow(`${message}\nUsage: npm run policy -- METHOD PATH [--statements]`);
  });
});

describe("npm run policy (local/policy.ts)", () => {
  it("synthesizes the stack and prints the pipeline of POST /token, exit 0", async () => {
    const { code, stdout, stderr } = await run(["POST", "/token"]);
    expect({ code, stderr }).toEqual({ code: 0, stderr: "" });
    expect(stdout).toBe(endpointPipeline(single, "POST", "/token", { policiesRoot: ROOT }));
  }, 180_000);

  it("answers an MCP server's path of the configured platform (MCP_PLATFORM_CONFIG)", async () => {
    const { code, stdout } = await run(["POST", "/tickets/mcp"], { MCP_PLATFORM_CONFIG: "examples/two-servers.json" });
    expect(code).toBe(0);
    expect(stdout).toBe(endpointPipeline(two, "POST", "/tickets/mcp", { policiesRoot: ROOT }));
  }, 180_000);

  it("exits 2 on an unknown endpoint, listing the endpoints, and 1 when the stack does not synthesize", async () => {
    const unknown = await run(["GET", "/nope"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stdout).toBe("");
    expect(unknown.stderr).toContain("GET /nope: no API of this gateway has an operation for /nope.\nThe endpoints of this gateway:\n");
    expect(unknown.stderr).toContain("\n  POST /token\n");
    const broken = await run(["POST", "/token"], { MCP_PLATFORM_CONFIG: "examples/missing.json" });
    expect(broken.code).toBe(1);
    expect(broken.stdout).toBe("");
    expect(broken.stderr).toMatch(/^The stack does not synthesize, so there is no pipeline to show.\n[\s\S]*MCP_PLATFORM_CONFIG \S*examples\/missing\.json: cannot be read/);
    const usage = await run([]);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain("Usage: npm run policy -- METHOD PATH");
  }, 180_000);
});
