/**
 * A set of policy documents as API Management holds them: global, API and operation policies,
 * fragments, and the named values they may reference. The gateway construct hands its policies to
 * the static checks in this shape; tests describe policy sets with it. Pure data: no constructs,
 * no Terraform tokens.
 */

/** Where a policy document is attached in API Management. */
export type PolicyScope = "global" | "api" | "operation" | "fragment";

export interface PolicyDocument {
  /** Where APIM attaches it; fragments have their own rules (no sections, no `<base/>`). */
  readonly scope: PolicyScope;
  /**
   * A stable name for messages: the fragment id, the API name, `<api>/<operationId>`, or `global`.
   */
  readonly name: string;
  /** Path of the source file relative to the repository root (e.g. `policies/mcp-api.xml`). */
  readonly file: string;
  /** For documents generated at synth (no file): the text before it was shaped for the provider. */
  readonly source?: string;
  /** The XML exactly as it will be sent to APIM (after any synth-time templating, before `{{NamedValue}}` substitution). */
  readonly xml: string;
  /** For `api` and `operation` scopes: the API's name (`mcp`, `oauth`, ...). */
  readonly apiName?: string;
  /** True when the document belongs to the MCP API, where streaming rules apply. */
  readonly streaming?: boolean;
}

export interface NamedValueInfo {
  /** The named value's name, as referenced by `{{name}}`. */
  readonly name: string;
  /** Whether APIM stores it as a secret. */
  readonly secret: boolean;
  /**
   * The most characters its value can have in API Management (once every reference in it is
   * resolved); checked against the named value limit.
   * @default unknown: not checked
   */
  readonly maxLength?: number;
}

export interface PolicySet {
  readonly documents: readonly PolicyDocument[];
  readonly namedValues: readonly NamedValueInfo[];
}
