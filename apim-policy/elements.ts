/**
 * The element table: every policy API Management knows, with its attributes (required or not),
 * its child elements, the sections it may appear in and the gateways that support it. The static
 * checks (element, attribute, section and tier rules) and the local gateway (which implements a
 * subset of it, local/gateway/elements/) both read this one table, so they cannot disagree on
 * what a policy may say.
 *
 * Sources (Microsoft Learn): "API Management policy reference" (the index of all policies, with the
 * Classic / V2 / Consumption / Self-hosted columns, version of 28 March 2024; the AI gateway
 * policies from their own pages), and each policy's page: "Policy statement", "Attributes",
 * "Elements" and "Usage" (policy sections). GraphQL resolver policies and the self-hosted-only Dapr
 * policies are left out on purpose: this product has no GraphQL API and runs on the managed gateway.
 * Where a page marks an attribute "Required: Yes" it is required here.
 */
import { SECTIONS, type Section } from "./sections.js";

/** The API Management gateways a policy may run on (the policy index's columns). */
export type Tier = "classic" | "v2" | "consumption" | "self-hosted";

export interface AttributeSpec {
  /** The policy's page marks it required. */
  readonly required?: boolean;
}

/** What an element may carry and contain. */
export interface ElementSpec {
  /** Its attributes by name; an attribute not listed is unknown to API Management. */
  readonly attributes: Readonly<Record<string, AttributeSpec>>;
  /**
   * Its own child elements by name: their spec, or `"policy"` when the child is the policy
   * statement of that name (`set-header` in `send-request`).
   */
  readonly children?: Readonly<Record<string, ElementSpec | "policy">>;
  /** True when it holds policy statements (control flow, retry, wait, limit-concurrency...). */
  readonly policies?: boolean;
  /**
   * True when it must hold at least one policy statement: choose's `when` and `otherwise`, which
   * the choose page describes as holding "one or more policy statements" (comments do not count).
   */
  readonly statementRequired?: boolean;
  /** True when its content is free-form (an XSLT stylesheet, a cross-domain policy file). */
  readonly anyContent?: boolean;
}

/** A policy statement: an element spec plus where it may run. */
export interface PolicySpec extends ElementSpec {
  /** The sections it may appear in (directly or nested in control flow, fragments counted in). */
  readonly sections: readonly Section[];
  /** The gateways that support it. */
  readonly tiers: readonly Tier[];
}

const ALL_SECTIONS: readonly Section[] = SECTIONS;
const INBOUND: readonly Section[] = ["inbound"];
const EVERY_GATEWAY: readonly Tier[] = ["classic", "v2", "consumption", "self-hosted"];
const NOT_CONSUMPTION: readonly Tier[] = ["classic", "v2", "self-hosted"];

/** Attribute specs from a list of required and a list of optional names. */
function attrs(required: readonly string[] = [], optional: readonly string[] = []): Record<string, AttributeSpec> {
  return Object.fromEntries([...required.map((n) => [n, { required: true }]), ...optional.map((n) => [n, {}])]);
}

/** A child element with only attributes (and text). */
function leaf(required: readonly string[] = [], optional: readonly string[] = []): ElementSpec {
  return { attributes: attrs(required, optional) };
}

function policy(
  sections: readonly Section[],
  tiers: readonly Tier[],
  attributes: Record<string, AttributeSpec>,
  more: Omit<ElementSpec, "attributes"> = {},
): PolicySpec {
  return { sections, tiers, attributes, ...more };
}

const VALUE = leaf();
const CLAIMS: ElementSpec = { attributes: {}, children: { claim: { attributes: attrs(["name"], ["match", "separator"]), children: { value: VALUE } } } };
const AUDIENCES: ElementSpec = { attributes: {}, children: { audience: VALUE } };
const KEYS: ElementSpec = { attributes: {}, children: { key: leaf([], ["certificate-id", "n", "e", "id"]) } };
const APPLICATION_IDS: ElementSpec = { attributes: {}, children: { "application-id": VALUE } };
const RATE_OPERATION = leaf([], ["name", "id", "calls", "renewal-period"]);
const QUOTA_OPERATION = leaf([], ["name", "id", "calls", "bandwidth", "renewal-period"]);
const PARAMETERS: ElementSpec = { attributes: attrs([], ["specified-parameter-action", "unspecified-parameter-action"]), children: { parameter: leaf(["name", "action"]) } };
const REQUEST_PARTS: Record<string, ElementSpec | "policy"> = { "set-url": VALUE, "set-method": "policy", "set-header": "policy", "set-body": "policy", "authentication-certificate": "policy", "authentication-managed-identity": "policy", proxy: "policy" };
const TOKEN_LIMIT = attrs(
  ["counter-key", "estimate-prompt-tokens"],
  ["tokens-per-minute", "token-quota", "token-quota-period", "retry-after-header-name", "retry-after-variable-name", "remaining-quota-tokens-header-name", "remaining-quota-tokens-variable-name", "remaining-tokens-header-name", "remaining-tokens-variable-name", "tokens-consumed-header-name", "tokens-consumed-variable-name"],
);
const SEMANTIC_LOOKUP = attrs(["score-threshold", "embeddings-backend-id"], ["embeddings-backend-auth", "ignore-system-messages", "max-message-count"]);
const DIMENSIONS = { dimension: leaf(["name"], ["value"]) };

/** Policy statements: what may appear in a section, a fragment, or a policy container. */
export const POLICY_STATEMENTS: Readonly<Record<string, PolicySpec>> = {
  // Rate limiting and quotas
  "rate-limit": policy(INBOUND, EVERY_GATEWAY, attrs(["calls", "renewal-period"], ["retry-after-header-name", "retry-after-variable-name", "remaining-calls-header-name", "remaining-calls-variable-name", "total-calls-header-name"]), {
    children: { api: { attributes: attrs([], ["name", "id", "calls", "renewal-period"]), children: { operation: RATE_OPERATION } } },
  }),
  "rate-limit-by-key": policy(INBOUND, NOT_CONSUMPTION, attrs(["calls", "renewal-period", "counter-key"], ["increment-condition", "increment-count", "retry-after-header-name", "retry-after-variable-name", "remaining-calls-header-name", "remaining-calls-variable-name", "total-calls-header-name"])),
  quota: policy(INBOUND, EVERY_GATEWAY, attrs(["renewal-period"], ["calls", "bandwidth", "first-period-start"]), {
    children: { api: { attributes: attrs([], ["name", "id", "calls", "bandwidth", "renewal-period"]), children: { operation: QUOTA_OPERATION } } },
  }),
  "quota-by-key": policy(INBOUND, ["classic", "self-hosted"], attrs(["counter-key", "renewal-period"], ["calls", "bandwidth", "increment-condition", "first-period-start"])),
  "limit-concurrency": policy(ALL_SECTIONS, EVERY_GATEWAY, attrs(["key", "max-count"]), { policies: true }),
  // Authentication and authorization
  "check-header": policy(INBOUND, EVERY_GATEWAY, attrs(["name", "failed-check-httpcode", "failed-check-error-message", "ignore-case"]), { children: { value: VALUE } }),
  "get-authorization-context": policy(INBOUND, ["classic", "v2", "consumption"], attrs(["provider-id", "authorization-id", "context-variable-name", "identity-type"], ["identity", "ignore-error"])),
  "ip-filter": policy(INBOUND, EVERY_GATEWAY, attrs(["action"]), { children: { address: VALUE, "address-range": leaf(["from", "to"]) } }),
  "validate-azure-ad-token": policy(INBOUND, EVERY_GATEWAY, attrs(["tenant-id"], ["header-name", "query-parameter-name", "token-value", "failed-validation-httpcode", "failed-validation-error-message", "output-token-variable-name"]), {
    children: { "client-application-ids": APPLICATION_IDS, "backend-application-ids": APPLICATION_IDS, audiences: AUDIENCES, "required-claims": CLAIMS, "decryption-keys": KEYS },
  }),
  "validate-jwt": policy(INBOUND, EVERY_GATEWAY, attrs([], ["header-name", "query-parameter-name", "token-value", "failed-validation-httpcode", "failed-validation-error-message", "require-expiration-time", "require-scheme", "require-signed-tokens", "clock-skew", "output-token-variable-name"]), {
    children: { "openid-config": leaf(["url"]), "issuer-signing-keys": KEYS, "decryption-keys": KEYS, audiences: AUDIENCES, issuers: { attributes: {}, children: { issuer: VALUE } }, "required-claims": CLAIMS },
  }),
  "validate-client-certificate": policy(INBOUND, EVERY_GATEWAY, attrs([], ["validate-revocation", "validate-trust", "validate-not-before", "validate-not-after", "ignore-error"]), {
    children: { identities: { attributes: {}, children: { identity: leaf([], ["thumbprint", "serial-number", "common-name", "subject", "dns-name", "issuer-subject", "issuer-thumbprint", "issuer-certificate-id"]) } } },
  }),
  "authentication-basic": policy(INBOUND, EVERY_GATEWAY, attrs(["username", "password"])),
  "authentication-certificate": policy(INBOUND, EVERY_GATEWAY, attrs([], ["thumbprint", "certificate-id", "body", "password"])),
  "authentication-managed-identity": policy(INBOUND, EVERY_GATEWAY, attrs(["resource"], ["client-id", "output-token-variable-name", "ignore-error"])),
  // Content validation
  "validate-content": policy(["inbound", "outbound", "on-error"], EVERY_GATEWAY, attrs(["unspecified-content-type-action", "max-size", "size-exceeded-action"], ["errors-variable-name"]), {
    children: {
      "content-type-map": { attributes: attrs([], ["any-content-type-value", "missing-content-type-value"]), children: { type: leaf([], ["from", "when", "to"]) } },
      content: leaf([], ["type", "validate-as", "schema-id", "schema-ref", "allow-additional-properties", "case-insensitive-property-names", "action"]),
    },
  }),
  "validate-graphql-request": policy(INBOUND, EVERY_GATEWAY, attrs([], ["error-variable-name", "max-size", "max-depth", "max-total-depth", "max-complexity"]), {
    children: { authorize: { attributes: {}, children: { rule: leaf(["path", "action"]) } } },
  }),
  "validate-odata-request": policy(INBOUND, EVERY_GATEWAY, attrs([], ["error-variable-name", "default-odata-version", "min-odata-version", "max-odata-version", "max-size"])),
  "validate-parameters": policy(INBOUND, EVERY_GATEWAY, attrs(["specified-parameter-action", "unspecified-parameter-action"], ["errors-variable-name"]), {
    children: { headers: PARAMETERS, query: PARAMETERS, path: PARAMETERS },
  }),
  "validate-headers": policy(["outbound", "on-error"], EVERY_GATEWAY, attrs(["specified-header-action", "unspecified-header-action"], ["errors-variable-name"]), { children: { header: leaf(["name", "action"]) } }),
  "validate-status-code": policy(["outbound", "on-error"], EVERY_GATEWAY, attrs(["unspecified-status-code-action"], ["errors-variable-name"]), { children: { "status-code": leaf(["code", "action"]) } }),
  // Routing
  "forward-request": policy(["backend"], EVERY_GATEWAY, attrs([], ["timeout", "timeout-ms", "continue-timeout", "http-version", "follow-redirects", "buffer-request-body", "buffer-response", "fail-on-error-status-code"])),
  "set-backend-service": policy(["inbound", "backend"], EVERY_GATEWAY, attrs([], ["base-url", "backend-id", "sf-resolve-condition", "sf-service-instance-name", "sf-listener-name", "sf-partition-key", "sf-replica-type", "dapr-app-id", "dapr-method", "dapr-namespace"])),
  proxy: policy(INBOUND, EVERY_GATEWAY, attrs(["url"], ["username", "password"])),
  // Caching
  "cache-lookup": policy(INBOUND, EVERY_GATEWAY, attrs(["vary-by-developer", "vary-by-developer-groups"], ["caching-type", "downstream-caching-type", "must-revalidate", "allow-private-response-caching"]), {
    children: { "vary-by-header": VALUE, "vary-by-query-parameter": VALUE },
  }),
  "cache-store": policy(["outbound"], EVERY_GATEWAY, attrs(["duration"], ["cache-response"])),
  "cache-lookup-value": policy(ALL_SECTIONS, EVERY_GATEWAY, attrs(["key", "variable-name"], ["default-value", "caching-type"])),
  "cache-store-value": policy(ALL_SECTIONS, EVERY_GATEWAY, attrs(["key", "value", "duration"], ["caching-type"])),
  "cache-remove-value": policy(ALL_SECTIONS, EVERY_GATEWAY, attrs(["key"], ["caching-type"])),
  "azure-openai-semantic-cache-lookup": policy(INBOUND, EVERY_GATEWAY, SEMANTIC_LOOKUP, { children: { "vary-by": VALUE } }),
  "azure-openai-semantic-cache-store": policy(["outbound"], EVERY_GATEWAY, attrs(["duration"])),
  "llm-semantic-cache-lookup": policy(INBOUND, EVERY_GATEWAY, SEMANTIC_LOOKUP, { children: { "vary-by": VALUE } }),
  "llm-semantic-cache-store": policy(["outbound"], EVERY_GATEWAY, attrs(["duration"])),
  // AI gateway (their pages: classic and v2 tiers; not listed for Consumption)
  "azure-openai-token-limit": policy(INBOUND, NOT_CONSUMPTION, TOKEN_LIMIT),
  "llm-token-limit": policy(INBOUND, NOT_CONSUMPTION, TOKEN_LIMIT),
  "azure-openai-emit-token-metric": policy(INBOUND, EVERY_GATEWAY, attrs([], ["namespace"]), { children: DIMENSIONS }),
  "llm-emit-token-metric": policy(INBOUND, EVERY_GATEWAY, attrs([], ["namespace"]), { children: DIMENSIONS }),
  "llm-content-safety": policy(INBOUND, NOT_CONSUMPTION, attrs(["backend-id"], ["shield-prompt"]), {
    children: {
      categories: { attributes: attrs([], ["output-type"]), children: { category: leaf(["name", "threshold"]) } },
      blocklists: { attributes: {}, children: { id: VALUE } },
    },
  }),
  // Transformation
  "set-method": policy(["inbound", "on-error"], EVERY_GATEWAY, {}),
  "set-status": policy(ALL_SECTIONS, EVERY_GATEWAY, attrs(["code", "reason"])),
  "set-variable": policy(ALL_SECTIONS, EVERY_GATEWAY, attrs(["name", "value"])),
  "set-body": policy(["inbound", "outbound", "backend"], EVERY_GATEWAY, attrs([], ["template", "xsi-nil", "parse-date"])),
  "set-header": policy(ALL_SECTIONS, EVERY_GATEWAY, attrs(["name"], ["exists-action"]), { children: { value: VALUE } }),
  "set-query-parameter": policy(["inbound", "backend"], EVERY_GATEWAY, attrs(["name"], ["exists-action"]), { children: { value: VALUE } }),
  "rewrite-uri": policy(INBOUND, EVERY_GATEWAY, attrs(["template"], ["copy-unmatched-params"])),
  "json-to-xml": policy(["inbound", "outbound", "on-error"], EVERY_GATEWAY, attrs(["apply"], ["consider-accept-header", "parse-date", "namespace-separator", "namespace-prefix", "attribute-block-name"])),
  "xml-to-json": policy(["inbound", "outbound", "on-error"], EVERY_GATEWAY, attrs(["kind", "apply"], ["consider-accept-header", "always-array-child-elements"])),
  "find-and-replace": policy(ALL_SECTIONS, EVERY_GATEWAY, attrs(["from", "to"])),
  "redirect-content-urls": policy(["inbound", "outbound"], EVERY_GATEWAY, {}),
  "xsl-transform": policy(["inbound", "outbound"], EVERY_GATEWAY, {}, { anyContent: true }),
  "return-response": policy(ALL_SECTIONS, EVERY_GATEWAY, attrs([], ["response-variable-name"]), {
    children: { "set-status": "policy", "set-header": "policy", "set-body": "policy" },
  }),
  "mock-response": policy(["inbound", "outbound", "on-error"], EVERY_GATEWAY, attrs([], ["status-code", "content-type", "index"])),
  // Cross-domain
  "cross-domain": policy(INBOUND, EVERY_GATEWAY, {}, { anyContent: true }),
  cors: policy(INBOUND, EVERY_GATEWAY, attrs([], ["allow-credentials", "terminate-unmatched-request"]), {
    children: {
      "allowed-origins": { attributes: {}, children: { origin: VALUE } },
      "allowed-methods": { attributes: attrs([], ["preflight-result-max-age"]), children: { method: VALUE } },
      "allowed-headers": { attributes: {}, children: { header: VALUE } },
      "expose-headers": { attributes: {}, children: { header: VALUE } },
    },
  }),
  jsonp: policy(["outbound"], EVERY_GATEWAY, attrs(["callback-parameter-name"])),
  // Integration and external communication
  "send-request": policy(ALL_SECTIONS, EVERY_GATEWAY, attrs(["response-variable-name"], ["mode", "timeout", "ignore-error"]), { children: REQUEST_PARTS }),
  "send-one-way-request": policy(ALL_SECTIONS, EVERY_GATEWAY, attrs([], ["mode", "timeout"]), { children: REQUEST_PARTS }),
  "log-to-eventhub": policy(ALL_SECTIONS, EVERY_GATEWAY, attrs(["logger-id"], ["partition-id", "partition-key"])),
  // Logging. The trace page's usage lists inbound, outbound and backend; Microsoft Learn's "Error
  // handling in API Management policies" lists trace among the policies allowed in on-error (the
  // audit event is traced there), so every section.
  trace: policy(ALL_SECTIONS, EVERY_GATEWAY, attrs(["source"], ["severity"]), { children: { message: VALUE, metadata: leaf(["name", "value"]) } }),
  "emit-metric": policy(ALL_SECTIONS, EVERY_GATEWAY, attrs(["name"], ["namespace", "value"]), { children: DIMENSIONS }),
  // Policy control and flow
  choose: policy(ALL_SECTIONS, EVERY_GATEWAY, {}, {
    children: { when: { attributes: attrs(["condition"]), policies: true, statementRequired: true }, otherwise: { attributes: {}, policies: true, statementRequired: true } },
  }),
  "include-fragment": policy(ALL_SECTIONS, EVERY_GATEWAY, attrs(["fragment-id"])),
  retry: policy(ALL_SECTIONS, EVERY_GATEWAY, attrs(["condition", "count", "interval"], ["max-interval", "delta", "first-fast-retry"]), { policies: true }),
  wait: policy(ALL_SECTIONS, EVERY_GATEWAY, attrs([], ["for"]), { policies: true }),
  base: policy(ALL_SECTIONS, EVERY_GATEWAY, {}),
};

/** Whether `name` is a policy statement (may appear in a section, a fragment or a policy container). */
export function isPolicyStatement(name: string): boolean {
  return Object.prototype.hasOwnProperty.call(POLICY_STATEMENTS, name);
}

/** Every element name the table knows (statements and child elements). */
export const KNOWN_ELEMENT_NAMES: ReadonlySet<string> = (() => {
  const names = new Set<string>(Object.keys(POLICY_STATEMENTS));
  const visit = (spec: ElementSpec): void => {
    for (const [name, child] of Object.entries(spec.children ?? {})) {
      names.add(name);
      if (child !== "policy") visit(child);
    }
  };
  for (const spec of Object.values(POLICY_STATEMENTS)) visit(spec);
  return names;
})();

/** The spec of a container of policy statements (a section, a fragment root). */
export const STATEMENT_CONTAINER: ElementSpec = { attributes: {}, policies: true };

/** A child element resolved against its parent's spec. */
export interface ResolvedChild {
  readonly spec: ElementSpec;
  /**
   * True when it is a policy statement of a statement container (a section, `when`, `retry`...),
   * where the section rules apply; false for a policy's own parts (`set-header` in `return-response`).
   */
  readonly statement: boolean;
}

/**
 * What `name` is inside an element of spec `parent`, or undefined when it may not appear there.
 * A parent's own children win over policy statements of the same name.
 */
export function childSpec(parent: ElementSpec, name: string): ResolvedChild | undefined {
  const own = Object.prototype.hasOwnProperty.call(parent.children ?? {}, name) ? parent.children![name] : undefined;
  if (own === "policy") return { spec: POLICY_STATEMENTS[name]!, statement: false };
  if (own) return { spec: own, statement: false };
  if (parent.policies && isPolicyStatement(name)) return { spec: POLICY_STATEMENTS[name]!, statement: true };
  return undefined;
}

/** What a parent may contain, for messages: its child names, and "policy statements" when it holds them. */
export function expectedChildren(parent: ElementSpec): string[] {
  return [...Object.keys(parent.children ?? {}), ...(parent.policies ? ["policy statements"] : [])];
}
