import { mkdtempSync, mkdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { gatewayStack, wiredGateway as wired } from "../../test-support/gateway.js";
import { onlyResource, resourcesOf, synthJson, unhashed } from "../../test-support/synth.js";

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
});
