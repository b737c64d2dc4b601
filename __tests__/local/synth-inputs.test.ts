/**
 * local/synth-inputs.ts: the fingerprint of what a synth reads changes with every configuration
 * variable, with the contents of the platform file MCP_PLATFORM_CONFIG names and with the sources,
 * and a cdk.tf.json without a recorded fingerprint (plain `npm run synth`) needs a synth.
 */
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { CONFIG_VARIABLES } from "../../config/config.js";
import { fingerprintPath, recordSynthInputs, synthInputsFingerprint, synthNeeded } from "../../local/synth-inputs.js";

let root: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), "synth-inputs-"));
  mkdirSync(join(root, "constructs"));
  writeFileSync(join(root, "constructs", "a.ts"), "export const a = 1;\n");
  writeFileSync(join(root, "platform.json"), '{"servers":[]}');
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

describe("synthInputsFingerprint", () => {
  it("is the same for the same inputs, and empty variables count as unset", () => {
    expect(synthInputsFingerprint({}, root)).toBe(synthInputsFingerprint({ APIM_SKU: "" }, root));
    expect(synthInputsFingerprint({ UNRELATED: "x" }, root)).toBe(synthInputsFingerprint({}, root));
  });

  it.each(CONFIG_VARIABLES)("changes with %s", (name) => {
    expect(synthInputsFingerprint({ [name]: "some-value" }, root)).not.toBe(synthInputsFingerprint({}, root));
  });

  it("changes with the contents of the platform file, not only its name", () => {
    const env = { MCP_PLATFORM_CONFIG: join(root, "platform.json") };
    const before = synthInputsFingerprint(env, root);
    writeFileSync(join(root, "platform.json"), '{"servers":[{"name":"tickets"}]}');
    expect(synthInputsFingerprint(env, root)).not.toBe(before);
    rmSync(join(root, "platform.json"));
    expect(synthInputsFingerprint(env, root)).not.toBe(before);
  });

  it("changes when a source file changes or is added", () => {
    const before = synthInputsFingerprint({}, root);
    utimesSync(join(root, "constructs", "a.ts"), new Date(2001, 1, 1), new Date(2001, 1, 1));
    const touched = synthInputsFingerprint({}, root);
    expect(touched).not.toBe(before);
    writeFileSync(join(root, "constructs", "b.ts"), "");
    expect(synthInputsFingerprint({}, root)).not.toBe(touched);
  });
});

describe("synthNeeded", () => {
  it("names a missing cdk.tf.json, one synthesized elsewhere, and changed inputs; nothing when they match", () => {
    const tf = join(root, "cdk.tf.json");
    expect(synthNeeded(tf, "f1")).toMatch(/No synthesized config/);
    writeFileSync(tf, "{}");
    expect(synthNeeded(tf, "f1")).toMatch(/not synthesized by npm run local/);
    recordSynthInputs(tf, "f1");
    expect(fingerprintPath(tf)).toBe(join(root, "local-synth-inputs.sha256"));
    expect(synthNeeded(tf, "f1")).toBeUndefined();
    expect(synthNeeded(tf, "f2")).toMatch(/changed since the last synth/);
  });
});
