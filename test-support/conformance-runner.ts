/**
 * Runs the official MCP conformance suite (`@modelcontextprotocol/conformance`, its `conformance` CLI) against an
 * MCP server URL, one child process per server scenario, and reads back the checks it writes (`checks.json`).
 *
 *   const runs = await runServerScenarios("http://127.0.0.1:8000/mcp", ["server-initialize", "ping"], { specVersion: "2025-11-25" });
 *   for (const run of runs.values()) console.log(run.scenario, scenarioProblems(run));
 *
 * The suite needs Node.js 22 (see conformance-node.ts for where that binary comes from).
 *
 * Every run is bounded: the child is killed after `timeoutMs` and the run reports the timeout. Results go to a
 * private temporary folder that is removed afterwards. Nothing leaves the machine: the suite's client only talks
 * to the URL it is given.
 */
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { createRequire } from "node:module";
import { availableParallelism, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { conformanceNode } from "./conformance-node.js";

/** One check as the suite records it (src/types.ts of the suite). */
export interface ConformanceCheck {
  readonly id: string;
  readonly name: string;
  readonly description: string;
  readonly status: "SUCCESS" | "FAILURE" | "WARNING" | "SKIPPED" | "INFO";
  readonly errorMessage?: string;
  readonly details?: unknown;
}

export interface ScenarioRun {
  readonly scenario: string;
  /** The protocol revision the suite ran the scenario at (its `--spec-version`); undefined: the suite's default. */
  readonly specVersion?: string;
  /** The CLI's exit code (0 = no FAILURE check); `null` when it was killed. */
  readonly exitCode: number | null;
  readonly timedOut: boolean;
  /** Checks from the suite's checks.json; empty when the CLI wrote none. */
  readonly checks: readonly ConformanceCheck[];
  /** The end of the CLI's stdout + stderr (for failure messages). */
  readonly outputTail: string;
  readonly durationMs: number;
}

export interface RunOptions {
  /** Longest time one scenario may take before its process is killed. @default 20000 */
  readonly timeoutMs?: number;
  /**
   * The protocol revision to run at (`--spec-version`): `2025-11-25` uses the initialize handshake and sessions if
   * the server offers them, `2026-07-28` the per-request `_meta` envelope. @default the suite's choice per scenario
   */
  readonly specVersion?: string;
  /** Most scenario processes at once (runServerScenarios). @default os.availableParallelism() */
  readonly concurrency?: number;
}

const DEFAULT_TIMEOUT_MS = 20_000;
const OUTPUT_TAIL_CHARS = 2_000;

/** Absolute path of the suite's CLI entry point (its package.json `bin.conformance`). */
export function conformanceCliPath(): string {
  const require = createRequire(import.meta.url);
  const packageJsonPath = require.resolve("@modelcontextprotocol/conformance/package.json");
  const manifest = JSON.parse(fs.readFileSync(packageJsonPath, "utf8")) as { bin?: { conformance?: string } };
  const bin = manifest.bin?.conformance;
  if (typeof bin !== "string") throw new Error(`${packageJsonPath} declares no "bin.conformance" entry`);
  return join(dirname(packageJsonPath), bin);
}

interface Exec {
  readonly exitCode: number | null;
  readonly timedOut: boolean;
  readonly output: string;
}

/** Runs the CLI with `args`, killing it after `timeoutMs`. */
function runCli(args: readonly string[], timeoutMs: number): Promise<Exec> {
  return new Promise((resolve, reject) => {
    const child = spawn(conformanceNode().path, [conformanceCliPath(), ...args], {
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, NO_COLOR: "1", FORCE_COLOR: "0" },
    });
    let output = "";
    const collect = (chunk: Buffer) => {
      output = (output + chunk.toString("utf8")).slice(-4 * OUTPUT_TAIL_CHARS);
    };
    child.stdout.on("data", collect);
    child.stderr.on("data", collect);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGKILL");
    }, timeoutMs);
    child.once("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once("close", (code) => {
      clearTimeout(timer);
      resolve({ exitCode: code, timedOut, output });
    });
  });
}

export interface OfferedScenario {
  readonly name: string;
  /** The protocol revisions the suite runs it at (`extension` for off-timeline extension scenarios). */
  readonly specVersions: readonly string[];
}

/** Server scenarios the installed suite offers, with their revisions (`conformance list --server`). */
export async function listServerScenarios(timeoutMs = DEFAULT_TIMEOUT_MS): Promise<OfferedScenario[]> {
  const exec = await runCli(["list", "--server"], timeoutMs);
  if (exec.exitCode !== 0) {
    throw new Error(`conformance list --server ${exec.timedOut ? `timed out after ${timeoutMs} ms` : `exited with ${exec.exitCode}`}: ${exec.output.slice(-OUTPUT_TAIL_CHARS)}`);
  }
  const offered = [...exec.output.matchAll(/^\s+- (\S+)(?: \[([^\]]*)\])?/gm)].map((m) => ({ name: m[1]!, specVersions: (m[2] ?? "").split(",").filter((v) => v !== "") }));
  if (offered.length === 0) throw new Error(`conformance list --server printed no scenarios: ${exec.output.slice(-OUTPUT_TAIL_CHARS)}`);
  return offered;
}

/** Runs one server scenario of the suite against `serverUrl`. */
export async function runServerScenario(serverUrl: string, scenario: string, options: RunOptions = {}): Promise<ScenarioRun> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const outputDir = await mkdtemp(join(tmpdir(), "mcp-conformance-"));
  const started = performance.now();
  try {
    const exec = await runCli(
      ["server", "--url", serverUrl, "--scenario", scenario, "--output-dir", outputDir, ...(options.specVersion !== undefined ? ["--spec-version", options.specVersion] : [])],
      timeoutMs,
    );
    const prefix = `server-${scenario}-`;
    const resultDir = (await readdir(outputDir)).find((name) => name.startsWith(prefix));
    let checks: ConformanceCheck[] = [];
    if (resultDir !== undefined) {
      try {
        checks = JSON.parse(await readFile(join(outputDir, resultDir, "checks.json"), "utf8")) as ConformanceCheck[];
      } catch {
        checks = [];
      }
    }
    return {
      scenario,
      ...(options.specVersion !== undefined ? { specVersion: options.specVersion } : {}),
      exitCode: exec.exitCode,
      timedOut: exec.timedOut,
      checks,
      outputTail: exec.output.slice(-OUTPUT_TAIL_CHARS),
      durationMs: Math.round(performance.now() - started),
    };
  } finally {
    await rm(outputDir, { recursive: true, force: true });
  }
}

/**
 * Runs `scenarios` against `serverUrl`, one process each, at most `concurrency` at a time (each process loads the
 * whole suite; more processes than cores only makes every one of them slower). Keyed by scenario name.
 */
export async function runServerScenarios(serverUrl: string, scenarios: readonly string[], options: RunOptions = {}): Promise<Map<string, ScenarioRun>> {
  const concurrency = options.concurrency ?? availableParallelism();
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new Error(`concurrency=${concurrency} is not valid: expected an integer of at least 1`);
  const runs = new Map<string, ScenarioRun>();
  const queue = [...scenarios];
  const worker = async () => {
    for (let scenario = queue.shift(); scenario !== undefined; scenario = queue.shift()) {
      runs.set(scenario, await runServerScenario(serverUrl, scenario, options));
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, queue.length) }, worker));
  return new Map(scenarios.map((scenario) => [scenario, runs.get(scenario)!]));
}

function showDetails(details: unknown): string {
  if (details === undefined) return "";
  const text = JSON.stringify(details);
  return `; details: ${text.length > 600 ? `${text.slice(0, 600)}…` : text}`;
}

/**
 * Why `run` does not count as a pass, one line each naming the scenario; empty when it passed. A pass is: the CLI
 * finished in time, wrote at least one SUCCESS check, and no FAILURE or WARNING check other than those listed in
 * `notApplicableChecks` (by id); each listed check must still be there and still fail (else the list is stale). Exit
 * code 0 is required unless a listed check failed (the CLI then exits 1).
 */
export function scenarioProblems(run: ScenarioRun, notApplicableChecks: Readonly<Record<string, string>> = {}): string[] {
  const problems: string[] = [];
  const name = run.specVersion === undefined ? run.scenario : `${run.scenario} (${run.specVersion})`;
  const failed = (check: ConformanceCheck) => check.status === "FAILURE" || check.status === "WARNING";
  if (run.timedOut) problems.push(`${name}: did not finish within the time limit (killed after ${run.durationMs} ms)`);
  for (const check of run.checks) {
    if (failed(check) && !Object.hasOwn(notApplicableChecks, check.id)) {
      problems.push(`${name}: ${check.status} ${check.id} (${check.description}): ${check.errorMessage ?? "no error message"}${showDetails(check.details)}`);
    }
  }
  if (!run.timedOut && run.checks.length > 0) {
    for (const id of Object.keys(notApplicableChecks)) {
      const listed = run.checks.filter((check) => check.id === id);
      if (listed.length === 0 || !listed.some(failed)) {
        problems.push(`${name}: check ${id} is listed as not applicable but ${listed.length === 0 ? "the suite no longer records it" : `it now reports ${listed.map((c) => c.status).join(", ")}`}: remove it from the list`);
      }
    }
  }
  if (run.checks.length === 0) {
    problems.push(`${name}: the suite recorded no checks; CLI output: ${run.outputTail.trim()}`);
  } else if (problems.length === 0 && !run.checks.some((check) => check.status === "SUCCESS")) {
    problems.push(`${name}: no SUCCESS check (statuses: ${run.checks.map((check) => `${check.id}=${check.status}`).join(", ")})`);
  }
  const listedFailed = run.checks.some((check) => failed(check) && Object.hasOwn(notApplicableChecks, check.id));
  if (!run.timedOut && run.exitCode !== 0 && problems.length === 0 && !listedFailed) {
    problems.push(`${name}: the CLI exited with ${run.exitCode}; output: ${run.outputTail.trim()}`);
  }
  return problems;
}
