/**
 * Static verification of API Management policies: small pure rules over a PolicySet, one runner.
 *
 *   import { policyRules, runPolicyRules } from "../apim-policy/rules/index.js";
 *   const violations = runPolicyRules(gateway.policySet(), policyRules(contract));
 *
 * The rules know the policy language; what a product's policies promise beyond it (the records
 * they keep in the cache, which APIs stream, which variables may be traced) is its PolicyContract
 * (this product's: policies/contract.ts), from which `policyRules` builds the rule list.
 *
 * Each document is parsed once (apim-policy/parse.ts caches by document) and the parse is shared by
 * all rules. Rules that need a tree skip documents that are not well-formed; `xml-well-formed`
 * reports those. Every finding fails synth (constructs/policy-checks.ts).
 */
import type { PolicySet } from "../policy-set.js";
import type { PolicyRule, PolicyViolation } from "./rule.js";
import { cacheRecordsRule, type CacheRecordLayout } from "./cache-records.js";
import { cacheValues } from "./cache-values.js";
import { fragmentContracts, variableFlow } from "./contracts.js";
import { csharpAllowedTypes } from "./csharp-types.js";
import { includeFragmentDefined } from "./include-fragment.js";
import { knownPolicyElements, policyAttributes, policySections, policyTiers } from "./known-elements.js";
import { streamingRule, type StreamingContract } from "./streaming.js";
import { namedValuesDefined, namedValuesUsed } from "./named-values.js";
import { noSecretTraceRule } from "./no-secret-trace.js";
import { rawxmlExpressionEntities } from "./rawxml-entities.js";
import { recordFieldListsRule } from "./record-field-lists.js";
import { regexAnchors } from "./regex-anchors.js";
import { sizeLimits } from "./size-limits.js";
import { fragmentStructure, policyStructure } from "./structure.js";
import { noTerraformInterpolation } from "./terraform-interpolation.js";
import { uniqueDocumentNames } from "./unique-names.js";
import { whenNotEmpty } from "./when-not-empty.js";
import { xmlWellFormed } from "./well-formed.js";

export type { PolicyRule, PolicyViolation } from "./rule.js";
export type { PolicySet, PolicyDocument, NamedValueInfo } from "../policy-set.js";
export { cacheRecordsRule, type CacheRecordLayout } from "./cache-records.js";
export { cacheValues } from "./cache-values.js";
export { fragmentContracts, variableFlow } from "./contracts.js";
export { csharpAllowedTypes } from "./csharp-types.js";
export { includeFragmentDefined } from "./include-fragment.js";
export { knownPolicyElements, policyAttributes, policySections, policyTiers } from "./known-elements.js";
export { streamingRule, type StreamingContract } from "./streaming.js";
export { namedValuesDefined, namedValuesUsed } from "./named-values.js";
export { noSecretTraceRule } from "./no-secret-trace.js";
export { rawxmlExpressionEntities } from "./rawxml-entities.js";
export { recordFieldListsRule } from "./record-field-lists.js";
export { regexAnchors } from "./regex-anchors.js";
export { sizeLimits, sizeLimitsRule, NAMED_VALUE_LIMIT_CHARACTERS, POLICY_DOCUMENT_LIMIT_BYTES, POLICY_FRAGMENT_LIMIT_BYTES } from "./size-limits.js";
export { fragmentStructure, policyStructure } from "./structure.js";
export { noTerraformInterpolation } from "./terraform-interpolation.js";
export { uniqueDocumentNames } from "./unique-names.js";
export { whenNotEmpty } from "./when-not-empty.js";
export { xmlWellFormed } from "./well-formed.js";
export { parsePolicy, parsePolicyXml } from "../parse.js";

/** What a product's policies promise beyond the policy language, for the rules that check it. */
export interface PolicyContract {
  /** Where the contract is defined, as messages name it (e.g. `policies/contract.ts`). */
  readonly definedIn: string;
  /** The records the policies keep in API Management's cache (rules cache-records and record-field-lists). */
  readonly records: readonly CacheRecordLayout[];
  /** The rule for the APIs marked streaming. */
  readonly streaming: StreamingContract;
  /** Variables that may be traced although they derive from sensitive values (rule no-secret-trace). */
  readonly loggableVariables: ReadonlySet<string>;
}

/** Every rule, with a product's contract, in the order their findings are reported. */
export function policyRules(contract: PolicyContract): readonly PolicyRule[] {
  return [
    uniqueDocumentNames,
    xmlWellFormed,
    policyStructure,
    fragmentStructure,
    namedValuesDefined,
    namedValuesUsed,
    includeFragmentDefined,
    sizeLimits,
    noTerraformInterpolation,
    knownPolicyElements,
    policyAttributes,
    policySections,
    policyTiers,
    whenNotEmpty,
    rawxmlExpressionEntities,
    csharpAllowedTypes,
    streamingRule(contract.streaming),
    noSecretTraceRule({ loggableVariables: contract.loggableVariables }),
    cacheValues,
    regexAnchors,
    variableFlow,
    fragmentContracts,
    cacheRecordsRule({ layouts: contract.records, definedIn: contract.definedIn }),
    recordFieldListsRule({ layouts: contract.records, definedIn: contract.definedIn }),
  ];
}

/**
 * Runs the rules over a policy set and returns every finding, in rule order; empty when the set is
 * clean. A rule that throws is reported under its own id, and the other rules still run.
 */
export function runPolicyRules(set: PolicySet, rules: readonly PolicyRule[]): PolicyViolation[] {
  return rules.flatMap((rule) => {
    try {
      return rule.check(set);
    } catch (e) {
      const reason = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
      return [{ rule: rule.id, document: "*", message: `the rule crashed (${reason}); its checks did not run, so the policy set is not known to pass it` }];
    }
  });
}
