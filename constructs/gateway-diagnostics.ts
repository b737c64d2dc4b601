/**
 * The gateway's telemetry: an Application Insights logger and diagnostics that never log bodies
 * (MCP responses stream, OAuth bodies carry codes and tokens) nor headers, and mask every secret a
 * logged URL could carry. A new instance gets service-wide diagnostics; in an existing one those
 * belong to its owner, so each API of the gateway gets its own (API-level settings override the
 * service's for that API).
 *
 * Used by `ApimGateway` (the logger, the service-wide diagnostic) and `GatewayApi` (per-API
 * diagnostics); module-private like the policy registry.
 */
import type { Construct, IConstruct } from "constructs";
import type { ApiManagementApi } from "@cdktf/provider-azurerm/lib/api-management-api";
import type { Observability } from "./observability.js";
import { ApiManagementApiDiagnostic, ApiManagementDiagnostic, ApiManagementLogger } from "./providers.js";

/**
 * Query parameters whose values Application Insights never sees: the diagnostics mask them (`***`)
 * in every logged frontend and backend request URL. Authorization codes and states of the OAuth
 * callbacks, PKCE verifiers, tokens of any kind, client credentials and assertions, API keys, and
 * the login hint (an e-mail address).
 */
export const MASKED_QUERY_PARAMETERS: readonly string[] = [
  "code",
  "state",
  "session_state",
  "code_verifier",
  "access_token",
  "refresh_token",
  "id_token",
  "id_token_hint",
  "token",
  "client_secret",
  "client_assertion",
  "assertion",
  "subject_token",
  "actor_token",
  "password",
  "subscription-key",
  "api-key",
  "login_hint",
];

/** Request headers masked should a diagnostic ever log headers (none is logged: headers_to_log is empty). */
export const MASKED_REQUEST_HEADERS: readonly string[] = ["Authorization", "Cookie", "Proxy-Authorization", "Ocp-Apim-Subscription-Key"];

/** Response headers masked likewise: consent cookies and the like. */
export const MASKED_RESPONSE_HEADERS: readonly string[] = ["Set-Cookie"];

/** Name of the Application Insights logger in an instance this stack creates. */
const LOGGER_NAME = "appinsights";
/** Name of the logger in an existing instance: one its owner is unlikely to use already. */
const EXISTING_LOGGER_NAME = "mcp-platform-insights";

/** The diagnostic settings shared by the service-wide and the per-API diagnostics. */
interface DiagnosticSettings {
  readonly identifier: string;
  readonly apiManagementName: string;
  readonly resourceGroupName: string;
  readonly apiManagementLoggerId: string;
  readonly samplingPercentage: number;
  readonly alwaysLogErrors: boolean;
  readonly logClientIp: boolean;
  readonly verbosity: string;
  readonly httpCorrelationProtocol: string;
  readonly frontendRequest: DiagnosticMessageSettings;
  readonly frontendResponse: DiagnosticMessageSettings;
  readonly backendRequest: DiagnosticMessageSettings;
  readonly backendResponse: DiagnosticMessageSettings;
}

interface DiagnosticMessageSettings {
  readonly bodyBytes: number;
  readonly headersToLog: string[];
  readonly dataMasking: { queryParams?: { mode: string; value: string }[]; headers: { mode: string; value: string }[] };
}

/** Per gateway: its settings when each API gets its own diagnostic (existing instances). */
const perApi = new WeakMap<IConstruct, DiagnosticSettings>();

/** What `addGatewayTelemetry` needs of the gateway. */
interface TelemetryTarget {
  readonly service: { readonly name: string; readonly resourceGroupName: string };
  readonly isExisting: boolean;
}

/**
 * Creates the gateway's logger (child `logger`) and, in a new instance, its service-wide diagnostic
 * (child `diagnostic`); in an existing instance, `addApiDiagnostic` then gives each API its own.
 */
export function addGatewayTelemetry(gateway: Construct & TelemetryTarget, observability: Observability, samplingPercentage: number): ApiManagementLogger {
  const logger = new ApiManagementLogger(gateway, "logger", {
    name: gateway.isExisting ? EXISTING_LOGGER_NAME : LOGGER_NAME,
    apiManagementName: gateway.service.name,
    resourceGroupName: gateway.service.resourceGroupName,
    resourceId: observability.appInsights.id,
    applicationInsights: { connectionString: observability.connectionString },
  });
  // Bodies are never logged: MCP responses stream (SSE) and OAuth bodies carry codes and tokens.
  // No header is logged either; secrets in URLs (the callback's code and state, ...) are masked.
  const masking = (queryParams: readonly string[], headers: readonly string[]) => ({
    ...(queryParams.length > 0 ? { queryParams: queryParams.map((value) => ({ mode: "Mask", value })) } : {}),
    headers: headers.map((value) => ({ mode: "Mask", value })),
  });
  const request = { bodyBytes: 0, headersToLog: [], dataMasking: masking(MASKED_QUERY_PARAMETERS, MASKED_REQUEST_HEADERS) };
  const response = { bodyBytes: 0, headersToLog: [], dataMasking: masking([], MASKED_RESPONSE_HEADERS) };
  const settings: DiagnosticSettings = {
    identifier: "applicationinsights",
    apiManagementName: gateway.service.name,
    resourceGroupName: gateway.service.resourceGroupName,
    apiManagementLoggerId: logger.id,
    samplingPercentage,
    alwaysLogErrors: true,
    logClientIp: true,
    verbosity: "information",
    httpCorrelationProtocol: "W3C",
    frontendRequest: request,
    frontendResponse: response,
    backendRequest: request,
    backendResponse: response,
  };
  // A new instance gets service-wide diagnostics; in an existing one they belong to its owner, so
  // each API of this gateway gets its own (API-level settings override the service's for that API).
  if (gateway.isExisting) perApi.set(gateway, settings);
  else new ApiManagementDiagnostic(gateway, "diagnostic", settings);
  return logger;
}

/** Gives an API of `gateway` its own diagnostic (child `diagnostic` of `scope`), in an existing instance only. */
export function addApiDiagnostic(gateway: IConstruct, scope: Construct, api: ApiManagementApi): void {
  const settings = perApi.get(gateway);
  if (settings) new ApiManagementApiDiagnostic(scope, "diagnostic", { ...settings, apiName: api.name });
}
