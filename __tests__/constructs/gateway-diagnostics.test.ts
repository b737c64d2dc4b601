import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { MASKED_QUERY_PARAMETERS, MASKED_REQUEST_HEADERS, MASKED_RESPONSE_HEADERS } from "../../constructs/gateway-diagnostics.js";
import { POLICIES_DIR } from "../../constructs/policy-files.js";
import { gatewayInExisting as inExisting, gatewayStack } from "../../test-support/gateway.js";
import { onlyResource, resourcesOf, synthJson, unhashed } from "../../test-support/synth.js";

describe("ApimGateway diagnostics", () => {
  it("logs to Application Insights without bodies or headers", () => {
    const json = synthJson(gatewayStack().stack);
    const diagnostic = onlyResource(json, "azurerm_api_management_diagnostic");
    for (const side of ["frontend_request", "frontend_response", "backend_request", "backend_response"]) {
      expect(diagnostic[side], side).toMatchObject({ body_bytes: 0, headers_to_log: [] });
    }
    expect(unhashed(onlyResource(json, "azurerm_api_management_logger").application_insights)).toEqual({
      connection_string: "${azurerm_application_insights.observability_app_insights.connection_string}",
    });
  });

  it("masks the callback's code and state and every other secret query parameter in logged URLs, and secret headers", () => {
    const diagnostic = onlyResource(synthJson(gatewayStack().stack), "azurerm_api_management_diagnostic") as Record<string, { data_masking: { query_params?: unknown[]; headers?: unknown[] } }>;
    const masked = (values: readonly string[]) => values.map((value) => ({ mode: "Mask", value }));
    for (const side of ["frontend_request", "backend_request"]) {
      expect(diagnostic[side].data_masking, side).toEqual({ query_params: masked(MASKED_QUERY_PARAMETERS), headers: masked(MASKED_REQUEST_HEADERS) });
    }
    for (const side of ["frontend_response", "backend_response"]) {
      expect(diagnostic[side].data_masking, side).toEqual({ headers: masked(MASKED_RESPONSE_HEADERS) });
    }
    expect(MASKED_QUERY_PARAMETERS).toEqual(
      expect.arrayContaining(["code", "state", "session_state", "code_verifier", "refresh_token", "access_token", "id_token", "token", "client_assertion", "client_secret", "subscription-key"]),
    );
    expect(MASKED_REQUEST_HEADERS).toEqual(expect.arrayContaining(["Authorization", "Cookie"]));
  });

  it("masks every query parameter the policies read unless it is known not to be secret", () => {
    // Public by design: OAuth request parameters that the client, the browser and Entra see anyway.
    const notSecret = ["client_id", "code_challenge", "code_challenge_method", "error", "error_description", "iss", "redirect_uri", "resource", "response_type", "scope"];
    const read = new Set<string>();
    for (const file of readdirSync(POLICIES_DIR, { recursive: true, encoding: "utf8" }).filter((f) => f.endsWith(".xml"))) {
      for (const m of readFileSync(join(POLICIES_DIR, file), "utf8").matchAll(/Query\s*(?:\.GetValueOrDefault(?:<[^>]*>)?\(|\.ContainsKey\(|\[)\s*"([^"]+)"/g)) read.add(m[1]!);
    }
    expect(read.size).toBeGreaterThan(5);
    expect([...read].filter((name) => !MASKED_QUERY_PARAMETERS.includes(name) && !notSecret.includes(name)).sort()).toEqual([]);
    expect([...read].filter((name) => MASKED_QUERY_PARAMETERS.includes(name))).toEqual(expect.arrayContaining(["code", "state"]));
  });

  it("sets diagnostics on each of its APIs, never service-wide, with the same no-body, no-header, masked settings", () => {
    const json = synthJson(inExisting().stack);
    expect(json.resource).not.toHaveProperty("azurerm_api_management_diagnostic");
    const diagnostics = resourcesOf(json, "azurerm_api_management_api_diagnostic").map((d) => unhashed(d));
    expect(diagnostics.map((d) => d.api_name).sort()).toEqual(["${azurerm_api_management_api.gateway_mcp_api.name}", "${azurerm_api_management_api.gateway_oauth_api.name}"]);
    const newInstance = onlyResource(synthJson(gatewayStack().stack), "azurerm_api_management_diagnostic");
    for (const diagnostic of diagnostics) {
      expect(diagnostic).toMatchObject({ identifier: "applicationinsights", api_management_logger_id: "${azurerm_api_management_logger.gateway_logger.id}" });
      for (const side of ["frontend_request", "frontend_response", "backend_request", "backend_response", "sampling_percentage", "always_log_errors", "verbosity", "log_client_ip"]) {
        expect(diagnostic[side], side).toEqual(newInstance[side]);
      }
    }
  });
});
