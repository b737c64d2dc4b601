import { describe, expect, it } from "vitest";
import type { TerraformStack } from "cdktf";
import { UserAssignedIdentity } from "@cdktf/provider-azurerm/lib/user-assigned-identity";
import { EntraAppRegistration, type EntraAppRegistrationProps } from "../../constructs/entra-app-registration.js";
import { nameBasedUuid } from "../../constructs/name-uuid.js";
import { synthWarnings } from "../../main.js";
import { baseStack, onlyResource, resourcesOf, synthJson, unhashed } from "../../test-support/synth.js";

function entraStack(props: Partial<EntraAppRegistrationProps> = {}, id = "entra", base?: { stack: TerraformStack; identity: UserAssignedIdentity }) {
  const { stack, resourceGroup } = base ? { stack: base.stack, resourceGroup: undefined } : baseStack();
  const identity = base?.identity ?? new UserAssignedIdentity(stack, "identity", { name: "id", location: resourceGroup!.location, resourceGroupName: resourceGroup!.name });
  const entra = new EntraAppRegistration(stack, id, {
    displayName: "MCP server",
    tenantId: "00000000-0000-0000-0000-000000000001",
    redirectUris: ["https://test-apim.azure-api.net/oauth-callback"],
    trustedIdentity: identity,
    ...props,
  });
  return { stack, entra, identity };
}

const GRAPH = "00000003-0000-0000-c000-000000000000";

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
    // Assignment is not required by default: every user of the tenant may sign in.
    expect(onlyResource(json, "azuread_service_principal")).not.toHaveProperty("app_role_assignment_required");
    expect(resourcesOf(json, "azuread_application_app_role")).toEqual([]);
  });

  it("defines its app roles for users and applications, with ids derived from the seed and the value", () => {
    const roles = [
      { value: "Tickets.Admin", displayName: "Tickets administrator", description: "Closes tickets." },
      { value: "Tickets.Reader", displayName: "Tickets reader", description: "Reads tickets." },
    ];
    const { stack, entra } = entraStack({ appRoles: roles, appRoleIdSeed: "tickets" });
    const json = synthJson(stack);
    const defined = resourcesOf(json, "azuread_application_app_role").map(unhashed);
    expect(defined).toEqual([
      expect.objectContaining({ application_id: "${azuread_application_registration.entra_application.id}", value: "Tickets.Admin", display_name: "Tickets administrator", description: "Closes tickets.", allowed_member_types: ["User", "Application"], role_id: nameBasedUuid("app-role:tickets:Tickets.Admin") }),
      expect.objectContaining({ value: "Tickets.Reader", role_id: nameBasedUuid("app-role:tickets:Tickets.Reader") }),
    ]);
    expect(entra.appRoles.map((r) => r.id)).toEqual(defined.map((r) => r.role_id));
    // The same seed and value give the same id in another stack (and another construct path); another seed another id.
    expect(entraStack({ appRoles: roles, appRoleIdSeed: "tickets" }, "renamed").entra.appRoles[0]!.id).toBe(entra.appRoles[0]!.id);
    expect(entraStack({ appRoles: roles, appRoleIdSeed: "reports" }).entra.appRoles[0]!.id).not.toBe(entra.appRoles[0]!.id);
    // Without a seed, the construct's path is the seed.
    expect(entraStack({ appRoles: roles }).entra.appRoles[0]!.id).toBe(nameBasedUuid("app-role:test/entra:Tickets.Admin"));
  });

  it("requires assignment on the service principal with assignmentRequired", () => {
    const { stack, entra } = entraStack({ assignmentRequired: true });
    expect(entra.assignmentRequired).toBe(true);
    expect(onlyResource(synthJson(stack), "azuread_service_principal")).toMatchObject({ app_role_assignment_required: true });
  });

  it("fails for an app role with a bad value, no texts, or given twice", () => {
    const role = { value: "Tickets.Admin", displayName: "Admin", description: "Admin." };
    expect(() => entraStack({ appRoles: [{ ...role, value: "Tickets Admin" }] })).toThrow(/app role value "Tickets Admin" is invalid; expected 1-40 letters/);
    expect(() => entraStack({ appRoles: [{ ...role, displayName: " " }] })).toThrow(/app role "Tickets.Admin" needs a display name/);
    expect(() => entraStack({ appRoles: [role, role] })).toThrow(/app roles "Tickets.Admin" and "Tickets.Admin" repeat a value/);
    expect(() => entraStack({ appRoles: [role, { ...role, value: "Tickets_Admin" }] })).toThrow(/differ only in punctuation/);
  });

  it("takes a custom scope name and multi-tenant audience", () => {
    const json = synthJson(entraStack({ scopeName: "mcp.tools", signInAudience: "AzureADMultipleOrgs" }).stack);
    expect(onlyResource(json, "azuread_application_permission_scope").value).toBe("mcp.tools");
    expect(onlyResource(json, "azuread_application_registration").sign_in_audience).toBe("AzureADMultipleOrgs");
  });

  it("declares the permissions the gateway asks Entra for: its own scope and Microsoft Graph openid, profile, offline_access", () => {
    const json = synthJson(entraStack().stack);
    const access = unhashed(resourcesOf(json, "azuread_application_api_access"));
    expect(access).toEqual([
      {
        application_id: "${azuread_application_registration.entra_application.id}",
        api_client_id: GRAPH,
        scope_ids: ["openid", "profile", "offline_access"].map((s) => `\${data.azuread_service_principal.microsoft_graph_service_principal.oauth2_permission_scope_ids["${s}"]}`),
      },
      {
        application_id: "${azuread_application_registration.entra_application.id}",
        api_client_id: "${azuread_application_registration.entra_application.client_id}",
        scope_ids: ["${random_uuid.entra_scope_id.result}"],
        depends_on: ["azuread_application_permission_scope.entra_scope"],
      },
    ].map((expected) => expect.objectContaining(expected)));
    expect(json.data?.azuread_service_principal).toEqual({ microsoft_graph_service_principal: { client_id: GRAPH } });
  });

  it("grants nothing by default and warns with what an administrator must do, naming the application", () => {
    const { stack, entra } = entraStack();
    expect(resourcesOf(synthJson(stack), "azuread_service_principal_delegated_permission_grant")).toEqual([]);
    expect(entra.consentGrants).toEqual([]);
    const warnings = synthWarnings(stack);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('the Entra application "MCP server" stops at "Need admin approval"');
    expect(warnings[0]).toContain("Cloud Application Administrator");
    expect(warnings[0]).toContain("az ad app permission admin-consent --id");
    expect(warnings[0]).toContain("user_impersonate and Microsoft Graph openid, profile, offline_access");
  });

  it("grants tenant-wide consent with adminConsent: its own scope to itself and Microsoft Graph openid profile offline_access", () => {
    const { stack, entra } = entraStack({ adminConsent: true });
    const grants = unhashed(resourcesOf(synthJson(stack), "azuread_service_principal_delegated_permission_grant"));
    expect(grants).toEqual([
      {
        claim_values: ["openid", "profile", "offline_access"],
        resource_service_principal_object_id: "${data.azuread_service_principal.microsoft_graph_service_principal.object_id}",
        service_principal_object_id: "${azuread_service_principal.entra_service_principal.object_id}",
      },
      {
        claim_values: ["user_impersonate"],
        depends_on: ["azuread_application_permission_scope.entra_scope"],
        resource_service_principal_object_id: "${azuread_service_principal.entra_service_principal.object_id}",
        service_principal_object_id: "${azuread_service_principal.entra_service_principal.object_id}",
      },
    ]);
    // No user_object_id: consent for all users of the tenant.
    for (const grant of grants) expect(grant).not.toHaveProperty("user_object_id");
    expect(entra.consentGrants).toHaveLength(2);
    expect(synthWarnings(stack)).toEqual([]);
  });

  it("gives each application its own grants and looks Microsoft Graph up once per stack", () => {
    const first = entraStack({ adminConsent: true }, "weather");
    entraStack({ adminConsent: true, displayName: "Tickets", scopeName: "tickets.read" }, "tickets", first);
    const json = synthJson(first.stack);
    const grants = unhashed(resourcesOf(json, "azuread_service_principal_delegated_permission_grant"));
    expect(grants.map((g) => [g.service_principal_object_id, g.claim_values])).toEqual([
      ["${azuread_service_principal.tickets_service_principal.object_id}", ["openid", "profile", "offline_access"]],
      ["${azuread_service_principal.tickets_service_principal.object_id}", ["tickets.read"]],
      ["${azuread_service_principal.weather_service_principal.object_id}", ["openid", "profile", "offline_access"]],
      ["${azuread_service_principal.weather_service_principal.object_id}", ["user_impersonate"]],
    ]);
    expect(Object.keys(json.data?.azuread_service_principal ?? {})).toEqual(["microsoft_graph_service_principal"]);
    expect(resourcesOf(json, "azuread_application_api_access")).toHaveLength(4);
  });

  it("fails for an invalid scope name", () => {
    expect(() => entraStack({ scopeName: "bad scope" })).toThrow(/scopeName "bad scope" is invalid/);
  });

  it("fails without redirect URIs or with a non-HTTPS one", () => {
    expect(() => entraStack({ redirectUris: [] })).toThrow(/redirectUris is empty/);
    expect(() => entraStack({ redirectUris: ["http://gw.example/oauth-callback"] })).toThrow(/"http:\/\/gw.example\/oauth-callback" is not HTTPS/);
  });
});
