/**
 * Which server scenarios of the MCP conformance suite (@modelcontextprotocol/conformance 0.2.0-alpha.12) apply to
 * mcp-app, per protocol era: a stateless streamable-HTTP server (no Mcp-Session-Id, no GET stream) offering four
 * tools (get_cities, get_weather, get_forecast, whoami) and no resources, prompts, completions, logging, tasks,
 * skills, elicitation or sampling, whose tools answer at once (no progress, no input_required).
 *
 * The suite runs a scenario at one revision (`--spec-version`): 2025-11-25 uses the initialize handshake, 2026-07-28
 * the per-request `_meta` envelope. Every scenario the installed suite offers at a revision must appear in exactly
 * one of that era's two lists below (extension scenarios, off the revision timeline, in the third); the conformance
 * test checks that, so a suite upgrade that adds a scenario forces a decision here.
 *
 * An applicable scenario can name checks that cannot apply to a tools-only server (each with its reason): the test
 * requires every other check of the scenario to pass, and each named check to still fail, so the list stays true.
 *
 * None of the scenarios needs anything beyond localhost. Authentication: the suite's client sends no Authorization
 * header and the CLI has no option to add one, so the scenarios run against the server with MCP_AUTH=off on loopback
 * (the token check is its own layer, tested in auth.test.ts, tool-authorization.test.ts and hostile-input.test.ts).
 */

export const CONFORMANCE_ERAS = ["2025-11-25", "2026-07-28"] as const;
export type ConformanceEra = (typeof CONFORMANCE_ERAS)[number];

export interface ApplicableScenario {
  /** Checks (by id) of the scenario that cannot apply to this server, with the reason; they must still fail. */
  readonly notApplicableChecks?: Readonly<Record<string, string>>;
}

const FIXTURE_TOOL =
  "calls a fixture tool of the suite's reference 'everything' server (test_* / json_schema_2020_12_tool), which this weather server does not have; its own tools are exercised through the SDK v2 client in tools.test.ts";
const ELICITATION_FIXTURE = `${FIXTURE_TOOL}; the scenario also needs server-to-client elicitation requests, which none of this server's tools make`;
const NO_RESOURCES = "the server offers no resources (no resources capability, resources/* is -32601): tools only";
const NO_PROMPTS = "the server offers no prompts (no prompts capability, prompts/* is -32601): tools only";
const NO_COMPLETIONS =
  "the server declares no completions capability (completion/complete is -32601): completions complete prompt or resource-template arguments, and it has neither";
const NO_INPUT_REQUIRED =
  "exercises a fixture tool that answers input_required (multi-round-trip requests, SEP-2322); none of this server's tools asks the client for input, and the tool does not exist here";

/** Scenarios run against the real server, per era; each must pass (but for its named checks). */
export const APPLICABLE_SERVER_SCENARIOS: Readonly<Record<ConformanceEra, Readonly<Record<string, ApplicableScenario>>>> = {
  "2025-11-25": {
    // Lifecycle: initialize + initialized handshake through the SDK client.
    "server-initialize": {},
    // ping answered with {}.
    ping: {},
    // tools/list: every tool has a name, a description and an inputSchema.
    "tools-list": {},
    // Local mode (auth off on loopback) must refuse a non-loopback Host/Origin with a 4xx and accept loopback ones.
    "dns-rebinding-protection": {},
  },
  "2026-07-28": {
    // SEP-2575: per-request _meta, server/discover, unsupported versions, header/body mismatch, removed methods (404),
    // error ids, subscriptions/listen.
    "server-stateless": {
      notApplicableChecks: {
        "sep-2575-server-rejects-undeclared-capability":
          "needs the fixture tool test_missing_capability, which requires the client's sampling capability; no tool of this server needs a client capability",
        "sep-2575-missing-capability-http-400": "needs the same fixture tool test_missing_capability (the -32021 answer it provokes)",
        "sep-2575-http-server-no-independent-requests-on-stream":
          "needs the fixture tool test_streaming_elicitation; no tool of this server streams or asks the client for input",
        "sep-2575-server-no-log-without-loglevel": "needs the fixture tool test_logging_tool; the server declares no logging capability and sends no log messages",
      },
    },
    "tools-list": {},
    // Several concurrent POSTs (each answered on its own, JSON here).
    "server-sse-multiple-streams": {},
    "dns-rebinding-protection": {},
    // SEP-2549: ttlMs and cacheScope on cacheable results.
    caching: {
      notApplicableChecks: {
        "sep-2549-prompts-list-caching-hints": NO_PROMPTS,
        "sep-2549-resources-list-caching-hints": NO_RESOURCES,
        "sep-2549-resources-templates-list-caching-hints": NO_RESOURCES,
      },
    },
    // SEP-2243: MCP-Protocol-Version, Mcp-Method and Mcp-Name checked against the body (-32020, HTTP 400).
    "http-header-validation": {},
    // tools/list (and prompts/list) never answer input_required.
    "input-required-result-unsupported-methods": {},
  },
};

/** Scenarios that do not apply to this server, per era, each with the reason. */
export const NOT_APPLICABLE_SERVER_SCENARIOS: Readonly<Record<ConformanceEra, Readonly<Record<string, string>>>> = {
  "2025-11-25": {
    "server-session-lifecycle":
      "tests Mcp-Session-Id creation, reuse and DELETE; the server is stateless by design (the suite itself records only an INFO 'lifecycle checks not applicable')",
    "logging-set-level": "the server declares no logging capability (it sends no log notifications to clients), so logging/setLevel is answered -32601 Method not found",
    "completion-complete": NO_COMPLETIONS,
    "tools-call-simple-text": FIXTURE_TOOL,
    "tools-call-image": FIXTURE_TOOL,
    "tools-call-audio": FIXTURE_TOOL,
    "tools-call-embedded-resource": FIXTURE_TOOL,
    "tools-call-mixed-content": FIXTURE_TOOL,
    "tools-call-with-logging": `${FIXTURE_TOOL}; it also needs the logging capability`,
    "tools-call-error": FIXTURE_TOOL,
    "tools-call-with-progress": `${FIXTURE_TOOL}; none of this server's tools reports progress (each answers at once)`,
    "tools-call-sampling": `${FIXTURE_TOOL}; it also needs a server-to-client sampling request, which none of this server's tools make`,
    "tools-call-elicitation": ELICITATION_FIXTURE,
    "json-schema-2020-12": FIXTURE_TOOL,
    "elicitation-sep1034-defaults": ELICITATION_FIXTURE,
    "elicitation-sep1330-enums": ELICITATION_FIXTURE,
    "server-sse-polling":
      "needs a session, the fixture tool test_reconnection and resumable SSE (event store, GET with Last-Event-ID); the server is stateless by design (no Mcp-Session-Id, GET /mcp is 405) so any instance can serve any request",
    "server-sse-multiple-streams":
      "needs an Mcp-Session-Id to open several streams of one session; the server is stateless by design and issues none (the scenario then records only a WARNING)",
    "resources-list": NO_RESOURCES,
    "resources-read-text": NO_RESOURCES,
    "resources-read-binary": NO_RESOURCES,
    "resources-templates-read": NO_RESOURCES,
    "resources-subscribe": NO_RESOURCES,
    "resources-unsubscribe": NO_RESOURCES,
    "prompts-list": NO_PROMPTS,
    "prompts-get-simple": NO_PROMPTS,
    "prompts-get-with-args": NO_PROMPTS,
    "prompts-get-embedded-resource": NO_PROMPTS,
    "prompts-get-with-image": NO_PROMPTS,
  },
  "2026-07-28": {
    "completion-complete": NO_COMPLETIONS,
    "tools-call-simple-text": FIXTURE_TOOL,
    "tools-call-image": FIXTURE_TOOL,
    "tools-call-audio": FIXTURE_TOOL,
    "tools-call-embedded-resource": FIXTURE_TOOL,
    "tools-call-mixed-content": FIXTURE_TOOL,
    "tools-call-error": FIXTURE_TOOL,
    "tools-call-with-progress": `${FIXTURE_TOOL}; none of this server's tools reports progress (each answers at once)`,
    "json-schema-2020-12": FIXTURE_TOOL,
    "resources-list": NO_RESOURCES,
    "resources-read-text": NO_RESOURCES,
    "resources-read-binary": NO_RESOURCES,
    "resources-templates-read": NO_RESOURCES,
    "sep-2164-resource-not-found": `${NO_RESOURCES}; resources/read of an unknown URI is therefore -32601, not the -32602 (with data.uri) the scenario expects of a resources server`,
    "prompts-list": NO_PROMPTS,
    "prompts-get-simple": NO_PROMPTS,
    "prompts-get-with-args": NO_PROMPTS,
    "prompts-get-embedded-resource": NO_PROMPTS,
    "prompts-get-with-image": NO_PROMPTS,
    "http-custom-header-server-validation":
      "tests Mcp-Param-* headers mirrored from tool arguments marked x-mcp-header (SEP-2243); no tool of this server marks an argument so, and every check of the scenario reports 'not testable'",
    "input-required-result-basic-elicitation": NO_INPUT_REQUIRED,
    "input-required-result-basic-sampling": NO_INPUT_REQUIRED,
    "input-required-result-basic-list-roots": NO_INPUT_REQUIRED,
    "input-required-result-request-state": NO_INPUT_REQUIRED,
    "input-required-result-multiple-input-requests": NO_INPUT_REQUIRED,
    "input-required-result-multi-round": NO_INPUT_REQUIRED,
    "input-required-result-missing-input-response": NO_INPUT_REQUIRED,
    "input-required-result-non-tool-request": `${NO_INPUT_REQUIRED}; it calls prompts/get, and the server has no prompts`,
    "input-required-result-result-type": NO_INPUT_REQUIRED,
    "input-required-result-tampered-state": NO_INPUT_REQUIRED,
    "input-required-result-capability-check": NO_INPUT_REQUIRED,
    "input-required-result-ignore-extra-params": NO_INPUT_REQUIRED,
    "input-required-result-validate-input": `${NO_INPUT_REQUIRED} (its checks pass here only because the tool is unknown, which proves nothing)`,
  },
};

const NO_TASKS = "a tasks extension scenario: the server offers no tasks (no tasks capability); its tools answer at once";
const NO_SKILLS = "a skills extension scenario (SEP-2640): the server offers no skills directory";

/** Extension scenarios (off the revision timeline), each with the reason it does not apply. */
export const NOT_APPLICABLE_EXTENSION_SCENARIOS: Readonly<Record<string, string>> = {
  "sep-2640-skills-directory": NO_SKILLS,
  "sep-2640-skills-enumeration": NO_SKILLS,
  "sep-2640-skills-manifest": NO_SKILLS,
  "tasks-lifecycle": NO_TASKS,
  "tasks-capability-negotiation": NO_TASKS,
  "tasks-wire-fields": NO_TASKS,
  "tasks-request-state-removal": NO_TASKS,
  "tasks-mrtr-input": NO_TASKS,
  "tasks-request-headers": NO_TASKS,
  "tasks-dispatch-and-envelope": NO_TASKS,
  "tasks-status-notifications": NO_TASKS,
  "tasks-required-task-error": NO_TASKS,
  "tasks-mrtr-composition": NO_TASKS,
};
