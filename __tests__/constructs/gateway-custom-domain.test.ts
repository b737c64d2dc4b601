import { describe, expect, it } from "vitest";
import { TerraformLocal } from "cdktf";
import type { ApimGatewayProps } from "../../constructs/apim-gateway.js";
import { KEY_VAULT_SECRET_READER_ROLE } from "../../constructs/gateway-custom-domain.js";
import { gatewayStack, KEY_VAULT_CERTIFICATE as certificate, KEY_VAULT_ID as keyVaultId, warningsOf } from "../../test-support/gateway.js";
import { baseStack, onlyResource, synthJson, unhashed } from "../../test-support/synth.js";

describe("ApimGateway", () => {
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
        // By id in the vault's subscription, not looked up by name at the secret's scope.
        role_definition_id: `/subscriptions/${keyVaultId.split("/")[2]}/providers/Microsoft.Authorization/roleDefinitions/4633458b-17de-408a-b874-0445c86b69e6`,
        principal_id: "${azurerm_user_assigned_identity.gateway_identity.principal_id}",
        principal_type: "ServicePrincipal",
      });
      expect(assignment).not.toHaveProperty("role_definition_name");
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
});
