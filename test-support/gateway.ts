/** A gateway with its dependencies in a bare stack, for construct tests. */
import type { TerraformStack } from "cdktf";
import { ApimGateway, type ApimGatewayProps } from "../constructs/apim-gateway.js";
import { Observability } from "../constructs/observability.js";
import { baseStack, FIXTURE_POLICIES_DIR } from "./synth.js";

export function gatewayStack(props: Partial<ApimGatewayProps> = {}): { stack: TerraformStack; gateway: ApimGateway } {
  const { stack, resourceGroup } = baseStack();
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
  return { stack, gateway };
}
