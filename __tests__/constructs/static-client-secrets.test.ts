/**
 * StaticClientSecrets: the secrets of the confidential static clients (issue 19 item 3). A
 * random_password each, renewed only with the key version, held in a secret named value, read by
 * the generated fragment oauth-static-secrets, and handed out only as Terraform references, so
 * that no synthesized file, snapshot or output ever holds a secret value.
 */
import { Token } from "cdktf";
import { describe, expect, it } from "vitest";
import type { McpStaticClient } from "../../vocabulary/oauth-clients.js";
import { runPolicyRules } from "../../apim-policy/rules/index.js";
import { policyRules } from "../../constructs/policy-checks.js";
import { CLIENT_SECRETS_FRAGMENT, clientSecretNamedValue, clientSecretsFragment } from "../../constructs/static-client-secrets.js";
import { oauthStack } from "../../test-support/oauth-stack.js";
import { resourcesOf, synthJson, type SynthJson } from "../../test-support/synth.js";

const PORTAL: McpStaticClient = { client_id: "portal", client_name: "Portal", redirect_uris: ["https://portal.contoso.example/cb"], application_type: "web", confidential: true };
const AGENTS: McpStaticClient = { ...PORTAL, client_id: "agents", client_name: "Agents", token_endpoint_auth_method: "client_secret_post" };
const CLI: McpStaticClient = { client_id: "cli", client_name: "CLI", redirect_uris: ["http://127.0.0.1/callback"] };

const REFERENCE = /^\$\{random_password\.[A-Za-z0-9_-]+\.result\}$/;

function stackWith(clients: McpStaticClient[], keyVersion?: string) {
  return oauthStack({ clients: { static: clients }, ...(keyVersion ? { keyVersion } : {}) });
}

function passwords(json: SynthJson): Record<string, unknown>[] {
  return resourcesOf(json, "random_password");
}

function fragment(json: SynthJson): string {
  return resourcesOf(json, "azurerm_api_management_policy_fragment").find((f) => f.name === CLIENT_SECRETS_FRAGMENT)!.value as string;
}

describe("StaticClientSecrets", () => {
  it("makes nothing secret without a confidential static client, and its fragment gives every client an empty digest", () => {
    const { oauth, stack } = stackWith([CLI]);
    const json = synthJson(stack);
    expect(passwords(json)).toEqual([]);
    expect(oauth.staticClientSecrets).toEqual({});
    expect(fragment(json)).toContain('<set-variable name="client-static-secret-digest" value="@("")" />');
    expect(fragment(json)).toContain("Reads: none.");
  });

  it("makes one random_password per confidential static client (48 letters and digits, about 285 bits), keyed to the key version and the client", () => {
    const json = synthJson(stackWith([PORTAL, AGENTS, CLI]).stack);
    const made = passwords(json);
    expect(made.map((p) => (p.keepers as Record<string, string>).client_id).sort()).toEqual(["agents", "portal"]);
    for (const p of made) {
      expect(p).toMatchObject({ length: 48, special: false, keepers: { version: "1", purpose: "static-client-secret" } });
    }
  });

  it("renews a secret when the key version changes, and only then: a new name or redirect URI keeps it", () => {
    const keepers = (clients: McpStaticClient[], keyVersion?: string) => passwords(synthJson(stackWith(clients, keyVersion).stack)).map((p) => p.keepers);
    const first = keepers([PORTAL]);
    expect(keepers([{ ...PORTAL, client_name: "Renamed", redirect_uris: ["https://portal.contoso.example/other"] }])).toEqual(first);
    expect(keepers([{ ...PORTAL, token_endpoint_auth_method: "client_secret_post" }])).toEqual(first);
    expect(keepers([PORTAL], "2")).toEqual([{ ...(first[0] as Record<string, string>), version: "2" }]);
  });

  it("holds each secret in a secret named value, a Terraform reference and never a value", () => {
    const { oauth, stack } = stackWith([PORTAL, AGENTS]);
    const json = synthJson(stack);
    const values = Object.fromEntries(resourcesOf(json, "azurerm_api_management_named_value").map((v) => [v.name as string, v]));
    for (const id of ["portal", "agents"]) {
      const nv = values[clientSecretNamedValue(id)]!;
      expect(nv.secret).toBe(true);
      expect(nv.value).toMatch(REFERENCE);
      // Unresolved at synth: what the sensitive output static_client_secrets is given (McpPlatformStack's test checks it names these same results).
      expect(Token.isUnresolved(oauth.staticClientSecrets[id])).toBe(true);
    }
    expect(Object.keys(oauth.staticClientSecrets).sort()).toEqual(["agents", "portal"]);
  });

  it("gives the policies only the SHA-256 of the secret of the client a request names, and passes every static policy rule", () => {
    const { gateway, stack } = stackWith([PORTAL, AGENTS, CLI]);
    const xml = fragment(synthJson(stack));
    expect(xml).toContain('if (id == "portal") { secret = "{{oauth-client-secret-portal}}"; }');
    expect(xml).toContain('if (id == "agents") { secret = "{{oauth-client-secret-agents}}"; }');
    expect(xml).not.toContain('"cli"');
    expect(xml).toContain("SHA256.Create().ComputeHash(Encoding.UTF8.GetBytes(secret))");
    expect(xml).toMatch(/Reads: client-id, \{\{oauth-client-secret-portal\}\}, \{\{oauth-client-secret-agents\}\}\./);
    expect(runPolicyRules(gateway.policySet(), policyRules)).toEqual([]);
  });

  it("writes a client id into the fragment as a C# string literal, whatever characters it has", () => {
    expect(clientSecretsFragment({ "a~b.c_d-e": "oauth-client-secret-a_b.c_d-e" })).toContain('if (id == "a~b.c_d-e") { secret = "{{oauth-client-secret-a_b.c_d-e}}"; }');
  });

  it("fails when two confidential clients would share a named value ('~' is written '_'), naming both", () => {
    expect(() => stackWith([{ ...PORTAL, client_id: "a~b" }, { ...AGENTS, client_id: "a_b" }])).toThrow(
      'StaticClientSecrets: the confidential static clients "a~b" and "a_b" would share the secret named value oauth-client-secret-a_b',
    );
  });
});
