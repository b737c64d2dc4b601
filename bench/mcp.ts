/**
 * `npm run bench:mcp`: MCP server throughput, latency and heap, side by side in one run (autocannon).
 *
 *   (a) plain Hono JSON route                          the floor: HTTP + Hono + JSON, no MCP
 *   (b) SDK stateless example pattern (peer baseline)   new McpServer + transport per request, the same three tools
 *                                                       registered per request, as in the SDK's Hono example
 *   (c) this server, tools/call get_weather            default settings (JSON responses), auth ON with a valid
 *                                                       locally minted Entra-shaped token (JWKS from a localhost
 *                                                       stand-in); plus two reference rows: SSE responses, auth off
 *
 * Each server runs alone in a child process (node --expose-gc) on 127.0.0.1. Printed per row: requests/s, p99
 * latency and the server's CPU time per request (steadier than req/s on a busy machine); heap is measured in the
 * (c) server after forced GCs, before and after 100,000 tools/call requests. Phases are bounded: ~75 s in all.
 * Usage: npm run bench:mcp [-- --duration 8 --connections 10 --calls 100000]
 */
import { fork, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import autocannon from "autocannon";
import { serve } from "@hono/node-server";
import { Hono } from "hono";
import * as z from "zod";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { WebStandardStreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js";
import { loadConfig } from "../mcp-app/config.js";
import { silentLogger } from "../mcp-app/logging.js";
import { createApp } from "../mcp-app/server.js";
import { simulateWeather } from "../mcp-app/tools/get-weather.js";
import { CITIES_BY_COUNTRY } from "../mcp-app/tools/get-cities.js";
import { startEntraStandIn } from "../local/entra/stand-in.js";

type Kind = "plain" | "sdk-baseline" | "this-auth" | "this-auth-sse" | "this-noauth";

const TOOL_CALL = JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "get_weather", arguments: { city: "Lisbon" } } });
const MCP_HEADERS = { "content-type": "application/json", accept: "application/json, text/event-stream", "mcp-protocol-version": "2025-11-25" };

// ---------------------------------------------------------------------------------------------- child side
/** (b): the SDK example's per-request factory, with this server's three tools (schemas built per request, as there). */
function sdkExampleServer(): McpServer {
  const server = new McpServer({ name: "sdk-example-pattern", version: "1.0.0" });
  server.registerTool(
    "get_cities",
    { title: "Cities of a country", description: "List cities", inputSchema: { country: z.string() }, outputSchema: { country: z.string(), cities: z.array(z.string()) } },
    async ({ country }) => {
      const cities = CITIES_BY_COUNTRY[country.toLowerCase()] ?? [];
      const structured = { country: country.toLowerCase(), cities: [...cities] };
      return { content: [{ type: "text", text: JSON.stringify(structured) }], structuredContent: structured };
    },
  );
  server.registerTool(
    "get_weather",
    {
      title: "Weather of a city",
      description: "Weather",
      inputSchema: { city: z.string() },
      outputSchema: { city: z.string(), condition: z.string(), temperature: z.number(), humidity: z.number(), unit: z.string(), date: z.string() },
    },
    async ({ city }) => {
      const w = simulateWeather(city, new Date());
      return { content: [{ type: "text", text: JSON.stringify(w) }], structuredContent: { ...w } };
    },
  );
  server.registerTool("whoami", { title: "Who am I", description: "Caller", inputSchema: {} }, async () => ({ content: [{ type: "text", text: "anonymous" }] }));
  return server;
}

function appFor(kind: Kind, env: Record<string, string>): { fetch: (request: Request) => Response | Promise<Response> } {
  switch (kind) {
    case "plain": {
      const app = new Hono();
      app.post("/mcp", async (c) => {
        const body = (await c.req.json()) as { id: number };
        return c.json({ jsonrpc: "2.0", id: body.id, result: { content: [{ type: "text", text: "ok" }] } });
      });
      return app;
    }
    case "sdk-baseline": {
      const app = new Hono();
      app.all("/mcp", async (c) => {
        const transport = new WebStandardStreamableHTTPServerTransport();
        const server = sdkExampleServer();
        await server.connect(transport);
        return transport.handleRequest(c.req.raw);
      });
      return app;
    }
    case "this-auth":
      return createApp(loadConfig({ ...env, HOST: "127.0.0.1" }), { logger: silentLogger });
    case "this-auth-sse":
      return createApp(loadConfig({ ...env, HOST: "127.0.0.1", MCP_RESPONSE_MODE: "sse" }), { logger: silentLogger });
    case "this-noauth":
      return createApp(loadConfig({ MCP_AUTH: "off" }), { logger: silentLogger });
  }
}

/** Heap in use after forced GCs, once the load's sockets have closed (they hold ~2 MB for a few hundred ms). */
async function heapAfterGc(): Promise<number> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error("run with node --expose-gc (npm run bench:mcp does)");
  for (let i = 0; i < 3; i++) {
    gc();
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  gc();
  return process.memoryUsage().heapUsed;
}

function runChild(kind: Kind, env: Record<string, string>): void {
  const app = appFor(kind, env);
  const server = serve({ fetch: app.fetch, hostname: "127.0.0.1", port: 0 }, (info) => process.send!({ port: info.port }));
  process.on("message", (message: { cmd: string }) => {
    if (message.cmd === "heap") void heapAfterGc().then((heap) => process.send!({ heap }));
    if (message.cmd === "cpu") {
      const { user, system } = process.cpuUsage();
      process.send!({ cpu: user + system });
    }
    if (message.cmd === "stop") server.close(() => process.exit(0));
  });
}

// --------------------------------------------------------------------------------------------- parent side
interface Child {
  readonly port: number;
  heap(): Promise<number>;
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
  const next = <T>(key: string) => new Promise<T>((resolve) => {
    const onMessage = (message: Record<string, T>) => {
      if (key in message) {
        child.off("message", onMessage);
        resolve(message[key]!);
      }
    };
    child.on("message", onMessage);
  });
  return next<number>("port").then((port) => ({
    port,
    heap: () => {
      const reply = next<number>("heap");
      child.send({ cmd: "heap" });
      return reply;
    },
    cpu: () => {
      const reply = next<number>("cpu");
      child.send({ cmd: "cpu" });
      return reply;
    },
    stop: () => {
      const exited = new Promise<void>((resolve) => child.on("exit", () => resolve()));
      child.send({ cmd: "stop" });
      return exited;
    },
  }));
}

interface Load {
  rps: number;
  p99: number;
  requests: number;
  bad: number;
  /** Server CPU time per request, microseconds (robust against a busy machine, unlike req/s). */
  cpuPerRequest?: number;
}

async function measured(child: Child, run: () => Promise<Load>): Promise<Load> {
  const before = await child.cpu();
  const result = await run();
  const after = await child.cpu();
  return { ...result, cpuPerRequest: (after - before) / result.requests };
}

async function load(port: number, headers: Record<string, string>, bound: { duration: number } | { amount: number }, connections: number): Promise<Load> {
  const result = await autocannon({
    url: `http://127.0.0.1:${port}/mcp`,
    method: "POST",
    headers,
    body: TOOL_CALL,
    connections,
    pipelining: 1,
    ...bound,
  });
  return {
    rps: result.requests.average,
    p99: result.latency.p99,
    requests: result.requests.total,
    bad: result.non2xx + result.errors + result.timeouts,
  };
}

async function checkAnswer(port: number, headers: Record<string, string>, kind: Kind): Promise<void> {
  const response = await fetch(`http://127.0.0.1:${port}/mcp`, { method: "POST", headers, body: TOOL_CALL });
  const text = await response.text();
  const expected = kind === "plain" ? '"ok"' : "Lisbon";
  if (response.status !== 200 || !text.includes(expected)) throw new Error(`${kind} does not answer correctly: ${response.status} ${text.slice(0, 200)}`);
}

const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(1);

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { duration: { type: "string", default: "6" }, connections: { type: "string", default: "10" }, calls: { type: "string", default: "100000" } },
  });
  const duration = Number(values.duration);
  const connections = Number(values.connections);
  const calls = Number(values.calls);
  const entra = await startEntraStandIn();
  const token = await entra.mint({ claims: { exp: entra.now() + 6 * 3600 } });
  const started = Date.now();
  const rows: { label: string; load: Load; note: string }[] = [];
  let heapBefore = 0;
  let heapAfter = 0;

  const auth = { ...MCP_HEADERS, authorization: `Bearer ${token}` };
  const phases: { kind: Kind; label: string; headers: Record<string, string>; note: string }[] = [
    { kind: "plain", label: "(a) plain Hono JSON route", headers: { "content-type": "application/json" }, note: "POST, parse body, c.json()" },
    { kind: "sdk-baseline", label: "(b) SDK stateless example pattern", headers: MCP_HEADERS, note: "new McpServer + 3 tools + transport per request, SSE (SDK default), no auth" },
    { kind: "this-auth-sse", label: "(c-sse) this server, token, SSE", headers: auth, note: "as (c) with MCP_RESPONSE_MODE=sse" },
    { kind: "this-noauth", label: "(c-off) this server, auth off", headers: MCP_HEADERS, note: "as (c) with MCP_AUTH=off (local mode)" },
    { kind: "this-auth", label: "(c) this server, token, defaults", headers: auth, note: `${calls} x tools/call get_weather, valid Entra-shaped token, JSON answers` },
  ];
  for (const phase of phases) {
    const child = await startChild(phase.kind, entra.env);
    try {
      await checkAnswer(child.port, phase.headers, phase.kind);
      await load(child.port, phase.headers, { duration: 2 }, connections); // warm-up (JIT, JWKS cache)
      if (phase.kind === "this-auth") {
        heapBefore = await child.heap();
        rows.push({ label: phase.label, load: await measured(child, () => load(child.port, phase.headers, { amount: calls }, connections)), note: phase.note });
        heapAfter = await child.heap();
      } else {
        rows.push({ label: phase.label, load: await measured(child, () => load(child.port, phase.headers, { duration }, connections)), note: phase.note });
      }
    } finally {
      await child.stop();
    }
  }
  await entra.close();

  const baseline = rows.find((r) => r.label.startsWith("(b) "))!.load.rps;
  const pad = (s: string, n: number) => s.padEnd(n);
  const lines = [
    "",
    `MCP server benchmark: Node ${process.version}, autocannon ${connections} connections, pipelining 1, ${duration} s per phase, last row ${calls} calls`,
    "",
    `${pad("server", 34)} ${"req/s".padStart(7)} ${"x (b)".padStart(6)} ${"p99 ms".padStart(7)} ${"CPU us/req".padStart(11)} ${"requests".padStart(9)} ${"bad".padStart(4)}  what`,
    ...rows.map(
      (r) =>
        `${pad(r.label, 34)} ${r.load.rps.toFixed(0).padStart(7)} ${(r.load.rps / baseline).toFixed(2).padStart(6)} ${String(r.load.p99).padStart(7)} ${(r.load.cpuPerRequest ?? 0).toFixed(0).padStart(11)} ${String(r.load.requests).padStart(9)} ${String(r.load.bad).padStart(4)}  ${r.note}`,
    ),
    "",
    "CPU us/req = server process CPU time (user+system) per request during the phase; req/s also depends on how busy the machine is.",
    "",
    `heap after forced GC, last (c) server: before ${mb(heapBefore)} MB, after ${calls} calls ${mb(heapAfter)} MB (${(((heapAfter - heapBefore) / heapBefore) * 100).toFixed(1)} %)`,
  ];
  const c = rows.find((r) => r.label.startsWith("(c) "))!.load;
  const b = rows.find((r) => r.label.startsWith("(b) "))!.load;
  const targets = [
    `target (c) >= 2x (b) throughput: ${(c.rps / baseline).toFixed(2)}x ${c.rps >= 2 * baseline ? "MET" : "NOT MET"} (server CPU per request: (b) / (c) = ${((b.cpuPerRequest ?? 0) / (c.cpuPerRequest ?? 1)).toFixed(2)}x)`,
    `target heap after within 20 % of start: ${(((heapAfter - heapBefore) / heapBefore) * 100).toFixed(1)} % ${Math.abs(heapAfter - heapBefore) <= 0.2 * heapBefore ? "MET" : "NOT MET"}`,
    `all responses 2xx: ${rows.every((r) => r.load.bad === 0) ? "yes" : "NO"}`,
    `total time ${((Date.now() - started) / 1000).toFixed(0)} s`,
  ];
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
