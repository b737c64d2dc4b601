/**
 * Which rules fail synth. The contract rules (variable-flow, fragment-contracts, cache-records)
 * run on every synth and their findings on a policy set are errors: a fragment whose header does
 * not say what it reads, sets and answers, a variable read before its pipeline sets it, a variable
 * set and never read, or a cache record that differs from cache-records.ts stops synth. A rule
 * built with `enforced: false` (contracts.ts, cache-records.ts) reports the same findings as
 * warnings instead, for a policy set on its way to its contracts.
 */
export const CONTRACT_RULES_ENFORCED = true;
