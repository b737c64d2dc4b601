/**
 * The official MCP conformance suite (@modelcontextprotocol/conformance 0.2.0-alpha.12, on Node 22: see
 * test-support/conformance-node.ts) against the real server, listening on 127.0.0.1 on a free port, in both protocol
 * eras (the suite's --spec-version 2025-11-25 and 2026-07-28) and both response modes. Which scenarios apply, and why
 * the others (and some checks of applicable ones) do not, is in test-support/conformance-scenarios.ts. Each scenario
 * runs in its own CLI process, two at a time, each bounded.
 */
import { createServer, type Server } from "node:http";
import { createRequire } from "node:module";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig, type ResponseMode } from "../../mcp-app/config.js";
import { silentLogger } from "../../mcp-app/logging.js";
import { startServer, type RunningServer } from "../../mcp-app/main.js";
import { startEntraStandIn } from "../../local/entra/stand-in.js";
import { conformanceNode, MIN_CONFORMANCE_NODE_MAJOR } from "../../test-support/conformance-node.js";
import { listServerScenarios, runServerScenario, runServerScenarios, scenarioProblems, type OfferedScenario, type ScenarioRun } from "../../test-support/conformance-runner.js";
import {
  APPLICABLE_SERVER_SCENARIOS,
  CONFORMANCE_ERAS,
  NOT_APPLICABLE_EXTENSION_SCENARIOS,
  NOT_APPLICABLE_SERVER_SCENARIOS,
  type ConformanceEra,
} from "../../test-support/conformance-scenarios.js";

/** Per scenario process; a passing scenario takes one to three seconds on a busy machine. */
const SCENARIO_TIMEOUT_MS = 30_000;
const SUITE_TIMEOUT_MS = SCENARIO_TIMEOUT_MS + 10_000;
/** Seven scenarios at most per era, two at a time: four rounds at most, plus the server start. */
const MODE_TIMEOUT_MS = 4 * SCENARIO_TIMEOUT_MS + 10_000;
const EXPECTED_SUITE_VERSION = "0.2.0-alpha.12";

describe("MCP conformance suite: installation and scenario selection", () => {
  let offered: OfferedScenario[] = [];
  beforeAll(async () => {
    offered = await listServerScenarios(SCENARIO_TIMEOUT_MS);
  }, SUITE_TIMEOUT_MS);

  it(`runs on Node ${MIN_CONFORMANCE_NODE_MAJOR}+, the pinned suite version`, () => {
    const node = conformanceNode();
    expect(Number(/^v(\d+)/.exec(node.version)?.[1])).toBeGreaterThanOrEqual(MIN_CONFORMANCE_NODE_MAJOR);
    const manifest = createRequire(import.meta.url)("@modelcontextprotocol/conformance/package.json") as { version: string };
    expect(manifest.version).toBe(EXPECTED_SUITE_VERSION);
  });

  it.each(CONFORMANCE_ERAS)("classifies every server scenario the suite offers at %s as run here or not applicable, with a reason", (era) => {
    const atEra = offered.filter((s) => s.specVersions.includes(era)).map((s) => s.name);
    const applicable = Object.keys(APPLICABLE_SERVER_SCENARIOS[era]);
    const excluded = Object.keys(NOT_APPLICABLE_SERVER_SCENARIOS[era]);
    expect(applicable.filter((name) => excluded.includes(name)), "both applicable and excluded").toEqual([]);
    expect(atEra.filter((name) => !applicable.includes(name) && !excluded.includes(name)), "offered by the suite but not classified").toEqual([]);
    expect([...applicable, ...excluded].filter((name) => !atEra.includes(name)), "classified but not offered by the suite at this revision").toEqual([]);
    for (const [name, reason] of Object.entries(NOT_APPLICABLE_SERVER_SCENARIOS[era])) expect(reason.length, `reason for ${name}`).toBeGreaterThan(20);
    for (const [name, plan] of Object.entries(APPLICABLE_SERVER_SCENARIOS[era])) {
      for (const [check, reason] of Object.entries(plan.notApplicableChecks ?? {})) expect(reason.length, `reason for ${name}: ${check}`).toBeGreaterThan(20);
    }
  });

  it("classifies every extension scenario as not applicable, with a reason", () => {
    const extensions = offered.filter((s) => s.specVersions.includes("extension")).map((s) => s.name);
    expect(extensions.length).toBeGreaterThan(0);
    expect(extensions.sort()).toEqual(Object.keys(NOT_APPLICABLE_EXTENSION_SCENARIOS).sort());
    const dated = offered.filter((s) => !s.specVersions.includes("extension") && !s.specVersions.some((v) => (CONFORMANCE_ERAS as readonly string[]).includes(v)));
    expect(dated.map((s) => s.name), "offered only at revisions this server is not tested at").toEqual([]);
  });
});

for (const era of CONFORMANCE_ERAS) {
  const scenarios = APPLICABLE_SERVER_SCENARIOS[era];
  describe.each<ResponseMode>(["json", "sse"])(`MCP conformance suite at ${era} against the server (auth off on loopback, %s responses)`, (responseMode) => {
    let running: RunningServer | undefined;
    let runs = new Map<string, ScenarioRun>();

    beforeAll(async () => {
      running = await startServer(loadConfig({ MCP_AUTH: "off", HOST: "127.0.0.1", PORT: "0", MCP_RESPONSE_MODE: responseMode }), silentLogger);
      runs = await runServerScenarios(`${running.url}/mcp`, Object.keys(scenarios), { specVersion: era, timeoutMs: SCENARIO_TIMEOUT_MS, concurrency: 2 });
    }, MODE_TIMEOUT_MS);

    afterAll(async () => {
      await running?.close();
    });

    it.each(Object.keys(scenarios))("passes %s", (scenario) => {
      const run = runs.get(scenario);
      expect(run, `no run recorded for ${scenario}`).toBeDefined();
      const problems = scenarioProblems(run!, scenarios[scenario]!.notApplicableChecks);
      expect(problems, problems.join("\n")).toEqual([]);
      expect(run!.specVersion).toBe(era satisfies ConformanceEra);
    });
  });
}

describe("MCP conformance harness: failures are reported, named and bounded", () => {
  it("fails server-initialize against the server with Entra auth on (the suite sends no token), naming the scenario and the refusal", async () => {
    const entra = await startEntraStandIn();
    const running = await startServer(loadConfig({ ...entra.env, HOST: "127.0.0.1", PORT: "0" }), silentLogger);
    try {
      const run = await runServerScenario(`${running.url}/mcp`, "server-initialize", { timeoutMs: SCENARIO_TIMEOUT_MS, specVersion: "2025-11-25" });
      expect(run.exitCode).toBe(1);
      const problems = scenarioProblems(run);
      expect(problems).toHaveLength(1);
      expect(problems[0]).toMatch(/^server-initialize \(2025-11-25\): FAILURE server-initialize \(.+\): Failed to initialize: .*"Unauthorized"/);
    } finally {
      await running.close();
      await entra.close();
    }
  }, SUITE_TIMEOUT_MS);

  it("reports a check listed as not applicable that now passes as stale", async () => {
    const running = await startServer(loadConfig({ MCP_AUTH: "off", HOST: "127.0.0.1", PORT: "0" }), silentLogger);
    try {
      const run = await runServerScenario(`${running.url}/mcp`, "tools-list", { timeoutMs: SCENARIO_TIMEOUT_MS, specVersion: "2026-07-28" });
      expect(scenarioProblems(run)).toEqual([]);
      const stale = scenarioProblems(run, { "tools-list": "pretend it cannot apply" });
      expect(stale).toEqual([expect.stringMatching(/^tools-list \(2026-07-28\): check tools-list is listed as not applicable but it now reports SUCCESS: remove it from the list$/)]);
    } finally {
      await running.close();
    }
  }, SUITE_TIMEOUT_MS);

  it("fails a scenario whose server never answers, killing it at the time limit", async () => {
    const silent: Server = createServer(() => {
      // accept the request and never answer
    });
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    const { port } = silent.address() as AddressInfo;
    try {
      const run = await runServerScenario(`http://127.0.0.1:${port}/mcp`, "ping", { timeoutMs: 2_500, specVersion: "2025-11-25" });
      expect(run.timedOut).toBe(true);
      expect(run.exitCode).toBeNull();
      expect(scenarioProblems(run)[0]).toMatch(/^ping \(2025-11-25\): did not finish within the time limit \(killed after \d+ ms\)$/);
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
