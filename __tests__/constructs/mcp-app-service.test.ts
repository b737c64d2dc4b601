import { describe, expect, it } from "vitest";
import { UserAssignedIdentity } from "@cdktf/provider-azurerm/lib/user-assigned-identity";
import { EntraAppRegistration } from "../../constructs/entra-app-registration.js";
import { McpAppService, type McpAppServiceProps } from "../../constructs/mcp-app-service.js";
import { Observability } from "../../constructs/observability.js";
import { baseStack, fixturePackage, onlyResource, synthJson, unhashed } from "../../test-support/synth.js";

function appStack(props: Partial<McpAppServiceProps> = {}) {
  const { stack, resourceGroup } = baseStack();
  const observability = new Observability(stack, "observability", { resourceGroup, namePrefix: "t" });
  const identity = new UserAssignedIdentity(stack, "identity", { name: "id", location: "westeurope", resourceGroupName: "rg" });
  const entra = new EntraAppRegistration(stack, "entra", {
    displayName: "MCP",
    tenantId: "tenant-guid",
    redirectUris: ["https://gw.azure-api.net/oauth-callback"],
    trustedIdentity: identity,
  });
  const app = new McpAppService(stack, "mcp_app", {
    resourceGroup,
    name: "contoso-mcp",
    packageFile: fixturePackage(),
    entra,
    observability,
    ...props,
  });
  return { stack, app };
}

describe("McpAppService", () => {
  it("runs the package on Node 22 LTS, HTTPS only, TLS 1.2+, FTP off, with a health check", () => {
    const json = synthJson(appStack().stack);
    expect(onlyResource(json, "azurerm_service_plan")).toMatchObject({ os_type: "Linux", sku_name: "B1", name: "contoso-mcp-plan" });
    const app = onlyResource(json, "azurerm_linux_web_app");
    expect(app).toMatchObject({
      name: "contoso-mcp",
      https_only: true,
      client_affinity_enabled: false,
      ftp_publish_basic_authentication_enabled: false,
      site_config: {
        application_stack: { node_version: "22-lts" },
        app_command_line: "node server.mjs",
        always_on: true,
        ftps_state: "Disabled",
        minimum_tls_version: "1.2",
        scm_minimum_tls_version: "1.2",
        health_check_path: "/healthz",
      },
    });
  });

  it("deploys the zip from a content-addressed asset path, run from package", () => {
    const { stack, app } = appStack();
    const web = onlyResource(synthJson(stack), "azurerm_linux_web_app");
    expect(web.zip_deploy_file).toMatch(/^assets\/mcp_app_package_[0-9A-F]{8}\/[0-9A-F]{32}\/mcp-app\.zip$/);
    expect(app.packagePath).toBe(web.zip_deploy_file);
    expect((web.app_settings as Record<string, string>).WEBSITE_RUN_FROM_PACKAGE).toBe("1");
  });

  it("gives the server its tenant, client id, scope and Application Insights", () => {
    const settings = unhashed(onlyResource(synthJson(appStack().stack), "azurerm_linux_web_app").app_settings) as Record<string, string>;
    expect(settings).toMatchObject({
      ENTRA_TENANT_ID: "tenant-guid",
      ENTRA_CLIENT_ID: "${azuread_application_registration.entra_application.client_id}",
      MCP_REQUIRED_SCOPE: "user_impersonate",
      APPLICATIONINSIGHTS_CONNECTION_STRING: "${azurerm_application_insights.observability_app_insights.connection_string}",
    });
  });

  it("takes a SKU, health path, startup command and extra settings", () => {
    const json = synthJson(appStack({ sku: "P1v3", healthCheckPath: "/health", startupCommand: "node --enable-source-maps server.mjs", appSettings: { LOG_LEVEL: "debug" } }).stack);
    expect(onlyResource(json, "azurerm_service_plan").sku_name).toBe("P1v3");
    const app = onlyResource(json, "azurerm_linux_web_app");
    expect(app.site_config).toMatchObject({ health_check_path: "/health", app_command_line: "node --enable-source-maps server.mjs" });
    expect((app.app_settings as Record<string, string>).LOG_LEVEL).toBe("debug");
  });

  it("fails for a free plan or an unknown SKU", () => {
    expect(() => appStack({ sku: "F1" })).toThrow(/"F1" is refused: Free and Shared plans have no always-on/);
    expect(() => appStack({ sku: "Z9" })).toThrow(/"Z9" is not a Linux App Service plan SKU/);
  });

  it("fails for a missing package", () => {
    expect(() => appStack({ packageFile: "/nonexistent/mcp-app.zip" })).toThrow(/packageFile "\/nonexistent\/mcp-app.zip" is not an existing .zip file/);
  });

  it("fails for a bad name or health path", () => {
    expect(() => appStack({ name: "Bad_Name" })).toThrow(/name "Bad_Name" breaks App Service naming rules/);
    expect(() => appStack({ healthCheckPath: "healthz" })).toThrow(/healthCheckPath "healthz" is invalid/);
  });

  it("fails when extra settings would override managed ones", () => {
    expect(() => appStack({ appSettings: { ENTRA_CLIENT_ID: "x" } })).toThrow(/appSettings ENTRA_CLIENT_ID would override/);
  });
});
