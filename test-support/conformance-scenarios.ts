/**
 * Which server scenarios of the MCP conformance suite (@modelcontextprotocol/conformance 0.1.16) apply to mcp-app:
 * a stateless streamable-HTTP server (no Mcp-Session-Id, no GET stream) offering three tools (get_cities,
 * get_weather, whoami) and no resources, prompts, completions or logging capability.
 *
 * Every server scenario the installed suite lists must appear in exactly one of the two lists below; the
 * conformance test checks that, so a suite upgrade that adds a scenario forces a decision here.
 *
 * None of the scenarios needs anything beyond localhost. Authentication: the suite's client sends no
 * Authorization header and the CLI has no option to add one, so the scenarios run against the server with
 * MCP_AUTH=off on loopback (the token check is its own layer, tested in auth.test.ts and hostile-input.test.ts).
 */

/** Scenarios run against the real server; each must pass. */
export const APPLICABLE_SERVER_SCENARIOS = [
  // Lifecycle: initialize + initialized handshake through the SDK client.
  "server-initialize",
  // ping answered with {}.
  "ping",
  // tools/list: every tool has a name, a description and an inputSchema.
  "tools-list",
  // Local mode (auth off on loopback) must refuse a non-loopback Host/Origin with a 4xx and accept loopback ones.
  "dns-rebinding-protection",
] as const;

const FIXTURE_TOOL =
  "calls a fixture tool of the suite's reference 'everything' server (test_* / json_schema_2020_12_tool), which this weather server does not have; its own tools are exercised through the SDK client in tools.test.ts";
const ELICITATION_FIXTURE = `${FIXTURE_TOOL}; the scenario also needs server-to-client elicitation requests, which none of this server's tools make`;
const NO_RESOURCES = "the server offers no resources (no resources capability, resources/* is -32601): tools only";
const NO_PROMPTS = "the server offers no prompts (no prompts capability, prompts/* is -32601): tools only";

/** Scenarios that do not apply to this server, each with the reason. */
export const NOT_APPLICABLE_SERVER_SCENARIOS: Readonly<Record<string, string>> = {
  "logging-set-level": "the server declares no logging capability (it sends no log notifications to clients), so logging/setLevel is answered -32601 Method not found",
  "completion-complete": "the server declares no completions capability (completion/complete is -32601): completions complete prompt or resource-template arguments, and it has neither",
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
  "json-schema-2020-12": `${FIXTURE_TOOL} (pending in the suite itself)`,
  "elicitation-sep1034-defaults": ELICITATION_FIXTURE,
  "elicitation-sep1330-enums": `${ELICITATION_FIXTURE} (pending in the suite itself)`,
  "server-sse-polling":
    "needs a session, the fixture tool test_reconnection and resumable SSE (event store, GET with Last-Event-ID); the server is stateless by design (no Mcp-Session-Id, GET /mcp is 405) so any instance can serve any request",
  "server-sse-multiple-streams":
    "needs an Mcp-Session-Id to open several streams of one session; the server is stateless by design and issues none (the scenario then records only a WARNING and no check)",
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
};
