/**
 * The official MCP conformance suite (@modelcontextprotocol/conformance) against the real server, listening on
 * 127.0.0.1 on a free port, in both response modes. Which scenarios apply, and why the others do not, is in
 * test-support/conformance-scenarios.ts. Each scenario runs in its own CLI process, all at once, each bounded.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig, type ResponseMode } from "../../mcp-app/config.js";
import { silentLogger } from "../../mcp-app/logging.js";
import { startServer, type RunningServer } from "../../mcp-app/main.js";
import { startEntraStandIn } from "../../local/entra/stand-in.js";
import { listServerScenarios, runServerScenario, runServerScenarios, scenarioProblems, type ScenarioRun } from "../../test-support/conformance-runner.js";
import { APPLICABLE_SERVER_SCENARIOS, NOT_APPLICABLE_SERVER_SCENARIOS } from "../../test-support/conformance-scenarios.js";

/** Per scenario process; a passing scenario takes about one second. */
const SCENARIO_TIMEOUT_MS = 15_000;
const SUITE_TIMEOUT_MS = SCENARIO_TIMEOUT_MS + 10_000;
/** Four scenarios, two at a time: two rounds at most, plus the server start. */
const MODE_TIMEOUT_MS = 2 * SCENARIO_TIMEOUT_MS + 10_000;

describe("MCP conformance suite: scenario selection", () => {
  it("classifies every server scenario of the installed suite as run here or not applicable, with a reason", async () => {
    const offered = await listServerScenarios(SCENARIO_TIMEOUT_MS);
    const applicable: readonly string[] = APPLICABLE_SERVER_SCENARIOS;
    const excluded = Object.keys(NOT_APPLICABLE_SERVER_SCENARIOS);
    expect(applicable.filter((name) => excluded.includes(name)), "both applicable and excluded").toEqual([]);
    expect(offered.filter((name) => !applicable.includes(name) && !excluded.includes(name)), "offered by the suite but not classified").toEqual([]);
    expect([...applicable, ...excluded].filter((name) => !offered.includes(name)), "classified but not offered by the suite").toEqual([]);
    for (const [name, reason] of Object.entries(NOT_APPLICABLE_SERVER_SCENARIOS)) expect(reason.length, `reason for ${name}`).toBeGreaterThan(20);
  }, SUITE_TIMEOUT_MS);
});

describe.each<ResponseMode>(["json", "sse"])("MCP conformance suite against the server (auth off on loopback, %s responses)", (responseMode) => {
  let running: RunningServer | undefined;
  let runs = new Map<string, ScenarioRun>();

  beforeAll(async () => {
    running = await startServer(loadConfig({ MCP_AUTH: "off", HOST: "127.0.0.1", PORT: "0", MCP_RESPONSE_MODE: responseMode }), silentLogger);
    runs = await runServerScenarios(`${running.url}/mcp`, APPLICABLE_SERVER_SCENARIOS, { timeoutMs: SCENARIO_TIMEOUT_MS, concurrency: 2 });
  }, MODE_TIMEOUT_MS);

  afterAll(async () => {
    await running?.close();
  });

  it.each(APPLICABLE_SERVER_SCENARIOS)("passes %s", (scenario) => {
    const run = runs.get(scenario);
    expect(run, `no run recorded for ${scenario}`).toBeDefined();
    const problems = scenarioProblems(run!);
    expect(problems, problems.join("\n")).toEqual([]);
    expect(run!.exitCode).toBe(0);
  });
});

describe("MCP conformance harness: failures are reported, named and bounded", () => {
  it("fails server-initialize against the server with Entra auth on (the suite sends no token), naming the scenario and the refusal", async () => {
    const entra = await startEntraStandIn();
    const running = await startServer(loadConfig({ ...entra.env, HOST: "127.0.0.1", PORT: "0" }), silentLogger);
    try {
      const run = await runServerScenario(`${running.url}/mcp`, "server-initialize", { timeoutMs: SCENARIO_TIMEOUT_MS });
      expect(run.exitCode).toBe(1);
      const problems = scenarioProblems(run);
      expect(problems).toHaveLength(1);
      expect(problems[0]).toMatch(/^server-initialize: FAILURE server-initialize \(.+\): Failed to initialize: .*"Unauthorized"/);
    } finally {
      await running.close();
      await entra.close();
    }
  }, SUITE_TIMEOUT_MS);

  it("fails a scenario whose server never answers, killing it at the time limit", async () => {
    const silent: Server = createServer(() => {
      // accept the request and never answer
    });
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    const { port } = silent.address() as AddressInfo;
    try {
      const run = await runServerScenario(`http://127.0.0.1:${port}/mcp`, "ping", { timeoutMs: 2_500 });
      expect(run.timedOut).toBe(true);
      expect(run.exitCode).toBeNull();
      expect(scenarioProblems(run)[0]).toMatch(/^ping: did not finish within the time limit \(killed after \d+ ms\)$/);
    } finally {
      silent.closeAllConnections();
      await new Promise((resolve) => silent.close(resolve));
    }
  }, SUITE_TIMEOUT_MS);

  it("fails on a bad concurrency, naming the value", async () => {
    await expect(runServerScenarios("http://127.0.0.1:9/mcp", ["ping"], { concurrency: 0 })).rejects.toThrow("concurrency=0 is not valid: expected an integer of at least 1");
  });

  it("fails on a scenario name the suite does not know, with the suite's message", async () => {
    const run = await runServerScenario("http://127.0.0.1:9/mcp", "no-such-scenario", { timeoutMs: SCENARIO_TIMEOUT_MS });
    expect(run.exitCode).toBe(1);
    expect(run.checks).toEqual([]);
    expect(scenarioProblems(run)).toEqual([expect.stringMatching(/^no-such-scenario: the suite recorded no checks; CLI output: .*Unknown scenario 'no-such-scenario'/s)]);
  }, SUITE_TIMEOUT_MS);
});
