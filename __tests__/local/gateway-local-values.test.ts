import { describe, expect, it } from "vitest";
import { generateLocalValues, localEntraApps, localIdentities, localServers } from "../../local/gateway/local-values.js";
import { loadGatewayConfig } from "../../local/gateway/config.js";

const endpoints = { gatewayUrl: "http://127.0.0.1:1001", mcpAppUrl: "http://127.0.0.1:1002", entraUrl: "http://127.0.0.1:1003" };
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function tf() {
  return {
    data: { azurerm_client_config: { current: {} } },
    locals: { suffix: '${substr(sha1(data.azurerm_client_config.current.subscription_id), 0, 6)}' },
    resource: {
      azurerm_api_management: { gw: { name: "apim-${local.suffix}" } },
      azurerm_user_assigned_identity: { mi: { name: "mi" } },
      azuread_application_registration: { app: { display_name: "app" } },
      azuread_application_federated_identity_credential: { fic: { subject: "${azurerm_user_assigned_identity.mi.principal_id}" } },
      random_bytes: { key: { length: 32 } },
      azurerm_linux_web_app: {
        web: {
          name: "app-${local.suffix}",
          app_settings: {
            ENTRA_TENANT_ID: "${data.azurerm_client_config.current.tenant_id}",
            ENTRA_CLIENT_ID: "${azuread_application_registration.app.client_id}",
            MCP_REQUIRED_SCOPE: "user_impersonate",
            APPLICATIONINSIGHTS_CONNECTION_STRING: "${azurerm_application_insights.ai.connection_string}",
          },
        },
      },
      azurerm_api_management_named_value: {
        key: { name: "hmac", value: "${random_bytes.key.base64}", secret: true },
        mi: { name: "mi-client", value: "${azurerm_user_assigned_identity.mi.client_id}" },
        gw: { name: "gateway-url", value: "https://${azurerm_api_management.gw.name}.azure-api.net" },
        tok: { name: "entra-token-url", value: "https://login.microsoftonline.com/${data.azurerm_client_config.current.tenant_id}/oauth2/v2.0/token" },
      },
      azurerm_api_management_api: { mcp: { name: "mcp", path: "mcp", service_url: "https://${azurerm_linux_web_app.web.default_hostname}" } },
    },
  };
}

describe("local values for npm run local", () => {
  it("makes up ids and keys, and rewrites Azure hosts to the local endpoints", () => {
    const values = generateLocalValues(tf(), endpoints);
    const cfg = loadGatewayConfig(tf(), values);
    const nv = Object.fromEntries([...cfg.namedValues.values()].map((v) => [v.name, v.value]));
    expect(nv["gateway-url"]).toBe(endpoints.gatewayUrl);
    expect(nv["entra-token-url"]).toMatch(new RegExp(`^${endpoints.entraUrl}/[0-9a-f-]{36}/oauth2/v2.0/token$`));
    expect(Buffer.from(nv.hmac!, "base64")).toHaveLength(32);
    expect(nv["mi-client"]).toMatch(GUID);
    expect(cfg.apis[0]!.serviceUrl).toBe(endpoints.mcpAppUrl);
  });

  it("reads back consistent identities: one tenant, the identity trusted by the federated credential", () => {
    const values = generateLocalValues(tf(), endpoints);
    const ids = localIdentities(tf(), values);
    expect(ids.tenantId).toMatch(GUID);
    expect(ids.appClientId).toMatch(GUID);
    expect(ids.managedIdentityPrincipalId).toMatch(GUID);
    expect(ids.managedIdentityClientId).not.toBe(ids.managedIdentityPrincipalId);
    const tokenUrl = loadGatewayConfig(tf(), values).namedValues.get("entra-token-url")!.value;
    expect(tokenUrl).toContain(`/${ids.tenantId}/`);
  });

  it("keeps previously generated values (ids and keys survive restarts) but rewrites URLs anew", () => {
    const first = generateLocalValues(tf(), endpoints);
    const second = generateLocalValues(tf(), { ...endpoints, gatewayUrl: "http://127.0.0.1:2001" }, first);
    expect(second.references).toEqual(first.references);
    expect(Object.values(second.urlRewrites!)).toContain("http://127.0.0.1:2001");
  });

  it("fails naming a computed reference it cannot make up", () => {
    const t = tf();
    (t.resource.azurerm_api_management_named_value as Record<string, unknown>).odd = { name: "odd", value: "${azurerm_key_vault.kv.vault_uri}" };
    expect(() => generateLocalValues(t, endpoints)).toThrow(/local values cannot be generated for azurerm_key_vault\.kv\.vault_uri/);
  });

  it("fails when the MCP app settings lack the Entra client id", () => {
    const t = tf();
    delete (t.resource.azurerm_linux_web_app.web.app_settings as Record<string, unknown>).ENTRA_CLIENT_ID;
    expect(() => localIdentities(t, generateLocalValues(t, endpoints))).toThrow(/app_settings lack ENTRA_CLIENT_ID/);
  });

  it("reads an existing instance's identity from its data source and rewrites a custom gateway host", () => {
    const t = tf() as ReturnType<typeof tf> & { data: Record<string, unknown> };
    delete (t.resource as Record<string, unknown>).azurerm_user_assigned_identity;
    delete (t.resource as Record<string, unknown>).azurerm_api_management;
    t.data.azurerm_user_assigned_identity = { gw: { name: "contoso-apim-mcp", resource_group_name: "shared-rg" } };
    t.resource.azuread_application_federated_identity_credential.fic.subject = "${data.azurerm_user_assigned_identity.gw.principal_id}";
    t.resource.azurerm_api_management_named_value.mi.value = "${data.azurerm_user_assigned_identity.gw.client_id}";
    t.resource.azurerm_api_management_named_value.gw.value = "https://mcp.contoso.com";
    const values = generateLocalValues(t, endpoints);
    expect(values.urlRewrites?.["https://mcp.contoso.com"]).toBe(endpoints.gatewayUrl);
    const ids = localIdentities(t, values);
    expect(ids.managedIdentityPrincipalId).toBe(values.references?.["data.azurerm_user_assigned_identity.gw.principal_id"]);
    expect(loadGatewayConfig(t, values).namedValues.get("mi-client")!.value).toBe(ids.managedIdentityClientId);
  });

  it("lists the servers with their kind (from the servers output, else an App Service counts as the sample) and the Entra applications with their scopes", () => {
    const t = tf() as ReturnType<typeof tf> & { output?: Record<string, unknown> };
    Object.assign(t.resource.azuread_application_registration, { tickets: { display_name: "tickets" } });
    Object.assign(t.resource, {
      azuread_application_permission_scope: {
        base: { application_id: "${azuread_application_registration.tickets.id}", value: "user_impersonate" },
        write: { application_id: "${azuread_application_registration.tickets.id}", value: "tickets.write" },
      },
      azuread_application_redirect_uris: { r: { application_id: "${azuread_application_registration.tickets.id}", redirect_uris: ["https://${azurerm_api_management.gw.name}.azure-api.net/oauth-callback"] } },
      azurerm_api_management_api_policy: {
        tickets: { api_name: "${azurerm_api_management_api.tickets.name}", xml_content: '<policies><inbound><set-variable name="server-name" value="{{mcp-server-name-tickets}}" /><set-variable name="server-entra-client-id" value="{{entra-client-id-tickets}}" /></inbound></policies>' },
      },
    });
    Object.assign(t.resource.azurerm_api_management_api, { tickets: { name: "mcp-tickets", path: "tickets/mcp", service_url: "https://tickets.contoso.com" } });
    Object.assign(t.resource.azurerm_api_management_named_value, {
      sn: { name: "mcp-server-name-tickets", value: "tickets" },
      cid: { name: "entra-client-id-tickets", value: "${azuread_application_registration.tickets.client_id}" },
    });
    const values = generateLocalValues(t, endpoints);
    const servers = localServers(t, values);
    const ticketsId = values.references?.["azuread_application_registration.tickets.client_id"];
    expect(servers.map((s) => [s.name, s.path, s.kind, s.backendOrigin])).toEqual([
      ["mcp", "mcp", "sample", `https://app-${String(resolveSuffix(values))}.azurewebsites.net`],
      ["tickets", "tickets/mcp", "url", "https://tickets.contoso.com"],
    ]);
    expect(servers[1]!.entraClientId).toBe(ticketsId);
    expect(servers[0]!.appSettings?.ENTRA_CLIENT_ID).toBe(values.references?.["azuread_application_registration.app.client_id"]);
    t.output = { servers: { value: { mcp: { backend: "app-service" } } } };
    expect(localServers(t, values)[0]!.kind).toBe("app-service");
    const apps = localEntraApps(t, values);
    expect(apps.find((a) => a.clientId === ticketsId)).toMatchObject({ scopeName: "user_impersonate", extraScopeNames: ["tickets.write"], redirectUris: [expect.stringMatching(/^https:\/\/apim-[0-9a-f]{6}\.azure-api\.net\/oauth-callback$/)] });
  });

  describe("confidential static clients' secrets", () => {
    /** The fixture with two confidential static clients: their random_password, secret named value and the sensitive output. */
    function withSecrets() {
      const t = tf() as ReturnType<typeof tf> & { output?: Record<string, unknown> };
      Object.assign(t.resource, { random_password: { portal: { length: 48, special: false }, agents: { length: 48, special: false } } });
      Object.assign(t.resource.azurerm_api_management_named_value, {
        portal: { name: "oauth-client-secret-portal", value: "${random_password.portal.result}", secret: true },
        agents: { name: "oauth-client-secret-agents", value: "${random_password.agents.result}", secret: true },
      });
      t.output = { static_client_secrets: { sensitive: true, value: { portal: "${random_password.portal.result}", agents: "${random_password.agents.result}" } } };
      return t;
    }

    it("makes one per client, as Terraform's random_password would (48 letters and digits), kept under clientSecrets.<client_id>, and the gateway's named values hold them", () => {
      const t = withSecrets();
      const values = generateLocalValues(t, endpoints);
      expect(Object.keys(values.clientSecrets ?? {}).sort()).toEqual(["agents", "portal"]);
      for (const secret of Object.values(values.clientSecrets!)) expect(secret).toMatch(/^[A-Za-z0-9]{48}$/);
      expect(values.clientSecrets!.portal).not.toBe(values.clientSecrets!.agents);
      // Not also kept as a reference: the one place is clientSecrets, as the output names them.
      expect(JSON.stringify(values.references)).not.toContain(values.clientSecrets!.portal);
      const nv = loadGatewayConfig(t, values).namedValues;
      expect(nv.get("oauth-client-secret-portal")!.value).toBe(values.clientSecrets!.portal);
      expect(nv.get("oauth-client-secret-agents")!.value).toBe(values.clientSecrets!.agents);
    });

    it("keeps them across restarts, and makes a new one for a client whose secret was removed (how an administrator renews one locally)", () => {
      const t = withSecrets();
      const first = generateLocalValues(t, endpoints);
      expect(generateLocalValues(t, endpoints, first).clientSecrets).toEqual(first.clientSecrets);
      const renewed = generateLocalValues(t, endpoints, { ...first, clientSecrets: { agents: first.clientSecrets!.agents! } });
      expect(renewed.clientSecrets!.agents).toBe(first.clientSecrets!.agents);
      expect(renewed.clientSecrets!.portal).toMatch(/^[A-Za-z0-9]{48}$/);
      expect(renewed.clientSecrets!.portal).not.toBe(first.clientSecrets!.portal);
    });

    it("has none without the output (no confidential static client)", () => {
      expect(generateLocalValues(tf(), endpoints)).not.toHaveProperty("clientSecrets");
    });
  });
});

/** The 6-character suffix the fixture's names carry, as generated. */
function resolveSuffix(values: ReturnType<typeof generateLocalValues>): string {
  const host = Object.keys(values.urlRewrites ?? {}).find((k) => k.includes(".azure-api.net"))!;
  return /apim-([0-9a-f]{6})/.exec(host)![1]!;
}
