/**
 * The policy elements API Management knows, and what each may contain.
 *
 * Source: Microsoft Learn, "API Management policy reference" (the index of all policies) and the
 * "Policy statement" section of each policy's own page. GraphQL resolver policies and the
 * self-hosted-only Dapr policies are left out on purpose: this product has no GraphQL API and runs
 * on the managed gateway.
 */

/** What an element may contain. */
export interface ElementSpec {
  /** Child element names allowed besides policy statements. */
  readonly children?: readonly string[];
  /** True when the element holds policy statements (sections, control flow, retry, wait...). */
  readonly policies?: boolean;
  /** True when the content is free-form (e.g. an XSLT stylesheet); children are not checked. */
  readonly anyContent?: boolean;
}

/** Policy statements: what may appear in a section, a fragment, or a policy container. */
export const POLICY_STATEMENTS: Readonly<Record<string, ElementSpec>> = {
  // Rate limiting and quotas
  "rate-limit": { children: ["api"] },
  "rate-limit-by-key": {},
  quota: { children: ["api"] },
  "quota-by-key": {},
  "limit-concurrency": { policies: true },
  // Authentication and authorization
  "check-header": { children: ["value"] },
  "get-authorization-context": {},
  "ip-filter": { children: ["address", "address-range"] },
  "validate-azure-ad-token": {
    children: ["client-application-ids", "backend-application-ids", "audiences", "required-claims", "decryption-keys"],
  },
  "validate-jwt": {
    children: ["openid-config", "issuer-signing-keys", "decryption-keys", "audiences", "issuers", "required-claims"],
  },
  "validate-client-certificate": { children: ["identities"] },
  "authentication-basic": {},
  "authentication-certificate": {},
  "authentication-managed-identity": {},
  // Content validation
  "validate-content": { children: ["content-type-map", "content"] },
  "validate-graphql-request": { children: ["authorize"] },
  "validate-odata-request": {},
  "validate-parameters": { children: ["headers", "query", "path"] },
  "validate-headers": { children: ["header"] },
  "validate-status-code": { children: ["status-code"] },
  // Routing
  "forward-request": {},
  "set-backend-service": {},
  proxy: {},
  // Caching
  "cache-lookup": { children: ["vary-by-header", "vary-by-query-parameter"] },
  "cache-store": {},
  "cache-lookup-value": {},
  "cache-store-value": {},
  "cache-remove-value": {},
  "azure-openai-semantic-cache-lookup": { children: ["vary-by"] },
  "azure-openai-semantic-cache-store": {},
  "llm-semantic-cache-lookup": { children: ["vary-by"] },
  "llm-semantic-cache-store": {},
  // AI gateway
  "azure-openai-token-limit": {},
  "llm-token-limit": {},
  "azure-openai-emit-token-metric": { children: ["dimension"] },
  "llm-emit-token-metric": { children: ["dimension"] },
  "llm-content-safety": { children: ["categories", "blocklists"] },
  // Transformation
  "set-method": {},
  "set-status": {},
  "set-variable": {},
  "set-body": {},
  "set-header": { children: ["value"] },
  "set-query-parameter": { children: ["value"] },
  "rewrite-uri": {},
  "json-to-xml": {},
  "xml-to-json": {},
  "find-and-replace": {},
  "redirect-content-urls": {},
  "xsl-transform": { anyContent: true },
  "return-response": { children: ["set-status", "set-header", "set-body"] },
  "mock-response": {},
  // Cross-domain
  "cross-domain": { anyContent: true },
  cors: { children: ["allowed-origins", "allowed-methods", "allowed-headers", "expose-headers"] },
  jsonp: {},
  // Integration and external communication
  "send-request": {
    children: [
      "set-url",
      "set-method",
      "set-header",
      "set-body",
      "authentication-certificate",
      "authentication-managed-identity",
      "proxy",
    ],
  },
  "send-one-way-request": {
    children: ["set-url", "set-method", "set-header", "set-body", "authentication-certificate", "authentication-managed-identity"],
  },
  "log-to-eventhub": {},
  // Logging
  trace: { children: ["message", "metadata"] },
  "emit-metric": { children: ["dimension"] },
  // Policy control and flow
  choose: { children: ["when", "otherwise"] },
  "include-fragment": {},
  retry: { policies: true },
  wait: { policies: true },
  base: {},
};

/** Elements that are not policies themselves but appear inside one. */
export const CHILD_ELEMENTS: Readonly<Record<string, ElementSpec>> = {
  when: { policies: true },
  otherwise: { policies: true },
  value: {},
  api: { children: ["operation"] },
  operation: {},
  address: {},
  "address-range": {},
  "client-application-ids": { children: ["application-id"] },
  "backend-application-ids": { children: ["application-id"] },
  "application-id": {},
  audiences: { children: ["audience"] },
  audience: {},
  issuers: { children: ["issuer"] },
  issuer: {},
  "required-claims": { children: ["claim"] },
  claim: { children: ["value"] },
  "decryption-keys": { children: ["key"] },
  "issuer-signing-keys": { children: ["key"] },
  key: {},
  "openid-config": {},
  identities: { children: ["identity"] },
  identity: {},
  "content-type-map": { children: ["type"] },
  type: {},
  content: {},
  authorize: { children: ["rule"] },
  rule: {},
  headers: { children: ["parameter"] },
  query: { children: ["parameter"] },
  path: { children: ["parameter"] },
  parameter: {},
  header: {},
  "status-code": {},
  "vary-by-header": {},
  "vary-by-query-parameter": {},
  "vary-by": {},
  dimension: {},
  categories: { children: ["category"] },
  category: {},
  blocklists: { children: ["id"] },
  id: {},
  "allowed-origins": { children: ["origin"] },
  origin: {},
  "allowed-methods": { children: ["method"] },
  method: {},
  "allowed-headers": { children: ["header"] },
  "expose-headers": { children: ["header"] },
  "set-url": {},
  message: {},
  metadata: {},
};
