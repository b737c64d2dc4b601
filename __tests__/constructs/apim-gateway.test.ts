import { mkdtempSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { AnnotationMetadataEntryType, TerraformLocal, type TerraformStack } from "cdktf";
import { KEY_VAULT_SECRET_READER_ROLE, MASKED_QUERY_PARAMETERS, MASKED_REQUEST_HEADERS, MASKED_RESPONSE_HEADERS, type ApimGatewayProps } from "../../constructs/apim-gateway.js";
import { POLICIES_DIR } from "../../constructs/policy-files.js";
import { gatewayStack } from "../../test-support/gateway.js";
import { baseStack, danglingReferences, onlyResource, resourcesOf, synthJson, unhashed, type SynthJson } from "../../test-support/synth.js";

const existing = { name: "contoso-apim", resourceGroupName: "shared-rg", identity: { name: "contoso-apim-mcp", resourceGroupName: "identity-rg" } };
const certificate = "https://contoso-kv.vault.azure.net/secrets/mcp-cert";
const keyVaultId = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/kv-rg/providers/Microsoft.KeyVault/vaults/contoso-kv";

/** A gateway in the existing instance above, with an API. */
function inExisting(props: Partial<ApimGatewayProps> = {}) {
  const built = gatewayStack({ name: undefined, publisherEmail: undefined, publisherName: undefined, existing, ...props });
  built.gateway.addApi("oauth_api", { name: "oauth", path: "", displayName: "OAuth" });
  built.gateway.addApi("mcp_api", { name: "mcp", path: "mcp", displayName: "MCP", streaming: true });
  return built;
}

/** The warning annotations in a stack. */
function warningsOf(stack: TerraformStack): string[] {
  return stack.node.findAll().flatMap((c) => c.node.metadata.filter((m) => m.type === AnnotationMetadataEntryType.WARN).map((m) => String(m.data)));
}

/** The postconditions of the existing service's data source: condition and message. */
function postconditions(json: SynthJson): { condition: string; error_message: string }[] {
  const service = Object.values(json.data?.azurerm_api_management ?? {})[0] as { lifecycle: { postcondition: { condition: string; error_message: string }[] } };
  return service.lifecycle.postcondition;
}

/** A gateway with the fixture policies fully wired. */
function wired() {
  const { stack, gateway } = gatewayStack();
  gateway.addNamedValue("env_name", { name: "env-name", value: "test" });
  gateway.addNamedValue("signing_key", { name: "signing-key", value: "${random_password.k.result}", secret: true });
  gateway.addNamedValue("allowed_origin", { name: "allowed-origin", value: "*" });
  gateway.addPolicyFragment("cors", { name: "shared-cors", file: "fragments/cors.xml", description: "CORS" });
  gateway.setGlobalPolicy("global.xml");
  const api = gateway.addApi("mcp_api", { name: "mcp", path: "mcp", displayName: "MCP", serviceUrl: "https://backend.example", streaming: true });
  api.setPolicy("api.xml");
  api.addOperation("get_item", { operationId: "get-item", displayName: "Get item", method: "get", urlTemplate: "/items/{id}/{*rest}", policyFile: "operation.xml" });
  return { stack, gateway };
}

describe("ApimGateway", () => {
  it("creates the service with BasicV2_1, a user-assigned identity and HTTPS APIs by default", () => {
    const { stack, gateway } = gatewayStack();
    gateway.addApi("oauth_api", { name: "oauth", path: "", displayName: "OAuth" });
    const json = synthJson(stack);
    const service = onlyResource(json, "azurerm_api_management");
    expect(service).toMatchObject({ name: "test-apim", sku_name: "BasicV2_1", publisher_email: "ops@contoso.com" });
    expect(unhashed(service.identity)).toEqual({ type: "UserAssigned", identity_ids: ["${azurerm_user_assigned_identity.gateway_identity.id}"] });
    expect(onlyResource(json, "azurerm_api_management_api")).toMatchObject({ path: "", protocols: ["https"], subscription_required: false });
    expect(gateway.gatewayUrl).toBe("https://test-apim.azure-api.net");
  });

  it("logs to Application Insights without bodies or headers", () => {
    const json = synthJson(gatewayStack().stack);
    const diagnostic = onlyResource(json, "azurerm_api_management_diagnostic");
    for (const side of ["frontend_request", "frontend_response", "backend_request", "backend_response"]) {
      expect(diagnostic[side], side).toMatchObject({ body_bytes: 0, headers_to_log: [] });
    }
    expect(unhashed(onlyResource(json, "azurerm_api_management_logger").application_insights)).toEqual({
      connection_string: "${azurerm_application_insights.observability_app_insights.connection_string}",
    });
  });

  it("masks the callback's code and state and every other secret query parameter in logged URLs, and secret headers", () => {
    const diagnostic = onlyResource(synthJson(gatewayStack().stack), "azurerm_api_management_diagnostic") as Record<string, { data_masking: { query_params?: unknown[]; headers?: unknown[] } }>;
    const masked = (values: readonly string[]) => values.map((value) => ({ mode: "Mask", value }));
    for (const side of ["frontend_request", "backend_request"]) {
      expect(diagnostic[side].data_masking, side).toEqual({ query_params: masked(MASKED_QUERY_PARAMETERS), headers: masked(MASKED_REQUEST_HEADERS) });
    }
    for (const side of ["frontend_response", "backend_response"]) {
      expect(diagnostic[side].data_masking, side).toEqual({ headers: masked(MASKED_RESPONSE_HEADERS) });
    }
    expect(MASKED_QUERY_PARAMETERS).toEqual(
      expect.arrayContaining(["code", "state", "session_state", "code_verifier", "refresh_token", "access_token", "id_token", "token", "client_assertion", "client_secret", "subscription-key"]),
    );
    expect(MASKED_REQUEST_HEADERS).toEqual(expect.arrayContaining(["Authorization", "Cookie"]));
  });

  it("masks every query parameter the policies read unless it is known not to be secret", () => {
    // Public by design: OAuth request parameters that the client, the browser and Entra see anyway.
    const notSecret = ["client_id", "code_challenge", "code_challenge_method", "error", "error_description", "iss", "redirect_uri", "resource", "response_type", "scope"];
    const read = new Set<string>();
    for (const file of readdirSync(POLICIES_DIR, { recursive: true, encoding: "utf8" }).filter((f) => f.endsWith(".xml"))) {
      for (const m of readFileSync(join(POLICIES_DIR, file), "utf8").matchAll(/Query\s*(?:\.GetValueOrDefault(?:<[^>]*>)?\(|\.ContainsKey\(|\[)\s*"([^"]+)"/g)) read.add(m[1]!);
    }
    expect(read.size).toBeGreaterThan(5);
    expect([...read].filter((name) => !MASKED_QUERY_PARAMETERS.includes(name) && !notSecret.includes(name)).sort()).toEqual([]);
    expect([...read].filter((name) => MASKED_QUERY_PARAMETERS.includes(name))).toEqual(expect.arrayContaining(["code", "state"]));
  });

  it("enables HTTP/2 and states the TLS and cipher settings on the classic tiers", () => {
    for (const sku of ["Developer_1", "Basic_1", "Standard_2", "Premium_1"]) {
      const service = onlyResource(synthJson(gatewayStack({ sku }).stack), "azurerm_api_management") as Record<string, Record<string, boolean>>;
      expect(service.protocols, sku).toEqual({ http2_enabled: true });
      expect(service.security, sku).toMatchObject({ frontend_tls10_enabled: false, frontend_tls11_enabled: false, frontend_ssl30_enabled: false, backend_tls10_enabled: false, backend_tls11_enabled: false, triple_des_ciphers_enabled: false });
      expect(Object.values(service.security).every((v) => v === false), sku).toBe(true);
    }
  });

  it("sets no protocol or cipher settings on the v2 tiers (they take none)", () => {
    for (const sku of ["BasicV2_1", "StandardV2_2"]) {
      const service = onlyResource(synthJson(gatewayStack({ sku }).stack), "azurerm_api_management");
      expect(service, sku).not.toHaveProperty("protocols");
      expect(service, sku).not.toHaveProperty("security");
    }
  });

  it("stores named values, honouring the secret flag", () => {
    const { stack } = wired();
    const values = resourcesOf(synthJson(stack), "azurerm_api_management_named_value");
    expect(values.map((v) => [v.name, v.secret]).sort()).toEqual([
      ["allowed-origin", false],
      ["env-name", false],
      ["signing-key", true],
    ]);
  });

  it("loads fragments from policies/ as rawxml, the header comment inside the root", () => {
    const fragment = onlyResource(synthJson(wired().stack), "azurerm_api_management_policy_fragment");
    expect(fragment).toMatchObject({ name: "shared-cors", format: "rawxml", description: "CORS" });
    expect(fragment.value).toContain("Access-Control-Allow-Origin");
    expect(fragment.value).toMatch(/^<fragment>\n\t<!-- Fixture: a fragment reading a named value\. -->\n/);
  });

  it("fails for a fragment that cannot be sent in shape, naming the file and line", () => {
    const dir = mkdtempSync(join(tmpdir(), "policies-"));
    mkdirSync(join(dir, "fragments"));
    writeFileSync(join(dir, "fragments", "bad.xml"), '<fragment>\n\t<set-variable name="x" value="@(@"a\nb")" />\n</fragment>\n');
    writeFileSync(join(dir, "fragments", "trailing.xml"), "<fragment></fragment>\n<more />\n");
    const { gateway } = gatewayStack({ policiesDir: dir });
    expect(() => gateway.addPolicyFragment("bad", { name: "bad", file: "fragments/bad.xml" })).toThrow(
      /^ApimGateway: policies\/fragments\/bad\.xml line 2: a line break inside a C# string literal/,
    );
    expect(() => gateway.addPolicyFragment("trailing", { name: "trailing", file: "fragments/trailing.xml" })).toThrow(/^ApimGateway: policies\/fragments\/trailing\.xml line 2: found "<more \/>\\n" after <\/fragment>; expected only comments or whitespace$/);
  });

  it("makes every policy depend on the named values and fragments it references", () => {
    const json = synthJson(wired().stack);
    expect(unhashed(onlyResource(json, "azurerm_api_management_policy").depends_on)).toEqual([
      "azurerm_api_management_named_value.gateway_env_name",
    ]);
    expect(unhashed(onlyResource(json, "azurerm_api_management_api_policy").depends_on)).toEqual([
      "azurerm_api_management_named_value.gateway_signing_key",
      "azurerm_api_management_policy_fragment.gateway_cors",
    ]);
    expect(unhashed(onlyResource(json, "azurerm_api_management_policy_fragment").depends_on)).toEqual([
      "azurerm_api_management_named_value.gateway_allowed_origin",
    ]);
    expect(unhashed(onlyResource(json, "azurerm_api_management_api_operation_policy").depends_on)).toEqual([
      "azurerm_api_management_named_value.gateway_env_name",
    ]);
  });

  it("derives template parameters from the URL template and upper-cases the method", () => {
    const operation = onlyResource(synthJson(wired().stack), "azurerm_api_management_api_operation");
    expect(operation).toMatchObject({ method: "GET", url_template: "/items/{id}/{*rest}", operation_id: "get-item" });
    expect(operation.template_parameter).toEqual([
      { name: "id", required: true, type: "string" },
      { name: "rest", required: true, type: "string" },
    ]);
  });

  it("describes its policies for the static checks", () => {
    const set = wired().gateway.policySet();
    expect(set.documents.map((d) => [d.scope, d.name, d.file, d.streaming ?? false])).toEqual([
      ["global", "global", "policies/global.xml", false],
      ["api", "mcp", "policies/api.xml", true],
      ["operation", "mcp/get-item", "policies/operation.xml", true],
      ["fragment", "shared-cors", "policies/fragments/cors.xml", false],
    ]);
    expect(set.namedValues).toEqual([
      { name: "env-name", secret: false },
      { name: "signing-key", secret: true },
      { name: "allowed-origin", secret: false },
    ]);
  });

  describe("in an existing instance", () => {
    it("reads the service and its assigned identity with data sources and creates neither", () => {
      const { stack, gateway } = inExisting();
      const json = synthJson(stack);
      expect(json.resource).not.toHaveProperty("azurerm_api_management");
      expect(json.resource).not.toHaveProperty("azurerm_user_assigned_identity");
      expect(Object.values(json.data?.azurerm_api_management ?? {})).toEqual([expect.objectContaining({ name: "contoso-apim", resource_group_name: "shared-rg" })]);
      expect(Object.values(json.data?.azurerm_user_assigned_identity ?? {})).toEqual([{ name: "contoso-apim-mcp", resource_group_name: "identity-rg" }]);
      expect(gateway.isExisting).toBe(true);
      expect(gateway.name).toBe("contoso-apim");
      expect(gateway.gatewayUrl).toBe("https://contoso-apim.azure-api.net");
      expect(unhashed(onlyResource(json, "azurerm_api_management_logger"))).toMatchObject({
        name: "mcp-platform-insights",
        api_management_name: "${data.azurerm_api_management.gateway_service.name}",
        resource_group_name: "${data.azurerm_api_management.gateway_service.resource_group_name}",
      });
      for (const api of resourcesOf(json, "azurerm_api_management_api")) {
        expect(unhashed(api).api_management_name).toBe("${data.azurerm_api_management.gateway_service.name}");
      }
      expect(danglingReferences(json)).toEqual([]);
    });

    it("synthesizes the existing-instance shape with a bound host (snapshot)", () => {
      expect(unhashed(synthJson(inExisting({ customDomain: { hostName: "mcp.contoso.com" } }).stack))).toMatchSnapshot();
    });

    it("hands the existing identity to what trusts it (its client id and principal id)", () => {
      const { stack, gateway } = inExisting();
      gateway.addNamedValue("client_id", { name: "apim-identity-client-id", value: gateway.identity.clientId });
      gateway.addNamedValue("principal_id", { name: "principal", value: gateway.identity.principalId });
      const values = resourcesOf(synthJson(stack), "azurerm_api_management_named_value").map((v) => unhashed(v.value));
      expect(values).toEqual(["${data.azurerm_user_assigned_identity.gateway_identity.client_id}", "${data.azurerm_user_assigned_identity.gateway_identity.principal_id}"]);
    });

    it("sets diagnostics on each of its APIs, never service-wide, with the same no-body, no-header, masked settings", () => {
      const json = synthJson(inExisting().stack);
      expect(json.resource).not.toHaveProperty("azurerm_api_management_diagnostic");
      const diagnostics = resourcesOf(json, "azurerm_api_management_api_diagnostic").map((d) => unhashed(d));
      expect(diagnostics.map((d) => d.api_name).sort()).toEqual(["${azurerm_api_management_api.gateway_mcp_api.name}", "${azurerm_api_management_api.gateway_oauth_api.name}"]);
      const newInstance = onlyResource(synthJson(gatewayStack().stack), "azurerm_api_management_diagnostic");
      for (const diagnostic of diagnostics) {
        expect(diagnostic).toMatchObject({ identifier: "applicationinsights", api_management_logger_id: "${azurerm_api_management_logger.gateway_logger.id}" });
        for (const side of ["frontend_request", "frontend_response", "backend_request", "backend_response", "sampling_percentage", "always_log_errors", "verbosity", "log_client_ip"]) {
          expect(diagnostic[side], side).toEqual(newInstance[side]);
        }
      }
    });

    it("refuses at plan an instance on the Consumption tier, or whose identities lack the configured one, naming both", () => {
      const [tier, identity, ...rest] = postconditions(synthJson(inExisting().stack));
      expect(rest).toEqual([]);
      expect(tier.condition).toBe('${!can(regex("(?i)^consumption", self.sku_name))}');
      expect(tier.error_message).toMatch(/^API Management "contoso-apim" \(resource group "shared-rg"\) is on the Consumption tier, and .*no built-in cache/);
      expect(unhashed(identity.condition)).toBe("${contains([for id in try(self.identity[0].identity_ids, []) : lower(id)], lower(data.azurerm_user_assigned_identity.gateway_identity.id))}");
      expect(identity.error_message).toContain('The managed identity "contoso-apim-mcp" (resource group "identity-rg") is not assigned to API Management "contoso-apim"');
    });

    it("refuses a global policy: it would apply to every API of the instance", () => {
      const { gateway } = inExisting();
      expect(() => gateway.setGlobalPolicy("global.xml")).toThrow(/a global policy is refused in the existing API Management "contoso-apim"/);
    });

    it("binds a custom domain only when the instance has no other one, and warns that destroy removes the instance's custom domains", () => {
      const { stack } = inExisting({ customDomain: { hostName: "mcp.contoso.com", keyVaultCertificateId: certificate, keyVaultId } });
      const json = synthJson(stack);
      expect(unhashed(onlyResource(json, "azurerm_api_management_custom_domain").api_management_id)).toBe("${data.azurerm_api_management.gateway_service.id}");
      const domains = postconditions(json)[2]!;
      expect(domains.condition).toContain('contains(["mcp.contoso.com", "contoso-apim.azure-api.net"], lower(h))');
      expect(domains.condition).toContain("c.proxy[*].host_name, c.portal[*].host_name, c.developer_portal[*].host_name, c.management[*].host_name, c.scm[*].host_name");
      expect(domains.error_message).toContain('has custom domains already: azurerm manages every custom domain of an instance as one resource');
      expect(warningsOf(stack).join("\n")).toMatch(/`cdktf destroy` removes every custom domain of "contoso-apim"/);
    });

    it("uses a host already bound to the instance without binding it, and checks at plan that it is bound", () => {
      const { stack, gateway } = inExisting({ customDomain: { hostName: "mcp.contoso.com" } });
      const json = synthJson(stack);
      expect(json.resource).not.toHaveProperty("azurerm_api_management_custom_domain");
      expect(gateway.gatewayUrl).toBe("https://mcp.contoso.com");
      const bound = postconditions(json)[2]!;
      expect(bound.condition).toBe('${contains([for h in try(self.hostname_configuration[0].proxy, []) : lower(h.host_name)], "mcp.contoso.com")}');
      expect(bound.error_message).toContain('has no gateway custom domain "mcp.contoso.com": bind it there first');
    });

    it("fails for a name other than the existing instance's, or bad names", () => {
      expect(() => gatewayStack({ name: "other-apim", existing })).toThrow(/name "other-apim" differs from existing.name "contoso-apim"/);
      expect(() => gatewayStack({ name: undefined, existing: { ...existing, name: "1bad" } })).toThrow(/existing.name "1bad" breaks API Management naming rules/);
      expect(() => gatewayStack({ name: undefined, existing: { ...existing, identity: { name: "x", resourceGroupName: "rg" } } })).toThrow(/existing.identity.name "x" is not a user-assigned managed identity name/);
    });
  });

  describe("with a custom domain", () => {
    it("serves at https://<hostName> and binds the domain with the Key Vault certificate, read with the gateway's identity", () => {
      const { stack, gateway } = gatewayStack({ customDomain: { hostName: "mcp.contoso.com", keyVaultCertificateId: certificate, keyVaultId } });
      expect(gateway.gatewayUrl).toBe("https://mcp.contoso.com");
      expect(gateway.defaultHostName).toBe("test-apim.azure-api.net");
      const json = synthJson(stack);
      expect(unhashed(onlyResource(json, "azurerm_api_management_custom_domain"))).toEqual({
        api_management_id: "${azurerm_api_management.gateway_service.id}",
        depends_on: ["azurerm_role_assignment.gateway_certificate_access"],
        gateway: [{ host_name: "mcp.contoso.com", key_vault_certificate_id: certificate, negotiate_client_certificate: false, ssl_keyvault_identity_client_id: "${azurerm_user_assigned_identity.gateway_identity.client_id}" }],
      });
      expect(onlyResource(json, "azurerm_api_management")).not.toHaveProperty("hostname_configuration");
      expect(warningsOf(stack)).toEqual([]);
    });

    it("synthesizes the custom-domain shape of a new instance (snapshot of what it adds)", () => {
      const json = synthJson(gatewayStack({ customDomain: { hostName: "mcp.contoso.com", keyVaultCertificateId: certificate, keyVaultId } }).stack);
      const plain = synthJson(gatewayStack().stack);
      const added = Object.fromEntries(Object.entries(json.resource).filter(([type]) => !(type in plain.resource)));
      expect(Object.keys(added).sort()).toEqual(["azurerm_api_management_custom_domain", "azurerm_role_assignment"]);
      expect(unhashed(added)).toMatchSnapshot();
    });

    it("grants the identity read access to that one secret when the Key Vault is given", () => {
      const assignment = unhashed(onlyResource(synthJson(gatewayStack({ customDomain: { hostName: "mcp.contoso.com", keyVaultCertificateId: `${certificate}/0123456789abcdef0123456789abcdef`, keyVaultId } }).stack), "azurerm_role_assignment"));
      expect(assignment).toMatchObject({
        scope: `${keyVaultId}/secrets/mcp-cert`,
        role_definition_name: KEY_VAULT_SECRET_READER_ROLE,
        principal_id: "${azurerm_user_assigned_identity.gateway_identity.principal_id}",
        principal_type: "ServicePrincipal",
      });
      expect(KEY_VAULT_SECRET_READER_ROLE).toBe("Key Vault Secrets User");
    });

    it("takes the certificate and the vault as references to resources of the same stack", () => {
      const base = baseStack();
      const certificateId = new TerraformLocal(base.stack, "certificate_id", certificate).asString;
      const vaultId = new TerraformLocal(base.stack, "vault_id", keyVaultId).asString;
      const { stack } = gatewayStack({ customDomain: { hostName: "mcp.contoso.com", keyVaultCertificateId: certificateId, keyVaultId: vaultId } }, base);
      const json = synthJson(stack);
      expect(onlyResource(json, "azurerm_role_assignment").scope).toBe('${local.vault_id}/secrets/${element(split("/", local.certificate_id), 4)}');
      expect((onlyResource(json, "azurerm_api_management_custom_domain").gateway as { key_vault_certificate_id: string }[])[0]!.key_vault_certificate_id).toBe("${local.certificate_id}");
    });

    it("grants nothing without the Key Vault, and warns with what to grant", () => {
      const { stack } = gatewayStack({ customDomain: { hostName: "mcp.contoso.com", keyVaultCertificateId: certificate } });
      const json = synthJson(stack);
      expect(json.resource).not.toHaveProperty("azurerm_role_assignment");
      expect(onlyResource(json, "azurerm_api_management_custom_domain")).not.toHaveProperty("depends_on");
      expect(warningsOf(stack)).toEqual([expect.stringMatching(/^Custom domain mcp\.contoso\.com: API Management reads its certificate .* Key Vault Secrets User .*set gateway\.keyVaultId .*CNAME from mcp\.contoso\.com to test-apim\.azure-api\.net is yours/)]);
    });

    it.each<[string, Partial<ApimGatewayProps>["customDomain"], RegExp]>([
      ["a host name with a scheme", { hostName: "https://mcp.contoso.com", keyVaultCertificateId: certificate }, /customDomain.hostName "https:\/\/mcp.contoso.com" is not a DNS host name/],
      ["the default host", { hostName: "test-apim.azure-api.net", keyVaultCertificateId: certificate }, /"test-apim.azure-api.net" is a default API Management host/],
      ["no certificate for a new instance", { hostName: "mcp.contoso.com" }, /customDomain "mcp.contoso.com" has no keyVaultCertificateId; a new instance needs the certificate/],
      ["a certificate outside Key Vault", { hostName: "mcp.contoso.com", keyVaultCertificateId: "https://evil.example/secrets/c" }, /keyVaultCertificateId "https:\/\/evil.example\/secrets\/c" is not a Key Vault secret id/],
      ["a Key Vault id that is not one", { hostName: "mcp.contoso.com", keyVaultCertificateId: certificate, keyVaultId: "contoso-kv" }, /keyVaultId "contoso-kv" is not a Key Vault resource id/],
      ["another vault than the certificate's", { hostName: "mcp.contoso.com", keyVaultCertificateId: certificate, keyVaultId: keyVaultId.replace("contoso-kv", "other-kv") }, /keyVaultId names the vault "other-kv", but the certificate is in "contoso-kv"/],
    ])("fails for %s", (_what, customDomain, expected) => {
      expect(() => gatewayStack({ customDomain })).toThrow(expected);
    });
  });

  it("fails for a new instance without its name, publisher or resource group", () => {
    expect(() => gatewayStack({ name: undefined, publisherEmail: undefined })).toThrow(/^ApimGateway: name, publisherEmail missing; expected them for a new API Management instance, or `existing`/);
  });

  it("fails for the Consumption tier, naming the reason", () => {
    expect(() => gatewayStack({ sku: "Consumption_0" })).toThrow(/"Consumption_0" is refused: .*no built-in cache.*server-sent events.*16 KiB/);
  });

  it("fails for an unknown SKU", () => {
    expect(() => gatewayStack({ sku: "Gold_1" })).toThrow(/"Gold_1" is not an API Management SKU/);
  });

  it("fails for a name that breaks API Management naming rules", () => {
    expect(() => gatewayStack({ name: "1-bad--name" })).toThrow(/name "1-bad--name" breaks API Management naming rules/);
  });

  it("fails for a duplicate or malformed named value", () => {
    const { gateway } = gatewayStack();
    gateway.addNamedValue("a", { name: "dup", value: "1" });
    expect(() => gateway.addNamedValue("b", { name: "dup", value: "2" })).toThrow(/named value "dup" is defined twice/);
    expect(() => gateway.addNamedValue("c", { name: "has space", value: "2" })).toThrow(/named value name "has space" is invalid/);
    expect(() => gateway.addNamedValue("d", { name: "empty", value: "" })).toThrow(/"empty" has an empty value/);
  });

  it("fails for a policy file that is missing, outside policies/ or not XML", () => {
    const { gateway } = gatewayStack();
    expect(() => gateway.setGlobalPolicy("missing.xml")).toThrow(/"policies\/missing.xml" does not exist/);
    expect(() => gateway.setGlobalPolicy("../synth.ts")).toThrow(/"..\/synth.ts" is outside policies\//);
    expect(() => gateway.addPolicyFragment("n", { name: "notes", file: "notes.txt" })).toThrow(/"notes.txt" is not an .xml file/);
  });

  it("fails for duplicate APIs, paths and operations, and bad operations", () => {
    const { gateway } = gatewayStack();
    const api = gateway.addApi("a", { name: "one", path: "x", displayName: "One" });
    expect(() => gateway.addApi("b", { name: "one", path: "y", displayName: "Dup" })).toThrow(/API "one" is defined twice/);
    expect(() => gateway.addApi("c", { name: "two", path: "x", displayName: "Two" })).toThrow(/path "x", already used by API "one"/);
    expect(() => gateway.addApi("d", { name: "three", path: "/z", displayName: "Three" })).toThrow(/path "\/z" must not start or end with '\/'/);
    api.addOperation("op", { operationId: "op", displayName: "Op", method: "POST", urlTemplate: "/" });
    expect(() => api.addOperation("op2", { operationId: "op", displayName: "Op", method: "POST", urlTemplate: "/" })).toThrow(/already has an operation "op"/);
    expect(() => api.addOperation("op3", { operationId: "op3", displayName: "Op", method: "FETCH", urlTemplate: "/" })).toThrow(/method "FETCH"/);
    expect(() => api.addOperation("op4", { operationId: "op4", displayName: "Op", method: "GET", urlTemplate: "items" })).toThrow(/URL template "items"/);
  });
});
