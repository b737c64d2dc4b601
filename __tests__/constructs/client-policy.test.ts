/**
 * constructs/client-policy.ts: the generated oauth-client-policy fragment, the policy written into
 * its variables as C# the policies read back exactly (evaluated on Mono).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { clientPolicyFragmentXml, clientPolicyValues, csharpString } from "../../constructs/client-policy.js";
import { clientPolicyProblems, queryBudgetClientBytes, type McpClientPolicy } from "../../vocabulary/oauth-clients.js";
import { parsePolicyXml } from "../../apim-policy/parse.js";
import { ExpressionHost } from "../../local/csharp/expression-host.js";
import { evaluateWith } from "../../test-support/policy-expression.js";

const TEMPLATE = readFileSync(join(import.meta.dirname, "..", "..", "policies", "fragments", "oauth-client-policy.xml"), "utf8");
const BUDGET = queryBudgetClientBytes("https://mcp-apim-0123456789abc.azure-api.net", "mcp");

let host: ExpressionHost;
beforeAll(async () => {
  host = await ExpressionHost.start();
}, 120_000);
afterAll(async () => {
  await host?.close();
});

describe("the oauth-client-policy fragment", () => {
  it("is the template itself for the default policy (today's behaviour)", () => {
    expect(clientPolicyFragmentXml(TEMPLATE, {})).toBe(TEMPLATE);
  });

  it("writes the policy into the four variables as C# the policies read back exactly", async () => {
    const policy: McpClientPolicy = {
      registration: false,
      metadataDocuments: { allow: ["https://vscode.dev/oauth/client-metadata.json", "https://claude.ai/*"] },
      static: [
        { client_id: "corp-cli", client_name: 'Corp "CLI" {{oauth-hmac-key}} <b>&amp; é 😀', redirect_uris: ["http://127.0.0.1/callback", "http://127.0.0.1/callback"] },
        { client_id: "portal", client_name: "Portal", redirect_uris: ["https://portal.contoso.com/cb"], application_type: "web" },
      ],
    };
    const xml = clientPolicyFragmentXml(TEMPLATE, policy);
    expect(xml).not.toMatch(/\{\{/);
    const parsed = parsePolicyXml(xml);
    expect(parsed.ok).toBe(true);
    const values = clientPolicyValues(policy);
    expect(await evaluateWith(host, values["clients-registration"]!, {})).toBe(false);
    expect(await evaluateWith(host, values["clients-documents-reviewed"]!, {})).toBe(true);
    expect(JSON.parse((await evaluateWith(host, values["clients-documents-allow"]!, {})) as string)).toEqual(policy.metadataDocuments!.allow);
    expect(JSON.parse((await evaluateWith(host, values["clients-static"]!, {})) as string)).toEqual({
      "corp-cli": { n: 'Corp "CLI" {{oauth-hmac-key}} <b>&amp; é 😀', r: ["http://127.0.0.1/callback"], a: "native" },
      portal: { n: "Portal", r: ["https://portal.contoso.com/cb"], a: "web" },
    });
  });

  it("escapes quotes, backslashes, doubled braces, markup and non-ASCII in C# strings", () => {
    expect(csharpString('a"b\\c{d}<e>&f\'g é {{x}}')).toBe('"a\\"b\\\\c{d}\\u003Ce\\u003E\\u0026f\\u0027g \\u00E9 \\u007B{x\\u007D}"');
    expect(csharpString("{}")).toBe('"{}"');
  });

  it("fails on a policy too large for one policy fragment, saying what to shorten", () => {
    const statics = Array.from({ length: 40 }, (_, i) => ({ client_id: `cli-${i}`, client_name: `CLI ${i}`, redirect_uris: Array.from({ length: 10 }, (_, j) => `https://app-${i}.example/${"c".repeat(80)}/${j}`) }));
    expect(clientPolicyProblems({ static: statics }, BUDGET)).toEqual([]);
    expect(() => clientPolicyFragmentXml(TEMPLATE, { static: statics })).toThrow(/^clients: the client policy would take \d+ bytes in the policy fragment oauth-client-policy, more than API Management's 32000; list fewer static clients/);
  });

  it("fails on a template that lost one of its variables", () => {
    expect(() => clientPolicyFragmentXml(TEMPLATE.replace(/<set-variable name="clients-static"[^\n]*\n/, ""), {})).toThrow(/expected one <set-variable name="clients-static" value="\.\.\." \/> on one line, found 0/);
  });
});

describe("confidential static clients in the fragment", () => {
  it("writes the method of a confidential client into clients-static, and nothing for a public one", async () => {
    const values = clientPolicyValues({
      static: [
        { client_id: "portal", client_name: "Portal", redirect_uris: ["https://portal.example/cb"], application_type: "web", confidential: true },
        { client_id: "agents", client_name: "Agents", redirect_uris: ["https://agents.example/cb"], confidential: true, token_endpoint_auth_method: "client_secret_post" },
        { client_id: "cli", client_name: "CLI", redirect_uris: ["http://127.0.0.1/cb"] },
      ],
    });
    expect(JSON.parse((await evaluateWith(host, values["clients-static"]!, {})) as string)).toEqual({
      portal: { n: "Portal", r: ["https://portal.example/cb"], a: "web", m: "client_secret_basic" },
      agents: { n: "Agents", r: ["https://agents.example/cb"], a: "native", m: "client_secret_post" },
      cli: { n: "CLI", r: ["http://127.0.0.1/cb"], a: "native" },
    });
  });
});
