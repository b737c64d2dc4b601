/**
 * Static verification of API Management policies: small pure rules over a PolicySet, one runner.
 *
 *   import { runPolicyRules } from "./policy-rules/index.js";
 *   const violations = runPolicyRules(gateway.policySet());
 *
 * Each document is parsed once (apim-policy/parse.ts caches by document) and the parse is shared by
 * all rules. Rules that need a tree skip documents that are not well-formed; `xml-well-formed`
 * reports those. Findings of a rule built not to enforce (the contract rules with
 * `enforced: false`, enforcement.ts) are warnings: policyFindings returns them, runPolicyRules
 * only the errors that fail synth.
 */
import type { PolicySet, PolicyViolation } from "../policy-set.js";
import type { PolicyRule } from "./rule.js";
import { cacheRecords } from "./rules/cache-records.js";
import { cacheValues } from "./rules/cache-values.js";
import { fragmentContracts, variableFlow } from "./rules/contracts.js";
import { csharpAllowedTypes } from "./rules/csharp-types.js";
import { includeFragmentDefined } from "./rules/include-fragment.js";
import { knownPolicyElements, policyAttributes, policySections, policyTiers } from "./rules/known-elements.js";
import { mcpStreaming } from "./rules/mcp-streaming.js";
import { namedValuesDefined, namedValuesUsed } from "./rules/named-values.js";
import { noSecretTrace } from "./rules/no-secret-trace.js";
import { rawxmlExpressionEntities } from "./rules/rawxml-entities.js";
import { regexAnchors } from "./rules/regex-anchors.js";
import { sizeLimits } from "./rules/size-limits.js";
import { fragmentStructure, policyStructure } from "./rules/structure.js";
import { noTerraformInterpolation } from "./rules/terraform-interpolation.js";
import { uniqueDocumentNames } from "./rules/unique-names.js";
import { whenNotEmpty } from "./rules/when-not-empty.js";
import { xmlWellFormed } from "./rules/well-formed.js";

export type { PolicyRule } from "./rule.js";
export type { PolicySet, PolicyViolation, PolicyDocument, NamedValueInfo } from "../policy-set.js";
export { cacheRecords, cacheRecordsRule } from "./rules/cache-records.js";
export { cacheValues } from "./rules/cache-values.js";
export { fragmentContracts, fragmentContractsRule, variableFlow, variableFlowRule, type ContractRuleOptions } from "./rules/contracts.js";
export { CACHE_RECORDS, type CacheRecordLayout } from "./cache-records.js";
export { CONTRACT_RULES_ENFORCED } from "./enforcement.js";
export { csharpAllowedTypes } from "./rules/csharp-types.js";
export { includeFragmentDefined } from "./rules/include-fragment.js";
export { knownPolicyElements, policyAttributes, policySections, policyTiers } from "./rules/known-elements.js";
export { mcpStreaming } from "./rules/mcp-streaming.js";
export { namedValuesDefined, namedValuesUsed } from "./rules/named-values.js";
export { noSecretTrace } from "./rules/no-secret-trace.js";
export { rawxmlExpressionEntities } from "./rules/rawxml-entities.js";
export { regexAnchors } from "./rules/regex-anchors.js";
export { sizeLimits, sizeLimitsRule, NAMED_VALUE_LIMIT_CHARACTERS, POLICY_DOCUMENT_LIMIT_BYTES, POLICY_FRAGMENT_LIMIT_BYTES } from "./rules/size-limits.js";
export { fragmentStructure, policyStructure } from "./rules/structure.js";
export { noTerraformInterpolation } from "./rules/terraform-interpolation.js";
export { uniqueDocumentNames } from "./rules/unique-names.js";
export { whenNotEmpty } from "./rules/when-not-empty.js";
export { xmlWellFormed } from "./rules/well-formed.js";
export { parsePolicy, parsePolicyXml } from "../../apim-policy/parse.js";

/** Every rule, in the order their findings are reported. */
export const policyRules: readonly PolicyRule[] = [
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
  mcpStreaming,
  noSecretTrace,
  cacheValues,
  regexAnchors,
  variableFlow,
  fragmentContracts,
  cacheRecords,
];

/**
 * Runs the rules over a policy set and returns every finding, warnings included, in rule order. A
 * rule that throws is reported under its own id (severity error), and the other rules still run.
 */
export function policyFindings(set: PolicySet, rules: readonly PolicyRule[] = policyRules): PolicyViolation[] {
  return rules.flatMap((rule) => {
    try {
      return rule.check(set);
    } catch (e) {
      const reason = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
      return [{ rule: rule.id, document: "*", message: `the rule crashed (${reason}); its checks did not run, so the policy set is not known to pass it` }];
    }
  });
}

/** The findings that fail synth (severity error), in rule order; empty when the set is clean. */
export function runPolicyRules(set: PolicySet, rules: readonly PolicyRule[] = policyRules): PolicyViolation[] {
  return policyFindings(set, rules).filter((v) => v.severity !== "warning");
}
