/**
 * Which rules fail synth. The contract rules (variable-flow, fragment-contracts, cache-records)
 * run on every synth; while this switch is off their findings on a policy set are warnings
 * (annotations that do not stop synth) instead of errors.
 *
 * TODO(issue 9, phase 2): once the security rewrite of policies/ is merged, write the
 * Reads:/Sets:/Answers: headers of policies/fragments/*.xml, remove the dead variables and align
 * the cache records with cache-records.ts, then set this to true.
 */
export const CONTRACT_RULES_ENFORCED = false;
