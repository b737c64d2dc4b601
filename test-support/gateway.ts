/** A gateway with its dependencies in a bare stack, for construct tests. */
import type { TerraformStack } from "cdktf";
import type { ResourceGroup } from "@cdktf/provider-azurerm/lib/resource-group";
import { ApimGateway, type ApimGatewayProps } from "../constructs/apim-gateway.js";
import { Observability } from "../constructs/observability.js";
import { baseStack, FIXTURE_POLICIES_DIR } from "./synth.js";

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
