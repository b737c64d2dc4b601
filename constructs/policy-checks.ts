/**
 * Runs the static policy rules (apim-policy/rules/) with this product's policy contract
 * (policies/contract.ts) at synth time, as a cdktf Aspect:
 *
 *   Aspects.of(stack).add(new PolicyChecks(() => gateway.policySet()));
 *
 * Every violation becomes an error annotation on the node the aspect visits first (the scope it
 * was added to), so `cdktf synth` / `app.synth()` stop before writing cdk.tf.json and print each
 * violation as `[rule] document: message`.
 */
import { Annotations, type IAspect } from "cdktf";
import type { IConstruct } from "constructs";
import { POLICY_CONTRACT } from "../policies/contract.js";
import { policyRules as rulesFor, runPolicyRules, type PolicyRule } from "../apim-policy/rules/index.js";
import type { PolicySet, PolicyViolation } from "./policy-set.js";

/** Every rule, with this product's policy contract (policies/contract.ts), in report order. */
export const policyRules: readonly PolicyRule[] = rulesFor(POLICY_CONTRACT);

export interface PolicyChecksOptions {
  /**
   * The rules to run.
   * @default policyRules (every rule)
   */
  readonly rules?: readonly PolicyRule[];
}

/** One line per violation: `[rule] document: message`. */
export function formatViolation(v: PolicyViolation): string {
  return `[${v.rule}] ${v.document}: ${v.message}`;
}

/** Violations as text for a CLI or a log, one per line; a summary line when there are none. */
export function formatViolations(violations: readonly PolicyViolation[]): string {
  if (violations.length === 0) return "policy checks: no violations";
  return violations.map(formatViolation).join("\n");
}

export class PolicyChecks implements IAspect {
  private readonly rules: readonly PolicyRule[];
  private visited = false;
  /** The violations found on the visit, which fail synth (empty before it). */
  public violations: readonly PolicyViolation[] = [];

  /**
   * @param policySet called once, at the first visit (after the constructs are built), for the
   *   policies to check.
   */
  constructor(
    private readonly policySet: () => PolicySet,
    options: PolicyChecksOptions = {},
  ) {
    this.rules = options.rules ?? policyRules;
  }

  visit(node: IConstruct): void {
    if (this.visited) return;
    this.visited = true;
    let violations: PolicyViolation[];
    try {
      violations = runPolicyRules(this.policySet(), this.rules);
    } catch (e) {
      // A failing policySet() (e.g. an unreadable policy file) is reported the same way, not thrown mid-synth.
      const message = e instanceof Error ? e.message : String(e);
      violations = [{ rule: "policy-set", document: "*", message: `could not collect the policy set: ${message}` }];
    }
    this.violations = violations;
    for (const v of violations) Annotations.of(node).addError(formatViolation(v));
  }
}
