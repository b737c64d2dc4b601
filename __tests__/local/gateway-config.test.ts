import { describe, expect, it } from "vitest";
import { createHash } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { applyUrlRewrites, loadGatewayConfig, readLocalValues, readTerraformJson, substituteNamedValues, type LocalValues } from "../../local/gateway/config.js";
import { evaluateTemplate } from "../../local/gateway/terraform-expr.js";

const SUB = "00000000-0000-0000-0000-000000000001";

function fixture() {
  return {
    locals: { unique_suffix: '${substr(sha1(join("/", [data.azurerm_client_config.current.subscription_id, "mcp-rg"])), 0, 13)}' },
    resource: {
      azurerm_api_management: { gw: { name: "mcp-apim-${local.unique_suffix}" } },
      azurerm_api_management_named_value: {
        client: { name: "EntraClientId", value: "${azuread_application_registration.app.client_id}", secret: false },
        hmac: { name: "HmacKey", value: "${random_password.hmac.result}", secret: true },
        gateway: { name: "GatewayUrl", value: "https://${azurerm_api_management.gw.name}.azure-api.net" },
        authority: { name: "EntraAuthority", value: "https://login.microsoftonline.com/${data.azurerm_client_config.current.tenant_id}/v2.0" },
      },
      azurerm_api_management_policy_fragment: {
        cors: { name: "oauth-cors", format: "rawxml", value: "<fragment><cors><allowed-origins><origin>*</origin></allowed-origins></cors></fragment>" },
      },
      azurerm_api_management_policy: { global: { xml_content: "<policies><inbound /><backend><forward-request /></backend><outbound /><on-error /></policies>" } },
      azurerm_api_management_api: {
        mcp: { name: "mcp", path: "mcp", display_name: "MCP", service_url: "https://${azurerm_linux_web_app.app.default_hostname}", subscription_required: false },
        oauth: { name: "oauth", path: "", display_name: "OAuth" },
      },
      azurerm_api_management_api_operation: {
        post: { api_name: "${azurerm_api_management_api.mcp.name}", operation_id: "mcp-post", display_name: "POST", method: "POST", url_template: "/" },
        prm: {
          api_name: "${azurerm_api_management_api.oauth.name}",
          operation_id: "prm",
          display_name: "PRM",
          method: "GET",
          url_template: "/.well-known/oauth-protected-resource/{*resource}",
          template_parameter: [{ name: "resource", required: true, type: "string" }],
        },
      },
      azurerm_api_management_api_policy: { mcp: { api_name: "${azurerm_api_management_api.mcp.name}", xml_content: "<policies><inbound><base /></inbound></policies>" } },
      azurerm_api_management_api_operation_policy: {
        prm: { api_name: "${azurerm_api_management_api.oauth.name}", operation_id: "${azurerm_api_management_api_operation.prm.operation_id}", xml_content: "<policies><inbound><return-response /></inbound></policies>" },
      },
      azurerm_api_management_backend: { app: { name: "mcp-app", url: "https://${azurerm_linux_web_app.app.default_hostname}/", protocol: "http" } },
    },
  };
}

const values: LocalValues = {
  references: {
    "data.azurerm_client_config.current.subscription_id": SUB,
    "data.azurerm_client_config.current.tenant_id": "tenant-1",
    "azuread_application_registration.app.client_id": "client-1",
    "random_password.hmac.result": "s3cret",
    "azurerm_linux_web_app.app.default_hostname": "app.azurewebsites.net",
  },
  namedValues: { GatewayUrl: "http://127.0.0.1:8080" },
  urlRewrites: { "https://login.microsoftonline.com": "http://127.0.0.1:4010", "https://app.azurewebsites.net": "http://127.0.0.1:3000" },
};

describe("local gateway config loader", () => {
  it("collects APIs, operations, policies, fragments, named values and backends", () => {
    const cfg = loadGatewayConfig(fixture(), values);
    const suffix = createHash("sha1").update(`${SUB}/mcp-rg`).digest("hex").slice(0, 13);
    expect(cfg.serviceName).toBe(`mcp-apim-${suffix}`);
    expect(cfg.apis.map((a) => [a.name, a.path, a.serviceUrl, a.operations.map((o) => o.operationId)])).toEqual([
      ["mcp", "mcp", "http://127.0.0.1:3000", ["mcp-post"]],
      ["oauth", "", undefined, ["prm"]],
    ]);
    expect(cfg.apis[0]!.policyXml).toBe("<policies><inbound><base /></inbound></policies>");
    expect(cfg.apis[1]!.operations[0]).toMatchObject({ method: "GET", templateParameters: [{ name: "resource", required: true }], policyXml: "<policies><inbound><return-response /></inbound></policies>" });
    expect(cfg.globalPolicyXml).toContain("<forward-request />");
    expect([...cfg.fragments.keys()]).toEqual(["oauth-cors"]);
    expect(cfg.backends.get("mcp-app")).toEqual({ name: "mcp-app", url: "http://127.0.0.1:3000/" });
  });

  it("resolves named values by name override first, then by Terraform reference, and applies URL rewrites", () => {
    const nv = loadGatewayConfig(fixture(), values).namedValues;
    expect(Object.fromEntries([...nv.values()].map((v) => [v.name, [v.value, v.secret]]))).toEqual({
      EntraClientId: ["client-1", false],
      HmacKey: ["s3cret", true],
      GatewayUrl: ["http://127.0.0.1:8080", false],
      EntraAuthority: ["http://127.0.0.1:4010/tenant-1/v2.0", false],
    });
  });

  it("fails naming an unresolved Terraform reference", () => {
    const { "random_password.hmac.result": _drop, ...refs } = values.references!;
    expect(() => loadGatewayConfig(fixture(), { ...values, references: refs })).toThrow(
      /unresolved Terraform reference \$\{random_password\.hmac\.result\}.*add "random_password\.hmac\.result" to "references" in local\.values\.json/,
    );
  });

  it("reports every unresolved reference through onUnresolved instead of failing", () => {
    const seen: string[] = [];
    loadGatewayConfig(fixture(), {}, { onUnresolved: (k) => (seen.push(k), `<${k}>`) });
    expect([...new Set(seen)].sort()).toEqual([
      "azuread_application_registration.app.client_id",
      "azurerm_linux_web_app.app.default_hostname",
      "data.azurerm_client_config.current.subscription_id",
      "data.azurerm_client_config.current.tenant_id",
      "random_password.hmac.result",
    ]);
  });

  it("fails on a fragment in xml format", () => {
    const tf = fixture();
    tf.resource.azurerm_api_management_policy_fragment.cors.format = "xml";
    expect(() => loadGatewayConfig(tf, values)).toThrow(/fragment "oauth-cors"\) has format "xml"/);
  });

  it("fails on an operation of an undefined API", () => {
    const tf = fixture();
    tf.resource.azurerm_api_management_api_operation.post.api_name = "ghost";
    expect(() => loadGatewayConfig(tf, values)).toThrow(/refers to API "ghost"/);
  });

  it("fails on a Terraform function it does not implement, naming it", () => {
    const tf = fixture();
    tf.resource.azurerm_api_management_named_value.client.value = "${cidrhost(\"10.0.0.0/8\", 1)}";
    expect(() => loadGatewayConfig(tf, values)).toThrow(/function cidrhost\(\) is not supported/);
  });

  it("reads files and names a missing one", () => {
    const dir = mkdtempSync(join(tmpdir(), "gwcfg-"));
    writeFileSync(join(dir, "cdk.tf.json"), JSON.stringify(fixture()));
    writeFileSync(join(dir, "local.values.json"), JSON.stringify(values));
    const cfg = loadGatewayConfig(readTerraformJson(join(dir, "cdk.tf.json")), readLocalValues(join(dir, "local.values.json")));
    expect(cfg.apis).toHaveLength(2);
    expect(() => readTerraformJson(join(dir, "missing.json"))).toThrow(/cannot read the synthesized Terraform config at .*missing\.json: run `npm run synth` first/);
    writeFileSync(join(dir, "bad.json"), "{");
    expect(() => readLocalValues(join(dir, "bad.json"))).toThrow(/is not valid JSON/);
  });

  it("substitutes {{named values}} case-insensitively and fails on an unknown one", () => {
    const nv = new Map([["Gateway", { name: "Gateway", value: "http://gw", secret: false }]]);
    expect(substituteNamedValues("<a b='{{gateway}}/x'/>", nv, "t")).toBe("<a b='http://gw/x'/>");
    expect(() => substituteNamedValues("{{Other}}", nv, "api x")).toThrow(/policy api x references named value \{\{Other\}\}, which the config does not define/);
    expect(() => substituteNamedValues("{{ Gateway }}", nv, "api x")).toThrow(/policy api x: \{\{ Gateway \}\} is not a named value reference/);
  });

  it("rewrites only the listed prefixes, longest first", () => {
    expect(applyUrlRewrites("https://a.com/x https://a.com.evil/y", { "https://a.com/": "http://l/", "https://a.com": "http://m" })).toBe("http://l/x http://m.evil/y");
  });
});

describe("Terraform template evaluator", () => {
  const none = () => {
    throw new Error("no refs");
  };
  it("keeps escaped sequences and concatenates parts", () => {
    expect(evaluateTemplate("a $${b} %%{c} ${lower(\"X\")}", none)).toBe("a ${b} %{c} x");
  });
  it("returns non-string values of a single interpolation", () => {
    expect(evaluateTemplate("${true}", none)).toBe(true);
    expect(evaluateTemplate('${["a", "b"]}', none)).toEqual(["a", "b"]);
  });
  it("evaluates functions the stack may use", () => {
    expect(evaluateTemplate('${upper(substr("abcdef", 1, 3))}-${replace("a.b.c", ".", "-")}-${base64encode("hi")}-${format("%s=%d", "n", 5)}', none)).toBe("BCD-a-b-c-aGk=-n=5");
  });
  it("fails on operators and directives", () => {
    expect(() => evaluateTemplate("${a == b}", () => "x")).toThrow(/operator "=" is not supported/);
    expect(() => evaluateTemplate("%{ if x }y%{ endif }", none)).toThrow(/template directives/);
  });
});
