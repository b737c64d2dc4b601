/**
 * `npm run policy -- METHOD PATH [--statements]`: prints the effective pipeline of one endpoint of
 * the gateway as it would be deployed, e.g. `npm run policy -- POST /token`, `npm run policy -- POST
 * /mcp`, or with MCP_PLATFORM_CONFIG set, `npm run policy -- POST /tickets/mcp`.
 *
 * It synthesizes the stack (main.ts, with the environment as it is) into a temporary folder, reads
 * the policies from that cdk.tf.json and shows, per section, each statement with the scope it was
 * written in and each fragment where it is included, in order, with its header's Reads, Sets and
 * Answers (local/endpoint-pipeline.ts). `--statements` also lists every statement of each fragment.
 *
 * Exit codes: 0 printed; 1 the stack does not synthesize (bad configuration, a broken policy);
 * 2 a usage error or an unknown endpoint (the message lists the endpoints that exist).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { loadGatewayConfig, readTerraformJson } from "./gateway/config.js";
import { endpointPipeline, UnknownEndpointError } from "./endpoint-pipeline.js";

const USAGE = `Usage: npm run policy -- METHOD PATH [--statements]
  METHOD       an HTTP method (GET, POST, OPTIONS, ...)
  PATH         the endpoint's path (/token, /mcp, /.well-known/oauth-protected-resource/mcp) or its https:// URL
  --statements also list every statement of each fragment, not only its header
The stack is synthesized from the environment as it is (MCP_PLATFORM_CONFIG and the settings of README.md).`;

export interface PolicyArguments {
  readonly method: string;
  readonly path: string;
  readonly statements: boolean;
}

export class UsageError extends Error {
  constructor(message: string) {
    super(`${message}\n${USAGE}`);
    this.name = "UsageError";
  }
}

/** Reads the command line (without node and the script). */
export function parseArguments(argv: readonly string[]): PolicyArguments {
  const flags = argv.filter((a) => a.startsWith("--"));
  const unknown = flags.filter((f) => f !== "--statements");
  if (unknown.length > 0) throw new UsageError(`unknown option ${unknown.map((f) => JSON.stringify(f)).join(", ")}`);
  const words = argv.filter((a) => !a.startsWith("--"));
  if (words.length !== 2) throw new UsageError(`expected a method and a path, got ${words.length === 0 ? "nothing" : words.map((w) => JSON.stringify(w)).join(" ")}`);
  const [method, path] = words as [string, string];
  if (!/^[A-Za-z]+$/.test(method)) throw new UsageError(`${JSON.stringify(method)} is not an HTTP method (expected letters only, e.g. POST)`);
  if ([...path].some((c) => c.charCodeAt(0) <= 0x20 || c.charCodeAt(0) === 0x7f)) throw new UsageError(`${JSON.stringify(path)} holds spaces or control characters; a path is written as sent (percent-encoded)`);
  if (/^https?:\/\//i.test(path)) {
    if (!URL.canParse(path)) throw new UsageError(`${JSON.stringify(path)} is not a URL`);
  } else if (!path.startsWith("/")) throw new UsageError(`${JSON.stringify(path)} is not a path: expected one starting with "/" (e.g. /token) or an https:// URL`);
  return { method: method.toUpperCase(), path, statements: flags.includes("--statements") };
}

/** Runs the command; returns the exit code. */
export async function runPolicyCommand(argv: readonly string[], io: { out: (s: string) => void; err: (s: string) => void }): Promise<number> {
  let args: PolicyArguments;
  try {
    args = parseArguments(argv);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    io.err(e.message);
    return 2;
  }
  const dir = mkdtempSync(join(tmpdir(), "mcp-policy-"));
  try {
    let stackDir: string;
    try {
      const { synthesize } = await import("../main.js");
      ({ stackDir } = await synthesize({ outdir: join(dir, "cdktf.out") }));
    } catch (e) {
      io.err(`The stack does not synthesize, so there is no pipeline to show.\n${(e as Error).message}`);
      return 1;
    }
    const tf = readTerraformJson(join(stackDir, "cdk.tf.json"));
    // Values only a deployment knows (Key Vault secrets, computed ids) stay as their Terraform references.
    const config = loadGatewayConfig(tf, {}, { onUnresolved: (key) => `\${${key}}` });
    try {
      io.out(endpointPipeline(config, args.method, args.path, { statements: args.statements, policiesRoot: resolve(import.meta.dirname, "..") }));
      return 0;
    } catch (e) {
      if (!(e instanceof UnknownEndpointError)) throw e;
      io.err(e.message);
      return 2;
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const isEntryPoint = process.argv[1] !== undefined && /local[\\/]policy\.[cm]?[jt]s$/.test(process.argv[1]);
if (isEntryPoint) {
  process.exitCode = await runPolicyCommand(process.argv.slice(2), { out: (s) => process.stdout.write(s), err: (s) => process.stderr.write(`${s}\n`) });
}
