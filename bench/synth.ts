/**
 * `npm run bench:synth`: wall time and peak memory of synthesizing the full stack (one MCP server),
 * the full stack with 10 MCP servers (the sample and 9 url backends), and a one-resource stack that
 * imports the provider the same way, each in fresh processes, alternating, in one run.
 * Targets: the full stack within 2x the one-resource stack and under 300 MB peak; 10 servers within
 * 1.5x the time and 1.5x the peak memory of one server; 50 servers (5 scopes and 20 tools each) within
 * 2x the time and 2x the peak memory of one server.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const RUNS = Number(process.env.BENCH_RUNS ?? 9);
const worker = join(import.meta.dirname, "synth-worker.ts");
// One MCP bundle folder for the whole run: the warm-up builds it, later full synths reuse it.
const buildDir = mkdtempSync(join(tmpdir(), "bench-synth-build-"));

interface Sample {
  wallMs: number;
  synthMs: number;
  maxRssKb: number;
}

type Kind = "full" | "ten" | "fifty" | "one";

function once(kind: Kind): Sample {
  const started = performance.now();
  const run = spawnSync(process.execPath, ["--import", "tsx", worker, kind], {
    encoding: "utf8",
    cwd: join(import.meta.dirname, ".."),
    env: { ...process.env, BENCH_BUILD_DIR: buildDir },
  });
  const wallMs = performance.now() - started;
  if (run.status !== 0) throw new Error(`synth worker "${kind}" failed:\n${run.stderr}`);
  const line = run.stdout.trim().split("\n").at(-1) ?? "";
  const { synthMs, maxRssKb } = JSON.parse(line) as { synthMs: number; maxRssKb: number };
  return { wallMs, synthMs, maxRssKb };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

function summarize(samples: Sample[]) {
  return {
    wallMs: median(samples.map((s) => s.wallMs)),
    synthMs: median(samples.map((s) => s.synthMs)),
    peakMb: Math.max(...samples.map((s) => s.maxRssKb)) / 1024,
  };
}

// Warm the file system cache, tsx's transform cache and the MCP bundle, then alternate the three
// kinds so that drift in the machine's speed falls on all alike.
once("one");
once("full");
once("ten");
once("fifty");
const samples: Record<Kind, Sample[]> = { one: [], full: [], ten: [], fifty: [] };
for (let i = 0; i < RUNS; i++) {
  samples.one.push(once("one"));
  samples.full.push(once("full"));
  samples.ten.push(once("ten"));
  samples.fifty.push(once("fifty"));
}
const one = summarize(samples.one);
const full = summarize(samples.full);
const ten = summarize(samples.ten);
const fifty = summarize(samples.fifty);
const ratio = full.wallMs / one.wallMs;
const tenTime = ten.wallMs / full.wallMs;
const tenMemory = ten.peakMb / full.peakMb;
const fiftyTime = fifty.wallMs / full.wallMs;
const fiftyMemory = fifty.peakMb / full.peakMb;
const rows = [
  ["stack", "process wall (median)", "synth only (median)", "peak RSS (max)"],
  ["one resource (baseline)", `${one.wallMs.toFixed(0)} ms`, `${one.synthMs.toFixed(0)} ms`, `${one.peakMb.toFixed(0)} MB`],
  ["full topology, 1 MCP server", `${full.wallMs.toFixed(0)} ms`, `${full.synthMs.toFixed(0)} ms`, `${full.peakMb.toFixed(0)} MB`],
  ["full topology, 10 MCP servers", `${ten.wallMs.toFixed(0)} ms`, `${ten.synthMs.toFixed(0)} ms`, `${ten.peakMb.toFixed(0)} MB`],
  ["full topology, 50 MCP servers x 20 tools x 5 scopes", `${fifty.wallMs.toFixed(0)} ms`, `${fifty.synthMs.toFixed(0)} ms`, `${fifty.peakMb.toFixed(0)} MB`],
];
const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
console.log(`Synth benchmark, ${RUNS} runs each, alternating (fresh process per run, after a warm-up that also builds the MCP bundle), Node ${process.version}`);
for (const row of rows) console.log(row.map((cell, i) => cell.padEnd(widths[i])).join("  "));
const timeOk = ratio <= 2;
const memoryOk = full.peakMb < 300;
const tenTimeOk = tenTime <= 1.5;
const tenMemoryOk = tenMemory <= 1.5;
const fiftyTimeOk = fiftyTime <= 2;
const fiftyMemoryOk = fiftyMemory <= 2;
console.log(`\nfull / one wall time: ${ratio.toFixed(2)}x (target <= 2x): ${timeOk ? "met" : "NOT met"}`);
console.log(`full peak memory: ${full.peakMb.toFixed(0)} MB (target < 300 MB): ${memoryOk ? "met" : "NOT met"}`);
console.log(`10 servers / 1 server wall time: ${tenTime.toFixed(2)}x (synth only ${(ten.synthMs / full.synthMs).toFixed(2)}x) (target <= 1.5x): ${tenTimeOk ? "met" : "NOT met"}`);
console.log(`10 servers / 1 server peak memory: ${tenMemory.toFixed(2)}x (target <= 1.5x): ${tenMemoryOk ? "met" : "NOT met"}`);
console.log(`50 servers / 1 server wall time: ${fiftyTime.toFixed(2)}x (synth only ${(fifty.synthMs / full.synthMs).toFixed(2)}x) (target <= 2x): ${fiftyTimeOk ? "met" : "NOT met"}`);
console.log(`50 servers / 1 server peak memory: ${fiftyMemory.toFixed(2)}x (target <= 2x): ${fiftyMemoryOk ? "met" : "NOT met"}`);
process.exitCode = timeOk && memoryOk && tenTimeOk && tenMemoryOk && fiftyTimeOk && fiftyMemoryOk ? 0 : 1;
