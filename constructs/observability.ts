/**
 * Log Analytics workspace and a workspace-based Application Insights component, shared by the
 * API Management logger and the MCP App Service.
 */
import { Construct } from "constructs";
import type { ResourceGroup } from "@cdktf/provider-azurerm/lib/resource-group";
import { ApplicationInsights, LogAnalyticsWorkspace } from "./providers.js";

export interface ObservabilityProps {
  /** The resource group both resources live in; they take its location. */
  readonly resourceGroup: ResourceGroup;
  /** Prefix for resource names, e.g. `mcp` gives `mcp-logs` and `mcp-insights`. */
  readonly namePrefix: string;
  /**
   * Days Log Analytics keeps data (30 to 730).
   * @default 30
   */
  readonly retentionInDays?: number;
  /**
   * Share of telemetry Application Insights keeps, in percent (0 < x <= 100).
   * @default 100
   */
  readonly samplingPercentage?: number;
}

export class Observability extends Construct {
  /** The Log Analytics workspace that stores all telemetry. */
  public readonly workspace: LogAnalyticsWorkspace;
  /** The Application Insights component (workspace-based). */
  public readonly appInsights: ApplicationInsights;
  /**
   * Application Insights connection string. Sensitive in Terraform's eyes: pass it to app settings
   * or loggers, never to an output.
   */
  public readonly connectionString: string;

  constructor(scope: Construct, id: string, props: ObservabilityProps) {
    super(scope, id);
    const retentionInDays = props.retentionInDays ?? 30;
    if (!Number.isInteger(retentionInDays) || retentionInDays < 30 || retentionInDays > 730) {
      throw new Error(`Observability: retentionInDays ${retentionInDays} is out of range; expected a whole number of days from 30 to 730`);
    }
    const samplingPercentage = props.samplingPercentage ?? 100;
    if (!(samplingPercentage > 0 && samplingPercentage <= 100)) {
      throw new Error(`Observability: samplingPercentage ${samplingPercentage} is out of range; expected more than 0 and at most 100`);
    }

    this.workspace = new LogAnalyticsWorkspace(this, "workspace", {
      name: `${props.namePrefix}-logs`,
      location: props.resourceGroup.location,
      resourceGroupName: props.resourceGroup.name,
      sku: "PerGB2018",
      retentionInDays,
    });
    this.appInsights = new ApplicationInsights(this, "app_insights", {
      name: `${props.namePrefix}-insights`,
      location: props.resourceGroup.location,
      resourceGroupName: props.resourceGroup.name,
      applicationType: "web",
      workspaceId: this.workspace.id,
      samplingPercentage,
    });
    this.connectionString = this.appInsights.connectionString;
  }
}
