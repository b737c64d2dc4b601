import { describe, expect, it } from "vitest";
import { wiredGateway as wired } from "../../test-support/gateway.js";
import { onlyResource, synthJson, unhashed } from "../../test-support/synth.js";

describe("ApimGateway policy registry", () => {
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

  it("describes its policies for the static checks", () => {
    const set = wired().gateway.policySet();
    expect(set.documents.map((d) => [d.scope, d.name, d.file, d.streaming ?? false])).toEqual([
      ["global", "global", "policies/global.xml", false],
      ["api", "mcp", "policies/api.xml", true],
      ["operation", "mcp/get-item", "policies/operation.xml", true],
      ["fragment", "shared-cors", "policies/fragments/cors.xml", false],
    ]);
    // maxLength: the longest each value can be once Terraform fills it in (the size-limits rule checks it against 4,096).
    expect(set.namedValues).toEqual([
      { name: "env-name", secret: false, maxLength: "test".length },
      { name: "signing-key", secret: true, maxLength: "${random_password.k.result}".length },
      { name: "allowed-origin", secret: false, maxLength: "*".length },
    ]);
  });
});
