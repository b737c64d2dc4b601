/**
 * Small, valid policy sets for the static-check tests. `cleanPolicySet()` passes every rule; tests
 * break one thing at a time with `withDocument` / `withXml` and expect exactly that rule to fire.
 */
import type { NamedValueInfo, PolicyDocument, PolicyScope, PolicySet } from "../apim-policy/policy-set.js";

export interface SectionsXml {
  /** @default "<base />" */
  readonly inbound?: string;
  /** @default "<base />" */
  readonly backend?: string;
  /** @default "<base />" */
  readonly outbound?: string;
  /** @default "<base />" */
  readonly onError?: string;
}

/** A `<policies>` document with the four sections in order. */
export function policiesXml(sections: SectionsXml = {}, comment = "test policy"): string {
  return [
    `<!-- ${comment} -->`,
    "<policies>",
    `  <inbound>${sections.inbound ?? "<base />"}</inbound>`,
    `  <backend>${sections.backend ?? "<base />"}</backend>`,
    `  <outbound>${sections.outbound ?? "<base />"}</outbound>`,
    `  <on-error>${sections.onError ?? "<base />"}</on-error>`,
    "</policies>",
  ].join("\n");
}

/** A `<fragment>` document. */
export function fragmentXml(body: string, comment = "test fragment"): string {
  return `<!-- ${comment} -->\n<fragment>\n${body}\n</fragment>`;
}

export function policyDoc(
  scope: PolicyScope,
  name: string,
  xml: string,
  extra: { apiName?: string; streaming?: boolean } = {},
): PolicyDocument {
  const file = scope === "fragment" ? `policies/fragments/${name}.xml` : `policies/${name.replace("/", "-")}.xml`;
  return { scope, name, file, xml, ...extra };
}

const HASH_FRAGMENT = fragmentXml(
  [
    `  <set-variable name="token-hash" value="@{`,
    `    var bytes = Encoding.UTF8.GetBytes(context.Request.Headers.GetValueOrDefault("Authorization", "").Replace("Bearer ", ""));`,
    `    using (var hmac = new HMACSHA256(Convert.FromBase64String("{{token-hmac-key}}")))`,
    `    {`,
    `      return BitConverter.ToString(hmac.ComputeHash(bytes)).Replace("-", "").ToLowerInvariant();`,
    `    }`,
    `  }" />`,
  ].join("\n"),
  "hash the presented bearer token\nReads: {{token-hmac-key}}, context.Request.Headers (Authorization)\nSets: token-hash\nAnswers: nothing",
);

const CORS_FRAGMENT = fragmentXml(
  [
    `  <cors allow-credentials="false">`,
    `    <allowed-origins><origin>*</origin></allowed-origins>`,
    `    <allowed-methods><method>GET</method><method>POST</method><method>OPTIONS</method></allowed-methods>`,
    `    <allowed-headers><header>Authorization</header><header>Content-Type</header><header>Mcp-Protocol-Version</header></allowed-headers>`,
    `    <expose-headers><header>WWW-Authenticate</header></expose-headers>`,
    `  </cors>`,
  ].join("\n"),
  "CORS for browser MCP clients\nReads: none\nSets: none\nAnswers: nothing (the cors policy answers preflights itself)",
);

const MCP_API = policiesXml(
  {
    inbound: [
      `<base />`,
      `<include-fragment fragment-id="oauth-cors" />`,
      `<include-fragment fragment-id="token-hash" />`,
      `<choose>`,
      `  <when condition="@(!context.Variables.ContainsKey("token-hash") || (string)context.Variables["token-hash"] == "")">`,
      `    <return-response>`,
      `      <set-status code="401" reason="Unauthorized" />`,
      `      <set-header name="WWW-Authenticate" exists-action="override">`,
      `        <value>@($"Bearer resource_metadata=\\"{{gateway-url}}/.well-known/oauth-protected-resource/mcp\\"")</value>`,
      `      </set-header>`,
      `    </return-response>`,
      `  </when>`,
      `</choose>`,
      `<rate-limit-by-key calls="120" renewal-period="60" counter-key="@(context.Variables.GetValueOrDefault<string>("token-hash", "anonymous"))" />`,
      `<trace source="mcp" severity="information"><message>@("mcp request " + context.RequestId)</message></trace>`,
    ].join("\n"),
    backend: `<forward-request buffer-response="false" timeout="120" />`,
    outbound: `<base />\n<set-header name="Cache-Control" exists-action="override"><value>no-store</value></set-header>`,
  },
  "MCP API: validate the gateway token, stream to the MCP app",
);

const OAUTH_TOKEN = policiesXml(
  {
    inbound: [
      `<base />`,
      `<return-response>`,
      `  <set-status code="200" reason="OK" />`,
      `  <set-header name="Cache-Control" exists-action="override"><value>no-store</value></set-header>`,
      `  <set-body>@{`,
      `    var response = new JObject();`,
      `    response["token_type"] = "Bearer";`,
      `    response["expires_in"] = 3600;`,
      `    return JsonConvert.SerializeObject(response, Newtonsoft.Json.Formatting.None);`,
      `  }</set-body>`,
      `</return-response>`,
    ].join("\n"),
  },
  "OAuth token endpoint",
);

/** A set that passes every rule: global, two APIs (one streaming), two fragments, three named values. */
export function cleanPolicySet(): PolicySet {
  return {
    documents: [
      policyDoc("global", "global", policiesXml({}, "global policy")),
      policyDoc("api", "mcp", MCP_API, { apiName: "mcp", streaming: true }),
      policyDoc("operation", "oauth/token", OAUTH_TOKEN, { apiName: "oauth" }),
      policyDoc("fragment", "oauth-cors", CORS_FRAGMENT),
      policyDoc("fragment", "token-hash", HASH_FRAGMENT),
    ],
    namedValues: [
      { name: "token-hmac-key", secret: true },
      { name: "gateway-url", secret: false },
    ],
  };
}

/** The set with the document of that name replaced, or added when no document has it. */
export function withDocument(set: PolicySet, doc: PolicyDocument): PolicySet {
  const exists = set.documents.some((d) => d.name === doc.name);
  return {
    ...set,
    documents: exists ? set.documents.map((d) => (d.name === doc.name ? doc : d)) : [...set.documents, doc],
  };
}

/** The set with one document's XML replaced (other properties kept). */
export function withXml(set: PolicySet, name: string, xml: string): PolicySet {
  const doc = set.documents.find((d) => d.name === name);
  if (!doc) throw new Error(`fixture has no document named "${name}"`);
  return withDocument(set, { ...doc, xml });
}

export function withNamedValues(set: PolicySet, namedValues: readonly NamedValueInfo[]): PolicySet {
  return { ...set, namedValues };
}

/** A one-document set (plus the named values it needs). */
export function singleDocumentSet(doc: PolicyDocument, namedValues: readonly NamedValueInfo[] = []): PolicySet {
  return { documents: [doc], namedValues };
}
