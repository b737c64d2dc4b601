import { describe, expect, it } from "vitest";
import { Observability } from "../../constructs/observability.js";
import { baseStack, onlyResource, synthJson, unhashed } from "../../test-support/synth.js";

function observabilityStack(props: { retentionInDays?: number; samplingPercentage?: number } = {}) {
  const { stack, resourceGroup } = baseStack();
  const observability = new Observability(stack, "observability", { resourceGroup, namePrefix: "contoso", ...props });
  return { stack, observability };
}

describe("Observability", () => {
  it("creates a 30-day workspace and a workspace-based web Application Insights", () => {
    const json = synthJson(observabilityStack().stack);
    expect(onlyResource(json, "azurerm_log_analytics_workspace")).toMatchObject({ name: "contoso-logs", sku: "PerGB2018", retention_in_days: 30 });
    const insights = unhashed(onlyResource(json, "azurerm_application_insights"));
    expect(insights).toMatchObject({
      name: "contoso-insights",
      application_type: "web",
      sampling_percentage: 100,
      workspace_id: "${azurerm_log_analytics_workspace.observability_workspace.id}",
    });
  });

  it("takes retention and sampling", () => {
    const json = synthJson(observabilityStack({ retentionInDays: 90, samplingPercentage: 25 }).stack);
    expect(onlyResource(json, "azurerm_log_analytics_workspace").retention_in_days).toBe(90);
    expect(onlyResource(json, "azurerm_application_insights").sampling_percentage).toBe(25);
  });

  it("fails for retention out of range", () => {
    expect(() => observabilityStack({ retentionInDays: 7 })).toThrow(/retentionInDays 7 is out of range/);
  });

  it("fails for sampling out of range", () => {
    expect(() => observabilityStack({ samplingPercentage: 0 })).toThrow(/samplingPercentage 0 is out of range/);
  });
});
