import { describe, expect, it } from "vitest";
import { Testing, type App } from "cdktf";
import type { Construct } from "constructs";
import { loadConfig } from "../../config/config.js";
import { defaultPlatform } from "../../config/platform.js";
import { McpPlatformStack } from "../../stack/mcp-platform-stack.js";
import { danglingReferences, fixturePackage, onlyResource, platformStack, resourcesOf, synthJson, unhashed, type SynthJson } from "../../test-support/synth.js";

/**
 * What a configuration changes next to the default one: resources and data sources it adds or
 * alters (their whole bodies) and the addresses it removes. Snapshots of these stay readable.
 */
function changedFromDefault(env: Record<string, string>): { changed: Record<string, unknown>; removed: string[] } {
  const flatten = (json: SynthJson) => {
    const all = new Map<string, unknown>();
    for (const [kind, byType] of [["resource", json.resource], ["data", json.data ?? {}]] as const) {
      for (const [type, byName] of Object.entries(byType)) for (const [name, body] of Object.entries(byName)) all.set(`${kind === "data" ? "data." : ""}${type}.${name}`, body);
    }
    return all;
  };
  const base = flatten(synthJson(platformStack().stack));
  const other = flatten(synthJson(platformStack(env).stack));
  const changed: Record<string, unknown> = {};
  for (const [address, body] of other) if (JSON.stringify(base.get(address)) !== JSON.stringify(body)) changed[address] = body;
  return { changed, removed: [...base.keys()].filter((address) => !other.has(address)) };
}

describe("McpPlatformStack", () => {
  it("synthesizes the whole topology (snapshot)", () => {
    const { stack } = platformStack();
    const json = synthJson(stack);
    expect(json).toMatchSnapshot();
  });

  it("adds Azure Managed Redis as API Management's external cache with APIM_CACHE=redis (snapshot of the change)", () => {
    const diff = changedFromDefault({ APIM_CACHE: "redis" });
    expect(Object.keys(diff.changed).map((a) => a.replace(/_[0-9A-F]{8}$/, "")).sort()).toEqual(["azurerm_api_management_redis_cache.redis_cache_apim_cache", "azurerm_managed_redis.redis_cache_redis"]);
    expect(diff.removed).toEqual([]);
    expect(diff).toMatchSnapshot();
    const json = synthJson(platformStack({ APIM_CACHE: "redis" }).stack);
    expect(onlyResource(json, "azurerm_managed_redis").name).toBe("mcp-redis-${local.unique_suffix}");
    expect(JSON.stringify(json.output)).not.toMatch(/redis|access_key|connection_string/);
  });

  it("grants admin consent by default and none with ENTRA_ADMIN_CONSENT=false (snapshot of the change)", () => {
    expect(resourcesOf(synthJson(platformStack().stack), "azuread_service_principal_delegated_permission_grant")).toHaveLength(2);
    const diff = changedFromDefault({ ENTRA_ADMIN_CONSENT: "false" });
    expect(diff.changed).toEqual({});
    expect(diff.removed.map((a) => a.replace(/_[0-9A-F]{8}$/, "")).sort()).toEqual([
      "azuread_service_principal_delegated_permission_grant.entra_graph_consent",
      "azuread_service_principal_delegated_permission_grant.entra_own_scope_consent",
    ]);
    expect(diff).toMatchSnapshot();
  });

  it("sets HTTP/2 and the TLS and cipher settings on a classic tier only (snapshot of the change)", () => {
    const diff = changedFromDefault({ APIM_SKU: "Developer_1" });
    expect(Object.keys(diff.changed).map((a) => a.replace(/_[0-9A-F]{8}$/, ""))).toEqual(["azurerm_api_management.gateway_service"]);
    expect(diff).toMatchSnapshot();
    expect(onlyResource(synthJson(platformStack().stack), "azurerm_api_management")).not.toHaveProperty("protocols");
  });

  it("creates every resource of the topology", () => {
    const json = synthJson(platformStack().stack);
    for (const type of [
      "azurerm_resource_group",
      "azurerm_log_analytics_workspace",
      "azurerm_application_insights",
      "azurerm_user_assigned_identity",
      "azurerm_api_management",
      "azurerm_api_management_logger",
      "azurerm_api_management_diagnostic",
      "azurerm_service_plan",
      "azurerm_linux_web_app",
      "azuread_application_registration",
      "azuread_application_identifier_uri",
      "azuread_application_permission_scope",
      "azuread_application_redirect_uris",
      "azuread_application_federated_identity_credential",
      "azuread_service_principal",
      "azuread_application_api_access",
      "azuread_service_principal_delegated_permission_grant",
    ]) {
      expect(resourcesOf(json, type), type).not.toHaveLength(0);
    }
  });

  it("runs the static policy checks at synth and refuses to write a broken gateway", () => {
    const { stack } = platformStack();
    (stack.node.root as App).synth(); // the real policies pass every rule
    expect(stack.policyChecks.violations).toEqual([]);

    const broken = platformStack().stack;
    broken.gateway.addNamedValue("stray", { name: "stray-setting", value: "1" });
    expect(() => (broken.node.root as App).synth()).toThrow(/\[named-values-used\].*stray-setting/);
  });

  it("hands the platform configuration's clients block to the authorization server's client policy", () => {
    const platform = { ...defaultPlatform("mcp"), clients: { registration: false, static: [{ client_id: "corp-cli", client_name: "Corp CLI", redirect_uris: ["http://127.0.0.1/callback"] }] } };
    const stack = new McpPlatformStack(Testing.app() as Construct, "mcp", { config: loadConfig({}), platform, mcpPackageFile: fixturePackage() });
    const fragment = resourcesOf(synthJson(stack), "azurerm_api_management_policy_fragment").find((f) => f.name === "oauth-client-policy")!;
    expect(fragment.value).toContain('<set-variable name="clients-registration" value="@(false)" />');
    expect(fragment.value).toContain("corp-cli");
    const defaults = resourcesOf(synthJson(platformStack().stack), "azurerm_api_management_policy_fragment").find((f) => f.name === "oauth-client-policy")!;
    expect(defaults.value).toContain('<set-variable name="clients-registration" value="@(true)" />');
  });

  it("defines the app roles a server's tools name in its Entra application, and requires assignment where the server says so", () => {
    const tickets = {
      name: "tickets", path: "tickets/mcp", title: "Tickets", backend: { kind: "url" as const, url: "https://tickets.contoso.com/mcp" }, assignmentRequired: true,
      tools: [{ name: "close_ticket", appRole: "Tickets.Admin" }, { name: "reopen_ticket", appRole: "Tickets.Admin" }, { name: "list_tickets" }],
    };
    const platform = { servers: [...defaultPlatform("mcp").servers, tickets] };
    const stack = new McpPlatformStack(Testing.app() as Construct, "mcp", { config: loadConfig({}), platform, mcpPackageFile: fixturePackage() });
    const json = synthJson(stack);
    const roles = resourcesOf(json, "azuread_application_app_role").map(unhashed);
    expect(roles).toEqual([
      expect.objectContaining({
        application_id: "${azuread_application_registration.entra_tickets_application.id}",
        value: "Tickets.Admin",
        description: "May call the tools of the MCP server Tickets that need the app role Tickets.Admin: close_ticket, reopen_ticket.",
        allowed_member_types: ["User", "Application"],
      }),
    ]);
    expect(stack.servers[1]!.mcp.toolRoles).toEqual([{ tool: "close_ticket", appRole: "Tickets.Admin" }, { tool: "reopen_ticket", appRole: "Tickets.Admin" }]);
    const principals = unhashed(Object.entries(json.resource.azuread_service_principal!).map(([id, sp]) => [id, sp.app_role_assignment_required ?? "unset"]));
    expect(principals).toEqual([["entra_service_principal", "unset"], ["entra_tickets_service_principal", true]]);
  });

  it("fails synth on a client policy the gateway would refuse, naming the key path and value", () => {
    const platform = { ...defaultPlatform("mcp"), clients: { metadataDocuments: { allow: ["https://claude.ai*"] } } };
    expect(() => new McpPlatformStack(Testing.app() as Construct, "mcp", { config: loadConfig({}), platform, mcpPackageFile: fixturePackage() })).toThrow(
      /clients\.metadataDocuments\.allow\[0\]: "https:\/\/claude\.ai\*"/,
    );
  });

  it("fails on two servers whose App Service names would be the same, naming both", () => {
    const sample = defaultPlatform("mcp").servers[0]!;
    const build = (names: [string, string]) => {
      const platform = { servers: [{ ...sample, name: names[0] }, { ...sample, name: names[1], path: "second/mcp" }] };
      return () => new McpPlatformStack(Testing.app() as Construct, "mcp", { config: loadConfig({ ENVIRONMENT_NAME: "a".repeat(24) }), platform, mcpPackageFile: fixturePackage() });
    };
    // The sample weather keeps the single-server stack's App Service name, <prefix>-app-<suffix>.
    expect(build(["weather", "app"])).toThrow(`McpPlatformStack: servers "weather" and "app" would share the App Service name ${"a".repeat(24)}-app-<suffix>; give one a shorter or different name`);
    // Both names cut to the 21 characters that fit.
    expect(build(["reports-and-dashboards-eu", "reports-and-dashboards-us"])).toThrow(/servers "reports-and-dashboards-eu" and "reports-and-dashboards-us" would share the App Service name a{24}-reports-and-dashboard-<suffix>/);
    expect(build(["reports-eu", "reports-us"])).not.toThrow();
  });

  it("refers only to resources, data sources and locals it declares", () => {
    const json = synthJson(platformStack().stack);
    expect(danglingReferences(json)).toEqual([]);
    const broken = { ...json, output: { ...json.output, bad: { value: "${azurerm_api_management.missing.id}" } } };
    expect(danglingReferences(broken)).toEqual(["azurerm_api_management.missing"]);
  });

  it("derives globally unique names in Terraform from the subscription and resource group", () => {
    const json = synthJson(platformStack({ ENVIRONMENT_NAME: "contoso", RESOURCE_GROUP_NAME: "rg-contoso" }).stack);
    expect(json.locals).toEqual({ unique_suffix: '${substr(sha1(join("/", [data.azurerm_client_config.current.subscription_id, "rg-contoso"])), 0, 13)}' });
    expect(onlyResource(json, "azurerm_api_management").name).toBe("contoso-apim-${local.unique_suffix}");
    expect(onlyResource(json, "azurerm_linux_web_app").name).toBe("contoso-app-${local.unique_suffix}");
    expect(onlyResource(json, "azuread_application_redirect_uris").redirect_uris).toEqual([
      "https://contoso-apim-${local.unique_suffix}.azure-api.net/oauth-callback",
    ]);
  });

  it("passes configuration through: location, SKUs, publisher, MCP path", () => {
    const json = synthJson(
      platformStack({
        AZURE_LOCATION: "swedencentral",
        APIM_SKU: "StandardV2_2",
        APP_SERVICE_SKU: "P0v3",
        APIM_PUBLISHER_EMAIL: "platform@contoso.com",
        APIM_PUBLISHER_NAME: "Contoso",
        MCP_PATH: "weather/mcp",
      }).stack,
    );
    expect(onlyResource(json, "azurerm_resource_group").location).toBe("swedencentral");
    const apim = onlyResource(json, "azurerm_api_management");
    expect(apim).toMatchObject({ sku_name: "StandardV2_2", publisher_email: "platform@contoso.com", publisher_name: "Contoso" });
    expect(onlyResource(json, "azurerm_service_plan").sku_name).toBe("P0v3");
    expect(json.output?.mcp_endpoint_url.value).toBe("https://mcp-apim-${local.unique_suffix}.azure-api.net/weather/mcp");
    expect(json.output?.protected_resource_metadata_url.value).toBe(
      "https://mcp-apim-${local.unique_suffix}.azure-api.net/.well-known/oauth-protected-resource/weather/mcp",
    );
  });

  it("configures providers so that destroy purges API Management and a redeploy can reuse the name", () => {
    const json = synthJson(platformStack().stack);
    const azurerm = (json.provider?.azurerm as Record<string, unknown>[])[0];
    expect(azurerm.features).toEqual([
      {
        api_management: [{ purge_soft_delete_on_destroy: true, recover_soft_deleted: true }],
        application_insights: [{ disable_generated_rule: true }],
        resource_group: [{ prevent_deletion_if_contains_resources: false }],
      },
    ]);
    expect(Object.keys(json.terraform?.required_providers as object).sort()).toEqual(["azuread", "azurerm", "random"]);
  });

  it.each([["default", {}], ["APIM_CACHE=redis", { APIM_CACHE: "redis" }]])("outputs the endpoints, host name and client id, and nothing secret (%s)", (_shape, env: Record<string, string>) => {
    const json = synthJson(platformStack(env).stack);
    expect(Object.keys(json.output ?? {}).sort()).toEqual([
      "app_service_host_name",
      "authorization_server_metadata_url",
      "entra_client_id",
      "mcp_endpoint_url",
      "protected_resource_metadata_url",
      "servers",
    ]);
    for (const [name, output] of Object.entries(json.output ?? {})) {
      expect(output.sensitive, name).toBeUndefined();
      expect(JSON.stringify(output.value), name).not.toMatch(/connection_string|instrumentation_key|random_password|random_bytes|\.result|secret|password/i);
    }
  });

  it("has no password or client secret resource anywhere", () => {
    const json = synthJson(platformStack().stack);
    const types = Object.keys(json.resource);
    expect(types.filter((t) => /password|secret|certificate/.test(t))).toEqual([]);
    const secretAttributes: string[] = [];
    const visit = (value: unknown, path: string): void => {
      if (Array.isArray(value)) value.forEach((v, i) => visit(v, `${path}[${i}]`));
      else if (value && typeof value === "object") {
        for (const [key, child] of Object.entries(value)) {
          if (/password|client_secret/i.test(key)) secretAttributes.push(`${path}.${key}`);
          visit(child, `${path}.${key}`);
        }
      }
    };
    visit(json.resource, "resource");
    expect(secretAttributes).toEqual([]);
  });

  it("hands a confidential static client's secret out only as the sensitive output static_client_secrets, a Terraform reference (snapshot of the change)", () => {
    const confidential = { client_id: "copilot-studio", client_name: "Copilot Studio", redirect_uris: ["https://global.consent.azure-apim.net/redirect/cr6b1-5fweather"], application_type: "web" as const, confidential: true, token_endpoint_auth_method: "client_secret_post" as const };
    const platform = { ...defaultPlatform("mcp"), clients: { static: [confidential, { client_id: "corp-cli", client_name: "Corp CLI", redirect_uris: ["http://127.0.0.1/callback"] }] } };
    const json = synthJson(new McpPlatformStack(Testing.app() as Construct, "mcp", { config: loadConfig({}), platform, mcpPackageFile: fixturePackage() }));
    const output = json.output!.static_client_secrets!;
    expect(output.sensitive).toBe(true);
    expect(Object.keys(output.value as Record<string, string>)).toEqual(["copilot-studio"]);
    const [password] = Object.keys(json.resource.random_password ?? {}).filter((name) => name.includes("client_secrets"));
    expect(output.value).toEqual({ "copilot-studio": `\${random_password.${password}.result}` });
    // Every other output stays as it was: nothing secret, no reference to the password.
    for (const [name, other] of Object.entries(json.output!)) {
      if (name !== "static_client_secrets") expect(JSON.stringify(other.value), name).not.toMatch(/random_password|secret/);
    }
    const namedValue = resourcesOf(json, "azurerm_api_management_named_value").find((v) => v.name === "oauth-client-secret-copilot-studio")!;
    expect(namedValue).toMatchObject({ secret: true, value: `\${random_password.${password}.result}` });
    // No random_password result is ever a value: every occurrence of one is a reference.
    const text = JSON.stringify(json);
    const mentions = text.match(/random_password\.[A-Za-z0-9_-]+\.result/g) ?? [];
    expect(mentions.length).toBeGreaterThanOrEqual(2);
    expect((text.match(/\$\{random_password\.[A-Za-z0-9_-]+\.result\}/g) ?? []).length).toBe(mentions.length);
    expect(unhashed({ random_password: json.resource.random_password, named_value: namedValue, output })).toMatchSnapshot();
  });

  it("changes the deployed package path when the code changes", () => {
    const a = onlyResource(synthJson(platformStack({}, fixturePackage("export const a = 1;\n")).stack), "azurerm_linux_web_app");
    const b = onlyResource(synthJson(platformStack({}, fixturePackage("export const a = 2;\n")).stack), "azurerm_linux_web_app");
    const same = onlyResource(synthJson(platformStack({}, fixturePackage("export const a = 1;\n")).stack), "azurerm_linux_web_app");
    expect(a.zip_deploy_file).not.toBe(b.zip_deploy_file);
    expect(a.zip_deploy_file).toBe(same.zip_deploy_file);
  });
});
