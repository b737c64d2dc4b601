import { describe, expect, it } from "vitest";
import { EXISTING_INSTANCE as existing, gatewayInExisting as inExisting, gatewayStack, KEY_VAULT_CERTIFICATE as certificate, KEY_VAULT_ID as keyVaultId, existingServicePostconditions as postconditions, warningsOf } from "../../test-support/gateway.js";
import { danglingReferences, onlyResource, resourcesOf, synthJson, unhashed } from "../../test-support/synth.js";

describe("ApimGateway", () => {
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
});
