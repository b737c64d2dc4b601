/**
 * A small policy set whose fragments declare their contracts (Reads:/Sets:/Answers:) and whose
 * cache record matches a small layout, for the contract rules' tests (variable-flow,
 * fragment-contracts, cache-records). `contractPolicySet()` passes all three; tests break one
 * thing at a time with `withXml` / `withDocument` (policy-fixtures.ts).
 */
import type { CacheRecordLayout } from "../apim-policy/rules/index.js";
import type { PolicySet } from "../apim-policy/policy-set.js";
import { EntraAppRegistration } from "../constructs/entra-app-registration.js";
import { McpAppService } from "../constructs/mcp-app-service.js";
import { McpOAuth } from "../constructs/mcp-oauth.js";
import { serverNaming } from "../constructs/server-naming.js";
import { POLICIES_DIR } from "../constructs/policy-files.js";
import { gatewayStack } from "./gateway.js";
import { fragmentXml, policiesXml, policyDoc } from "./policy-fixtures.js";
import { fixturePackage } from "./synth.js";

/** A fragment document with a contract header. */
export function contractFragment(body: string, contract: { reads: string; sets: string; answers: string }, what = "test fragment"): string {
  return fragmentXml(body, `${what}\n     Reads: ${contract.reads}\n     Sets: ${contract.sets}\n     Answers: ${contract.answers}`);
}

export const PARSE_FRAGMENT = contractFragment(
  [
    `  <set-variable name="grant-key" value="@("test:grant:" + context.Request.Headers.GetValueOrDefault("X-Handle", ""))" />`,
    `  <choose>`,
    `    <when condition="@(!context.Request.Headers.ContainsKey("X-Handle"))">`,
    `      <set-variable name="auth-error" value="missing" />`,
    `    </when>`,
    `  </choose>`,
  ].join("\n"),
  { reads: "none", sets: "grant-key, auth-error (missing when there is no handle)", answers: "nothing" },
  "step 1: the grant's cache key from the X-Handle header",
);

export const CHECK_FRAGMENT = contractFragment(
  [
    `  <choose>`,
    `    <when condition="@(context.Variables.ContainsKey("auth-error") || (string)context.Variables["grant-json"] == "none")">`,
    `      <return-response>`,
    `        <set-status code="401" reason="Unauthorized" />`,
    `      </return-response>`,
    `    </when>`,
    `  </choose>`,
    `  <set-variable name="client" value="@((string)JObject.Parse((string)context.Variables["grant-json"])["cid"])" />`,
  ].join("\n"),
  { reads: "auth-error, grant-json", sets: "client", answers: "401 when the grant is missing or unknown" },
  "step 2: refuse a request without a known grant",
);

export const STORE_FRAGMENT = contractFragment(
  [
    `  <set-variable name="grant-record" value="@(JsonConvert.SerializeObject(new JObject(new JProperty("cid", "c"), new JProperty("exp", 1))))" />`,
    `  <cache-store-value key="@((string)context.Variables["grant-key"])" value="@((string)context.Variables["grant-record"])" duration="60" />`,
  ].join("\n"),
  { reads: "grant-key", sets: "grant-record", answers: "nothing" },
  "stores a grant record",
);

export const OPERATION = policiesXml({
  inbound: [
    `<base />`,
    `<include-fragment fragment-id="parse" />`,
    `<cache-lookup-value key="@((string)context.Variables["grant-key"])" default-value="none" variable-name="grant-json" />`,
    `<include-fragment fragment-id="check" />`,
    `<choose><when condition="@(JObject.Parse((string)context.Variables["grant-json"])["exp"] == null)"><include-fragment fragment-id="store" /></when></choose>`,
    `<set-header name="X-Client" exists-action="override"><value>@((string)context.Variables["client"])</value></set-header>`,
  ].join("\n"),
});

/** The record layout of the fixture's cache. */
export const TEST_RECORDS: readonly CacheRecordLayout[] = [
  {
    name: "test grant",
    prefix: "test:grant:",
    key: "the X-Handle header",
    description: "a grant",
    fields: { cid: "the client", exp: "when it expires" },
    variables: ["grant-record", "grant-json"],
  },
];

export function contractPolicySet(): PolicySet {
  return {
    documents: [
      policyDoc("global", "global", policiesXml({}, "global policy")),
      policyDoc("api", "api", policiesXml({}, "the API"), { apiName: "api" }),
      policyDoc("operation", "api/op", OPERATION, { apiName: "api" }),
      policyDoc("fragment", "parse", PARSE_FRAGMENT),
      policyDoc("fragment", "check", CHECK_FRAGMENT),
      policyDoc("fragment", "store", STORE_FRAGMENT),
    ],
    namedValues: [],
  };
}

/** The product's own policy set: McpOAuth on a bare gateway reading the real policies/ folder. */
export function productPolicySet(): PolicySet {
  const { stack, resourceGroup, observability, gateway } = gatewayStack({ policiesDir: POLICIES_DIR });
  const entra = new EntraAppRegistration(stack, "entra", {
    displayName: "test MCP",
    tenantId: "11111111-2222-3333-4444-555555555555",
    redirectUris: ["https://test-apim.azure-api.net/oauth-callback"],
    trustedIdentity: gateway.identity,
  });
  const app = new McpAppService(stack, "mcp_app", { resourceGroup, name: "test-app", packageFile: fixturePackage(), entra, observability });
  new McpOAuth(stack, "oauth", { gateway, tenantId: entra.tenantId }).addServer("weather", { path: "mcp", title: "Weather", entra, backendUrl: app.url, naming: serverNaming("weather", { sample: true }) });
  return gateway.policySet();
}
