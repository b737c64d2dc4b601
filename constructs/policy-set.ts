/**
 * The shape in which the gateway hands its policies to the static checks (apim-policy/rules/): the
 * policy language's own document and finding types, re-exported for the constructs.
 */
export type { NamedValueInfo, PolicyDocument, PolicyScope, PolicySet } from "../apim-policy/policy-set.js";
export type { PolicyViolation } from "../apim-policy/rules/rule.js";
