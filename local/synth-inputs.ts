/**
 * What a synth reads, as one fingerprint: the configuration variables (config/ CONFIG_VARIABLES), the
 * contents of the platform file MCP_PLATFORM_CONFIG names, and the name, size and modification time
 * of every source file. `npm run local` records it beside cdk.tf.json after synthesizing and
 * synthesizes again whenever it differs, so `npm run synth` followed by
 * `MCP_PLATFORM_CONFIG=other.json npm run local` runs the configuration asked for, not the one on disk.
 * A cdk.tf.json without a fingerprint (written by `npm run synth` / `cdktf synth`) counts as different.
 */
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { CONFIG_VARIABLES } from "../config/config.js";

/** The folders and files a synth is built from, relative to the project folder. */
export const SYNTH_SOURCES = ["main.ts", "stack", "constructs", "policies", "config", "mcp-app", "vocabulary", "apim-policy"];

/** The fingerprint file for a cdk.tf.json: beside it, in cdktf.out (never committed). */
export function fingerprintPath(tfPath: string): string {
  return join(dirname(tfPath), "local-synth-inputs.sha256");
}

function sourceLines(path: string, out: string[]): void {
  if (!existsSync(path)) return;
  const st = statSync(path);
  if (!st.isDirectory()) {
    out.push(`${path} ${st.size} ${st.mtimeMs}`);
    return;
  }
  for (const f of readdirSync(path).sort()) {
    if (f === "node_modules" || f === "__tests__") continue;
    sourceLines(join(path, f), out);
  }
}

/** The fingerprint of the synth inputs for `env`, sources read under `root`. */
export function synthInputsFingerprint(env: Record<string, string | undefined>, root: string = process.cwd()): string {
  const hash = createHash("sha256");
  for (const name of [...CONFIG_VARIABLES].sort()) {
    const value = env[name];
    // Empty counts as unset, as loadConfig reads it.
    hash.update(`env ${name}=${value === undefined || value === "" ? "\u0000unset" : JSON.stringify(value)}\n`);
  }
  const platformFile = env.MCP_PLATFORM_CONFIG;
  if (platformFile) {
    const file = resolve(root, platformFile);
    hash.update(`platform ${file}\n`);
    hash.update(existsSync(file) && statSync(file).isFile() ? readFileSync(file) : "\u0000missing");
    hash.update("\n");
  }
  const lines: string[] = [];
  for (const source of SYNTH_SOURCES) sourceLines(join(root, source), lines);
  hash.update(lines.join("\n"));
  return hash.digest("hex");
}

/**
 * Why cdk.tf.json at `tfPath` must be synthesized again for these inputs, or undefined when the
 * recorded fingerprint matches.
 */
export function synthNeeded(tfPath: string, fingerprint: string): string | undefined {
  if (!existsSync(tfPath)) return "No synthesized config yet";
  const file = fingerprintPath(tfPath);
  if (!existsSync(file)) return `${tfPath} was not synthesized by npm run local (no record of its inputs)`;
  if (readFileSync(file, "utf8").trim() !== fingerprint) return "The configuration (environment, platform file or sources) changed since the last synth";
  return undefined;
}

/** Records the fingerprint the cdk.tf.json at `tfPath` was synthesized from. */
export function recordSynthInputs(tfPath: string, fingerprint: string): void {
  writeFileSync(fingerprintPath(tfPath), `${fingerprint}\n`);
}
