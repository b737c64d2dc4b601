import { describe, expect, it } from "vitest";
import { UserAssignedIdentity } from "@cdktf/provider-azurerm/lib/user-assigned-identity";
import { EntraAppRegistration, type EntraAppRegistrationProps } from "../../constructs/entra-app-registration.js";
import { baseStack, onlyResource, resourcesOf, synthJson, unhashed } from "../../test-support/synth.js";

function entraStack(props: Partial<EntraAppRegistrationProps> = {}) {
  const { stack, resourceGroup } = baseStack();
  const identity = new UserAssignedIdentity(stack, "identity", { name: "id", location: resourceGroup.location, resourceGroupName: resourceGroup.name });
  const entra = new EntraAppRegistration(stack, "entra", {
    displayName: "MCP server",
    tenantId: "00000000-0000-0000-0000-000000000001",
    redirectUris: ["https://test-apim.azure-api.net/oauth-callback"],
    trustedIdentity: identity,
    ...props,
  });
  return { stack, entra };
}

describe("EntraAppRegistration", () => {
  it("registers a single-tenant app issuing v2 access tokens", () => {
    const json = synthJson(entraStack().stack);
    expect(onlyResource(json, "azuread_application_registration")).toMatchObject({
      display_name: "MCP server",
      sign_in_audience: "AzureADMyOrg",
      requested_access_token_version: 2,
    });
  });

  it("exposes api://<clientId> and a delegated user_impersonate scope by default", () => {
    const { stack, entra } = entraStack();
    const json = synthJson(stack);
    expect(unhashed(onlyResource(json, "azuread_application_identifier_uri").identifier_uri)).toBe(
      "api://${azuread_application_registration.entra_application.client_id}",
    );
    const scope = onlyResource(json, "azuread_application_permission_scope");
    expect(scope).toMatchObject({ value: "user_impersonate", type: "User" });
    expect(unhashed(scope.scope_id)).toBe("${random_uuid.entra_scope_id.result}");
    expect(entra.scopeName).toBe("user_impersonate");
    expect(entra.fullScope).toMatch(/^api:\/\/\$\{TfToken\[TOKEN\.\d+\]\}\/user_impersonate$/);
  });

  it("uses the gateway callback as its Web redirect URI", () => {
    expect(onlyResource(synthJson(entraStack().stack), "azuread_application_redirect_uris")).toMatchObject({
      type: "Web",
      redirect_uris: ["https://test-apim.azure-api.net/oauth-callback"],
    });
  });

  it("trusts the gateway's user-assigned identity with a federated credential, and has no secret", () => {
    const json = synthJson(entraStack().stack);
    const credential = unhashed(onlyResource(json, "azuread_application_federated_identity_credential"));
    expect(credential).toMatchObject({
      audiences: ["api://AzureADTokenExchange"],
      issuer: "https://login.microsoftonline.com/00000000-0000-0000-0000-000000000001/v2.0",
      subject: "${azurerm_user_assigned_identity.identity.principal_id}",
    });
    expect(resourcesOf(json, "azuread_application_password")).toEqual([]);
    expect(resourcesOf(json, "azuread_service_principal_password")).toEqual([]);
    expect(JSON.stringify(json)).not.toMatch(/password|client_secret/);
  });

  it("creates the service principal for the application", () => {
    const json = synthJson(entraStack().stack);
    expect(unhashed(onlyResource(json, "azuread_service_principal").client_id)).toBe("${azuread_application_registration.entra_application.client_id}");
  });

  it("takes a custom scope name and multi-tenant audience", () => {
    const json = synthJson(entraStack({ scopeName: "mcp.tools", signInAudience: "AzureADMultipleOrgs" }).stack);
    expect(onlyResource(json, "azuread_application_permission_scope").value).toBe("mcp.tools");
    expect(onlyResource(json, "azuread_application_registration").sign_in_audience).toBe("AzureADMultipleOrgs");
  });

  it("fails for an invalid scope name", () => {
    expect(() => entraStack({ scopeName: "bad scope" })).toThrow(/scopeName "bad scope" is invalid/);
  });

  it("fails without redirect URIs or with a non-HTTPS one", () => {
    expect(() => entraStack({ redirectUris: [] })).toThrow(/redirectUris is empty/);
    expect(() => entraStack({ redirectUris: ["http://gw.example/oauth-callback"] })).toThrow(/"http:\/\/gw.example\/oauth-callback" is not HTTPS/);
  });
});
