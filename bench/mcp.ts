/**
 * `npm run bench:mcp`: this MCP server against tools-only servers written the SDK's documented way, side by side in
 * one run, in both protocol eras (autocannon, `tools/call get_weather`).
 *
 *   SDK v2     the SDK v2 idiom (its Hono guide): `createMcpHonoApp()` + `createMcpHandler(() => new McpServer(...))`
 *              with the same four tools (same zod schemas, annotations and handlers) registered per request, served
 *              by @hono/node-server; no authentication. Both eras.
 *   SDK v1     the SDK v1 idiom (`@modelcontextprotocol/sdk` 1.x, its stateless Streamable HTTP example):
 *              `createMcpExpressApp()` and, per request, a new `McpServer` with the same four tools and a new
 *              `StreamableHTTPServerTransport({ sessionIdGenerator: undefined })`; no authentication. 2025 era only
 *              (v1 does not implement 2026-07-28).
 *   this       this server (mcp-app/server.ts) at its defaults: Entra authentication ON with a valid locally minted
 *              token (JWKS from a localhost stand-in), JSON answers; and, for reference, the same with auth off.
 *
 * Eras: `2025` = stateless 2025-11-25 requests (`MCP-Protocol-Version: 2025-11-25`, no envelope); `2026` =
 * 2026-07-28 requests (`_meta` envelope, `Mcp-Method`/`Mcp-Name` headers). Per era, each server runs in its own child
 * process (node --expose-gc) and serves N calls (default 100,000) at C connections, split into R rounds taken in turns
 * (paired, so that a busy shared machine's drift falls on all servers alike). Printed per row: median requests/s, the
 * median per-round ratios to the baselines, p99 latency, server CPU time per request, RSS (and heap) after forced GCs
 * before the first and after the last round, and the RSS growth.
 *
 * Targets (this server with auth on): >= 1.6x the SDK v2 idiom's requests/s in the 2026-07-28 era, >= 2x the SDK v1
 * idiom's in the 2025 era, and an RSS growth over the N calls of at most 1.3x (after/before) in each era.
 * Usage: npm run bench:mcp [-- --calls 100000 --connections 10 --rounds 10]
 */
import { fork, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import autocannon from "autocannon";
import { serve } from "@hono/node-server";
import type { Context } from "hono";
import { createMcpHonoApp } from "@modelcontextprotocol/hono";
import { createMcpHandler, McpServer } from "@modelcontextprotocol/server";
import { McpServer as McpServerV1 } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StreamableHTTPServerTransport as StreamableHTTPServerTransportV1 } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { createMcpExpressApp } from "@modelcontextprotocol/sdk/server/express.js";
import type { IncomingMessage, Server as HttpServer, ServerResponse } from "node:http";
import { loadConfig } from "../mcp-app/config.js";
import { silentLogger } from "../mcp-app/logging.js";
import { createApp } from "../mcp-app/server.js";
import { tools } from "../mcp-app/tools/index.js";
import { toCallToolResult } from "../mcp-app/tools/tool.js";
import { startEntraStandIn } from "../local/entra/stand-in.js";

type Kind = "sdk-v2" | "sdk-v1" | "this-auth" | "this-noauth";
type Baseline = "sdk-v2" | "sdk-v1";
type Era = "2025" | "2026";

const META = {
  "io.modelcontextprotocol/protocolVersion": "2026-07-28",
  "io.modelcontextprotocol/clientInfo": { name: "bench", version: "1.0.0" },
  "io.modelcontextprotocol/clientCapabilities": {},
};
const ARGS = { name: "get_weather", arguments: { city: "Lisbon" } };
const BODIES: Record<Era, string> = {
  "2025": JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/call", params: ARGS }),
  "2026": JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/call", params: { ...ARGS, _meta: META } }),
};
const ERA_HEADERS: Record<Era, Record<string, string>> = {
  "2025": { "mcp-protocol-version": "2025-11-25" },
  "2026": { "mcp-protocol-version": "2026-07-28", "mcp-method": "tools/call", "mcp-name": "get_weather" },
};
const BASE_HEADERS = { "content-type": "application/json", accept: "application/json, text/event-stream" };

// ---------------------------------------------------------------------------------------------- child side
/** The SDK v2 idiom's per-request factory: the same tools, registered on a new McpServer for every request. */
function sdkV2IdiomServer(): McpServer {
  const server = new McpServer({ name: "sdk-v2-idiom", version: "1.0.0" });
  for (const tool of tools) server.registerTool(tool.name, toolConfig(tool), toolHandler(tool));
  return server;
}

/** The SDK v1 idiom's per-request factory: the same tools (v1 takes the same zod 4 schemas), on a v1 McpServer. */
function sdkV1IdiomServer(): McpServerV1 {
  const server = new McpServerV1({ name: "sdk-v1-idiom", version: "1.0.0" });
  for (const tool of tools) server.registerTool(tool.name, toolConfig(tool), toolHandler(tool) as never);
  return server;
}

type AnyTool = (typeof tools)[number];
const toolConfig = (tool: AnyTool) => ({
  title: tool.title,
  description: tool.description,
  annotations: tool.annotations,
  inputSchema: tool.inputSchema,
  outputSchema: tool.outputSchema,
});
function toolHandler(tool: AnyTool) {
  const text = tool.text ? (s: unknown) => tool.text!(s as never) : (s: unknown) => JSON.stringify(s);
  return async (input: unknown) => toCallToolResult(await tool.run(input as never, { caller: { kind: "anonymous" } }), text);
}

/** Starts `kind` on 127.0.0.1, a free port; calls `listening` with the port. */
function listen(kind: Kind, env: Record<string, string>, listening: (port: number) => void): HttpServer {
  switch (kind) {
    case "sdk-v1": {
      // The v1 README's stateless Streamable HTTP server: Express (createMcpExpressApp parses JSON bodies), and a new
      // server and transport per request, both closed when the response closes.
      const app = createMcpExpressApp();
      app.post("/mcp", async (req: IncomingMessage & { body?: unknown }, res: ServerResponse) => {
        const server = sdkV1IdiomServer();
        try {
          const transport = new StreamableHTTPServerTransportV1({ sessionIdGenerator: undefined });
          res.on("close", () => {
            void transport.close();
            void server.close();
          });
          await server.connect(transport);
          await transport.handleRequest(req, res, req.body);
        } catch {
          if (!res.headersSent) res.writeHead(500, { "content-type": "application/json" }).end(JSON.stringify({ jsonrpc: "2.0", error: { code: -32603, message: "Internal server error" }, id: null }));
        }
      });
      const server: HttpServer = app.listen(0, "127.0.0.1", () => listening((server.address() as { port: number }).port));
      return server;
    }
    case "sdk-v2": {
      const handler = createMcpHandler(() => sdkV2IdiomServer());
      const app = createMcpHonoApp();
      app.all("/mcp", (c: Context) => handler.fetch(c.req.raw, { parsedBody: c.get("parsedBody") }));
      return serveFetch(app.fetch, listening);
    }
    case "this-auth":
      return serveFetch(createApp(loadConfig({ ...env, HOST: "127.0.0.1" }), { logger: silentLogger }).fetch, listening);
    case "this-noauth":
      return serveFetch(createApp(loadConfig({ MCP_AUTH: "off" }), { logger: silentLogger }).fetch, listening);
  }
}

function serveFetch(fetch: (request: Request, env?: unknown) => Response | Promise<Response>, listening: (port: number) => void): HttpServer {
  return serve({ fetch, hostname: "127.0.0.1", port: 0 }, (info) => listening(info.port)) as HttpServer;
}

async function gcTwice(): Promise<void> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error("run with node --expose-gc (npm run bench:mcp does)");
  for (let i = 0; i < 3; i++) {
    gc();
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  gc();
}

function runChild(kind: Kind, env: Record<string, string>): void {
  const server = listen(kind, env, (port) => process.send!({ port }));
  process.on("message", (message: { cmd: string }) => {
    if (message.cmd === "memory") {
      void gcTwice().then(() => {
        const { rss, heapUsed } = process.memoryUsage();
        process.send!({ memory: { rss, heapUsed } });
      });
    }
    if (message.cmd === "cpu") {
      const { user, system } = process.cpuUsage();
      process.send!({ cpu: user + system });
    }
    if (message.cmd === "stop") server.close(() => process.exit(0));
  });
}

// --------------------------------------------------------------------------------------------- parent side
interface Memory {
  readonly rss: number;
  readonly heapUsed: number;
}

interface Child {
  readonly port: number;
  memory(): Promise<Memory>;
  /** CPU time used by the server process so far, microseconds. */
  cpu(): Promise<number>;
  stop(): Promise<void>;
}

function startChild(kind: Kind, env: Record<string, string>): Promise<Child> {
  const child: ChildProcess = fork(fileURLToPath(import.meta.url), ["--child", kind], {
    execArgv: ["--expose-gc", "--import", "tsx"],
    env: { ...process.env, BENCH_ENV: JSON.stringify(env) },
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const next = <T>(key: string) =>
    new Promise<T>((resolve) => {
      const onMessage = (message: Record<string, T>) => {
        if (key in message) {
          child.off("message", onMessage);
          resolve(message[key]!);
        }
      };
      child.on("message", onMessage);
    });
  const ask = <T>(cmd: string, key: string) => {
    const reply = next<T>(key);
    child.send({ cmd });
    return reply;
  };
  return next<number>("port").then((port) => ({
    port,
    memory: () => ask<Memory>("memory", "memory"),
    cpu: () => ask<number>("cpu", "cpu"),
    stop: () => {
      const exited = new Promise<void>((resolve) => child.on("exit", () => resolve()));
      child.send({ cmd: "stop" });
      return exited;
    },
  }));
}

interface Round {
  readonly rps: number;
  readonly p99: number;
  readonly requests: number;
  readonly bad: number;
  /** Server CPU time per request, microseconds. */
  readonly cpuPerRequest: number;
}

interface Row {
  readonly kind: Kind;
  readonly era: Era;
  readonly rounds: Round[];
  before: Memory;
  after: Memory;
}

async function load(port: number, headers: Record<string, string>, body: string, bound: { duration: number } | { amount: number }, connections: number) {
  // autocannon notices that `amount` calls are done only at its next sample tick (every sampleInt ms, 1 s by default),
  // and that wait counts in the duration: at 1 s a chunk of a few seconds is rounded up to whole seconds, to the cost
  // of the faster server. 10 ms ticks keep the duration within 10 ms of the last answer.
  const result = await autocannon({ url: `http://127.0.0.1:${port}/mcp`, method: "POST", headers, body, connections, pipelining: 1, sampleInt: 10, ...bound });
  // requests/s over the whole chunk (autocannon's per-second average is coarse for chunks of a few seconds)
  return { rps: result.requests.total / result.duration, p99: result.latency.p99, requests: result.requests.total, bad: result.non2xx + result.errors + result.timeouts };
}

async function checkAnswer(port: number, headers: Record<string, string>, body: string, label: string): Promise<void> {
  const response = await fetch(`http://127.0.0.1:${port}/mcp`, { method: "POST", headers, body });
  const text = await response.text();
  if (response.status !== 200 || !text.includes("Lisbon")) throw new Error(`${label} does not answer correctly: ${response.status} ${text.slice(0, 300)}`);
}

const median = (values: readonly number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};
const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(1);
const LABELS: Record<Kind, string> = {
  "sdk-v2": "SDK v2 idiom",
  "sdk-v1": "SDK v1 idiom",
  "this-auth": "this server (auth on)",
  "this-noauth": "this server (auth off)",
};

/**
 * One era: the servers run side by side (each in its own process, idle while another is loaded); the N calls
 * of each are split into `rounds` chunks, and the chunks are taken in turns, in an order that rotates every round,
 * so that the machine's drift falls on all of them. RSS/heap: before the first and after the last chunk.
 */
async function measureEra(era: Era, env: Record<string, string>, token: string, calls: number, connections: number, rounds: number): Promise<Row[]> {
  const kinds: Kind[] = era === "2025" ? ["sdk-v2", "sdk-v1", "this-auth", "this-noauth"] : ["sdk-v2", "this-auth", "this-noauth"];
  const headersOf = (kind: Kind) => ({ ...BASE_HEADERS, ...ERA_HEADERS[era], ...(kind === "this-auth" ? { authorization: `Bearer ${token}` } : {}) });
  const body = BODIES[era];
  const children = new Map<Kind, Child>();
  try {
    for (const kind of kinds) children.set(kind, await startChild(kind, env));
    const rows = new Map<Kind, Row>();
    for (const kind of kinds) {
      const child = children.get(kind)!;
      await checkAnswer(child.port, headersOf(kind), body, `${kind} (${era})`);
      await load(child.port, headersOf(kind), body, { duration: 3 }, connections); // warm-up: JIT, JWKS and token caches
      rows.set(kind, { kind, era, rounds: [], before: await child.memory(), after: { rss: 0, heapUsed: 0 } });
    }
    const chunk = Math.ceil(calls / rounds);
    for (let round = 0; round < rounds; round++) {
      for (let i = 0; i < kinds.length; i++) {
        const kind = kinds[(round + i) % kinds.length]!;
        const child = children.get(kind)!;
        const cpuBefore = await child.cpu();
        const result = await load(child.port, headersOf(kind), body, { amount: chunk }, connections);
        const cpuAfter = await child.cpu();
        rows.get(kind)!.rounds.push({ ...result, cpuPerRequest: (cpuAfter - cpuBefore) / result.requests });
      }
      process.stderr.write(`    ${era} era: round ${round + 1}/${rounds} done\n`);
    }
    for (const kind of kinds) rows.get(kind)!.after = await children.get(kind)!.memory();
    return kinds.map((kind) => rows.get(kind)!);
  } finally {
    for (const child of children.values()) await child.stop();
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { calls: { type: "string", default: "100000" }, connections: { type: "string", default: "10" }, rounds: { type: "string", default: "10" } },
  });
  const calls = Number(values.calls);
  const connections = Number(values.connections);
  const rounds = Number(values.rounds);
  if (!Number.isInteger(calls) || calls < 1000) throw new Error(`--calls ${values.calls} is not valid: expected an integer of at least 1000`);
  if (!Number.isInteger(connections) || connections < 1) throw new Error(`--connections ${values.connections} is not valid: expected an integer of at least 1`);
  if (!Number.isInteger(rounds) || rounds < 1 || rounds > calls / 100) throw new Error(`--rounds ${values.rounds} is not valid: expected an integer from 1 to calls/100`);
  const entra = await startEntraStandIn();
  const token = await entra.mint({ claims: { exp: entra.now() + 6 * 3600 } });
  const started = Date.now();
  const rows: Row[] = [];
  for (const era of ["2025", "2026"] as const) {
    process.stderr.write(`  ${era} era: ${calls} calls per server in ${rounds} rounds...\n`);
    rows.push(...(await measureEra(era, entra.env, token, calls, connections, rounds)));
  }
  await entra.close();

  const row = (kind: Kind, era: Era) => rows.find((r) => r.kind === kind && r.era === era);
  const rps = (r: Row) => median(r.rounds.map((x) => x.rps));
  /** Median over the rounds of this row's req/s divided by the baseline's in the same round (paired: drift cancels). */
  const ratio = (r: Row, baseline: Baseline): number | undefined => {
    const base = row(baseline, r.era);
    return base === undefined ? undefined : median(r.rounds.map((x, i) => x.rps / base.rounds[i]!.rps));
  };
  const growth = (r: Row) => r.after.rss / r.before.rss;
  const cell = (value: number | undefined) => (value === undefined ? "-" : value.toFixed(2));
  const lines = [
    "",
    `MCP server benchmark: Node ${process.version}, autocannon ${connections} connections, pipelining 1, ${calls} x tools/call get_weather per server and era, in ${rounds} rounds`,
    "",
    `${"server".padEnd(24)} ${"era".padEnd(5)} ${"req/s".padStart(7)} ${"x v2".padStart(6)} ${"x v1".padStart(6)} ${"p99 ms".padStart(7)} ${"CPU us/req".padStart(11)} ${"RSS MB before".padStart(14)} ${"after".padStart(7)} ${"growth".padStart(7)} ${"heap MB after".padStart(14)} ${"bad".padStart(4)}`,
    ...rows.map(
      (r) =>
        `${LABELS[r.kind].padEnd(24)} ${r.era.padEnd(5)} ${rps(r).toFixed(0).padStart(7)} ${cell(ratio(r, "sdk-v2")).padStart(6)} ${cell(ratio(r, "sdk-v1")).padStart(6)} ${String(median(r.rounds.map((x) => x.p99))).padStart(7)} ${median(r.rounds.map((x) => x.cpuPerRequest)).toFixed(0).padStart(11)} ${mb(r.before.rss).padStart(14)} ${mb(r.after.rss).padStart(7)} ${growth(r).toFixed(2).padStart(7)} ${mb(r.after.heapUsed).padStart(14)} ${String(r.rounds.reduce((n, x) => n + x.bad, 0)).padStart(4)}`,
    ),
    "",
    "req/s, p99 and CPU us/req (server process CPU time per request): medians over the rounds; x v2 / x v1: median of",
    "the per-round ratios to the SDK v2 / v1 idiom. RSS and heap after forced GCs, before the first and after the last",
    "round. The SDK v1 idiom serves the 2025 era only.",
    "",
  ];
  const targets: string[] = [];
  const speedTarget = (era: Era, baseline: Baseline, at: number) => {
    const value = ratio(row("this-auth", era)!, baseline)!;
    targets.push(`target ${era} era: this server (auth on) >= ${at}x the ${LABELS[baseline]}'s req/s: ${value.toFixed(3)}x ${value >= at ? "MET" : "NOT MET"}`);
  };
  speedTarget("2026", "sdk-v2", 1.6);
  speedTarget("2025", "sdk-v1", 2);
  for (const era of ["2025", "2026"] as const) {
    const ours = growth(row("this-auth", era)!);
    const bases = (["sdk-v2", "sdk-v1"] as const).flatMap((b) => (row(b, era) ? [`${LABELS[b]} ${growth(row(b, era)!).toFixed(2)}x`] : []));
    targets.push(`target ${era} era: this server's RSS growth over ${calls} calls <= 1.3x: ${ours.toFixed(2)}x ${ours <= 1.3 ? "MET" : "NOT MET"} (${bases.join(", ")})`);
  }
  targets.push(`all responses 2xx: ${rows.every((r) => r.rounds.every((x) => x.bad === 0)) ? "yes" : "NO"}`, `total time ${((Date.now() - started) / 1000).toFixed(0)} s`);
  process.stdout.write(`${[...lines, ...targets].join("\n")}\n`);
}

const childIndex = process.argv.indexOf("--child");
if (childIndex >= 0) {
  runChild(process.argv[childIndex + 1] as Kind, JSON.parse(process.env.BENCH_ENV ?? "{}") as Record<string, string>);
} else {
  main().catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
    process.exit(1);
  });
}
