import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AnnotationMetadataEntryType, Aspects, TerraformOutput, TerraformStack, Testing } from "cdktf";
import { afterEach, describe, expect, it } from "vitest";
import { formatViolation, formatViolations, PolicyChecks } from "../../constructs/policy-checks.js";
import { fragmentContracts, namedValuesUsed } from "../../apim-policy/rules/index.js";
import type { PolicySet } from "../../constructs/policy-set.js";
import { cleanPolicySet, fragmentXml, policiesXml, withNamedValues, withXml } from "../../test-support/policy-fixtures.js";

const outdirs: string[] = [];
afterEach(() => {
  for (const dir of outdirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A tiny stack with the checks attached; `synth()` runs the real synthesizer into a temp dir. */
function stackWith(policySet: () => PolicySet, options?: ConstructorParameters<typeof PolicyChecks>[1]) {
  const outdir = mkdtempSync(join(tmpdir(), "policy-checks-"));
  outdirs.push(outdir);
  const app = Testing.app({ outdir });
  const stack = new TerraformStack(app, "mcp");
  new TerraformOutput(stack, "hello", { value: "world" });
  const checks = new PolicyChecks(policySet, options);
  Aspects.of(stack).add(checks);
  return { app, stack, checks, outdir, tfJson: join(outdir, "stacks", "mcp", "cdk.tf.json") };
}

const brokenSet = () =>
  withXml(cleanPolicySet(), "global", policiesXml({ inbound: `<base />\n<set-variable name="x" value="{{not-defined}}" />\n<set-header name="X" exists-action="override"><value>@((string)context.Variables["x"])</value></set-header>` }));

describe("PolicyChecks", () => {
  it("lets synth write cdk.tf.json when the policy set is clean", () => {
    const { app, checks, tfJson } = stackWith(cleanPolicySet);
    app.synth();
    expect(checks.violations).toEqual([]);
    expect(existsSync(tfJson)).toBe(true);
  });

  it("fails synth on a violation, with the rule, document and message, before cdk.tf.json is written", () => {
    const { app, tfJson } = stackWith(brokenSet);
    expect(() => app.synth()).toThrow(
      /Encountered Annotations with level "ERROR":\n\[mcp\] \[named-values-defined\] global: named value "not-defined" referenced at line 4 is not defined/,
    );
    expect(existsSync(tfJson)).toBe(false);
  });

  it("reports every violation as its own error annotation on the stack", () => {
    const set = withNamedValues(brokenSet(), [...brokenSet().namedValues, { name: "spare", secret: false }]);
    const { stack, checks } = stackWith(() => set);
    Testing.synth(stack);
    const errors = stack.node.metadata.filter((m) => m.type === AnnotationMetadataEntryType.ERROR).map((m) => m.data);
    expect(errors).toEqual(checks.violations.map(formatViolation));
    expect(errors).toEqual([
      `[named-values-defined] global: named value "not-defined" referenced at line 4 is not defined; define it with addNamedValue or fix the reference`,
      `[named-values-used] *: named value "spare" is defined but no policy references {{spare}}; remove it or use it`,
    ]);
  });

  it("fails synth on a fragment reading a variable its operation's pipeline never set, naming the variable and the file", () => {
    const reads = fragmentXml(`  <set-variable name="token-hash" value="@((string)context.Variables["grant"])" />`, "copies the grant\nReads: grant\nSets: token-hash\nAnswers: nothing");
    const { app, tfJson } = stackWith(() => withXml(cleanPolicySet(), "token-hash", reads));
    expect(() => app.synth()).toThrow(
      /\[variable-flow\] token-hash: variable "grant" is read at policies\/fragments\/token-hash\.xml line 6 \(<set-variable>\) before anything in the pipeline of mcp sets it/,
    );
    expect(existsSync(tfJson)).toBe(false);
  });

  it("fails synth on a cache key that no record layout of policies/contract.ts declares", () => {
    const lookup = `<base />\n<cache-lookup-value key="oauth:grants:1" default-value="none" variable-name="seen" />\n<set-header name="X-Seen" exists-action="override"><value>@((string)context.Variables["seen"])</value></set-header>`;
    const { app, checks, tfJson } = stackWith(() => withXml(cleanPolicySet(), "global", policiesXml({ inbound: lookup })));
    expect(() => app.synth()).toThrow(/\[cache-records\] global: the cache key at policies\/global\.xml line 4 \(<cache-lookup-value>\) starts with "oauth:grants:1", which no record layout of policies\/contract\.ts declares/);
    expect(checks.violations.map((v) => v.rule)).toEqual(["cache-records"]);
    expect(existsSync(tfJson)).toBe(false);
  });

  it("fails synth on a fragment whose header does not say what it reads, sets and answers", () => {
    const set = () => withXml(cleanPolicySet(), "oauth-cors", fragmentXml(`  <set-header name="X-A" exists-action="override"><value>a</value></set-header>`));
    const { app, checks, tfJson } = stackWith(set, { rules: [fragmentContracts] });
    expect(() => app.synth()).toThrow(/\[fragment-contracts\] oauth-cors: policies\/fragments\/oauth-cors\.xml: the header has no "Reads:" line/);
    expect(checks.violations.map((v) => v.rule)).toEqual(["fragment-contracts", "fragment-contracts", "fragment-contracts"]);
    expect(existsSync(tfJson)).toBe(false);
  });

  it("collects the policy set once, at the first visit, however many constructs it visits", () => {
    let calls = 0;
    const { stack } = stackWith(() => {
      calls++;
      return cleanPolicySet();
    });
    expect(calls).toBe(0);
    Testing.synth(stack);
    expect(calls).toBe(1);
  });

  it("runs only the rules it is given", () => {
    const set = withNamedValues(brokenSet(), [...brokenSet().namedValues, { name: "spare", secret: false }]);
    const { stack, checks } = stackWith(() => set, { rules: [namedValuesUsed] });
    Testing.synth(stack);
    expect(checks.violations.map((v) => v.rule)).toEqual(["named-values-used"]);
  });

  it("fails synth with a clear message when the policy set cannot be collected", () => {
    const { app } = stackWith(() => {
      throw new Error("policies/missing.xml: no such file");
    });
    expect(() => app.synth()).toThrow(/\[policy-set\] \*: could not collect the policy set: policies\/missing\.xml: no such file/);
  });
});

describe("formatViolations", () => {
  it("prints one line per violation", () => {
    expect(
      formatViolations([
        { rule: "a-rule", document: "doc", message: "bad" },
        { rule: "b-rule", document: "*", message: "worse" },
      ]),
    ).toBe("[a-rule] doc: bad\n[b-rule] *: worse");
  });

  it("says so when there is nothing to report", () => {
    expect(formatViolations([])).toBe("policy checks: no violations");
  });
});
