/**
 * The shape in which the gateway hands its policies to the static checks (constructs/policy-rules/):
 * the policy language's own document types (apim-policy/policy-set.ts), re-exported for the constructs.
 */
export type { NamedValueInfo, PolicyDocument, PolicyScope, PolicySet } from "../apim-policy/policy-set.js";

/** One finding of a rule. */
export interface PolicyViolation {
  /** The rule's id, e.g. `named-values-defined`. */
  readonly rule: string;
  /** The document's name (see PolicyDocument.name), or `*` for set-wide findings. */
  readonly document: string;
  /** What is wrong, naming the offending value, and what is expected. */
  readonly message: string;
}

