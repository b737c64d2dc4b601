/** A gateway with its dependencies in a bare stack, for construct tests. */
import { AnnotationMetadataEntryType, type TerraformStack } from "cdktf";
import type { ResourceGroup } from "@cdktf/provider-azurerm/lib/resource-group";
import { ApimGateway, type ApimGatewayProps } from "../constructs/apim-gateway.js";
import { Observability } from "../constructs/observability.js";
import { baseStack, FIXTURE_POLICIES_DIR, type SynthJson } from "./synth.js";

/**
 * `test-apim` with observability in `base` (default: a fresh base stack), reading the fixture
 * policies unless `props.policiesDir` says otherwise.
 */
export function gatewayStack(
  props: Partial<ApimGatewayProps> = {},
  base: { stack: TerraformStack; resourceGroup: ResourceGroup } = baseStack(),
): { stack: TerraformStack; resourceGroup: ResourceGroup; observability: Observability; gateway: ApimGateway } {
  const { stack, resourceGroup } = base;
  const observability = new Observability(stack, "observability", { resourceGroup, namePrefix: "test" });
  const gateway = new ApimGateway(stack, "gateway", {
    resourceGroup,
    name: "test-apim",
    publisherEmail: "ops@contoso.com",
    publisherName: "Contoso",
    observability,
    policiesDir: FIXTURE_POLICIES_DIR,
    ...props,
  });
  return { stack, resourceGroup, observability, gateway };
}

/** An existing instance, as `ApimGatewayProps.existing`. */
export const EXISTING_INSTANCE = { name: "contoso-apim", resourceGroupName: "shared-rg", identity: { name: "contoso-apim-mcp", resourceGroupName: "identity-rg" } };
/** A Key Vault certificate's secret id, and its vault. */
export const KEY_VAULT_CERTIFICATE = "https://contoso-kv.vault.azure.net/secrets/mcp-cert";
export const KEY_VAULT_ID = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/kv-rg/providers/Microsoft.KeyVault/vaults/contoso-kv";

/** A gateway in `EXISTING_INSTANCE`, with an OAuth API at the root and a streaming MCP API. */
export function gatewayInExisting(props: Partial<ApimGatewayProps> = {}): ReturnType<typeof gatewayStack> {
  const built = gatewayStack({ name: undefined, publisherEmail: undefined, publisherName: undefined, existing: EXISTING_INSTANCE, ...props });
  built.gateway.addApi("oauth_api", { name: "oauth", path: "", displayName: "OAuth" });
  built.gateway.addApi("mcp_api", { name: "mcp", path: "mcp", displayName: "MCP", streaming: true });
  return built;
}

/** A gateway with the fixture policies fully wired: named values, a fragment, global, API and operation policies. */
export function wiredGateway(): { stack: TerraformStack; gateway: ApimGateway } {
  const { stack, gateway } = gatewayStack();
  gateway.addNamedValue("env_name", { name: "env-name", value: "test" });
  gateway.addNamedValue("signing_key", { name: "signing-key", value: "${random_password.k.result}", secret: true });
  gateway.addNamedValue("allowed_origin", { name: "allowed-origin", value: "*" });
  gateway.addPolicyFragment("cors", { name: "shared-cors", file: "fragments/cors.xml", description: "CORS" });
  gateway.setGlobalPolicy("global.xml");
  const api = gateway.addApi("mcp_api", { name: "mcp", path: "mcp", displayName: "MCP", serviceUrl: "https://backend.example", streaming: true });
  api.setPolicy("api.xml");
  api.addOperation("get_item", { operationId: "get-item", displayName: "Get item", method: "get", urlTemplate: "/items/{id}/{*rest}", policyFile: "operation.xml" });
  return { stack, gateway };
}

/** The warning annotations in a stack. */
export function warningsOf(stack: TerraformStack): string[] {
  return stack.node.findAll().flatMap((c) => c.node.metadata.filter((m) => m.type === AnnotationMetadataEntryType.WARN).map((m) => String(m.data)));
}

/** The postconditions of the existing service's data source: condition and message. */
export function existingServicePostconditions(json: SynthJson): { condition: string; error_message: string }[] {
  const service = Object.values(json.data?.azurerm_api_management ?? {})[0] as { lifecycle: { postcondition: { condition: string; error_message: string }[] } };
  return service.lifecycle.postcondition;
}
