import { describe, expect, it } from "vitest";
import { cacheValues, noSecretTraceRule, streamingRule } from "../../apim-policy/rules/index.js";
import { LOGGABLE_VARIABLES, STREAMING } from "../../policies/contract.js";
import { sensitiveReason } from "../../apim-policy/rules/no-secret-trace.js";
import { cleanPolicySet, fragmentXml, policiesXml, policyDoc, withDocument, withXml } from "../../test-support/policy-fixtures.js";

// The rules as PolicyChecks runs them, with this product's contract.
const mcpStreaming = streamingRule(STREAMING);
const noSecretTrace = noSecretTraceRule({ loggableVariables: LOGGABLE_VARIABLES });

const mcp = (sections: Parameters<typeof policiesXml>[0]) =>
  policyDoc("api", "mcp", policiesXml({ backend: `<forward-request buffer-response="false" />`, ...sections }), { apiName: "mcp", streaming: true });

describe("rule mcp-streaming", () => {
  it("passes the clean set", () => {
    expect(mcpStreaming.check(cleanPolicySet())).toEqual([]);
  });

  it("fails a forward-request without buffer-response=\"false\"", () => {
    const set = withDocument(cleanPolicySet(), mcp({ backend: `<forward-request timeout="60" />` }));
    expect(mcpStreaming.check(set)).toEqual([
      {
        rule: "mcp-streaming",
        document: "mcp",
        message: `<forward-request> at line 4, column 12 has buffer-response=unset (default true); streaming APIs need buffer-response="false"`,
      },
    ]);
  });

  it("fails buffer-response=\"true\"", () => {
    const set = withDocument(cleanPolicySet(), mcp({ backend: `<forward-request buffer-response="true" />` }));
    expect(mcpStreaming.check(set)[0]!.message).toContain(`buffer-response="true"`);
  });

  it("fails a streaming API with no forward-request at all (inherited default buffers)", () => {
    const set = withDocument(cleanPolicySet(), mcp({ backend: `<base />` }));
    expect(mcpStreaming.check(set)).toEqual([
      {
        rule: "mcp-streaming",
        document: "mcp",
        message: `streaming API "mcp" has no <forward-request buffer-response="false"> in any of its policies; the inherited default buffers responses`,
      },
    ]);
  });

  it("fails a read of context.Response.Body, naming the expression", () => {
    const set = withDocument(cleanPolicySet(), mcp({ outbound: `<set-variable name="b" value="@(context.Response.Body.As<string>())" />` }));
    const v = mcpStreaming.check(set);
    expect(v).toHaveLength(1);
    expect(v[0]!.message).toBe(`<set-variable> at line 5, column 13 reads context.Response.Body ("@(context.Response.Body.As<string>())"); reading the response body buffers the stream`);
  });

  it("fails set-body and validate-content in outbound", () => {
    const set = withDocument(cleanPolicySet(), mcp({ outbound: `<set-body>{}</set-body><validate-content unspecified-content-type-action="prevent" max-size="100" size-exceeded-action="prevent" />` }));
    expect(mcpStreaming.check(set).map((v) => v.message.split(" at ")[0])).toEqual(["<set-body> in outbound", "<validate-content> in outbound"]);
  });

  it("fails a response-body read hidden in an included fragment", () => {
    let set = withDocument(cleanPolicySet(), mcp({ outbound: `<include-fragment fragment-id="oauth-cors" />` }));
    set = withXml(set, "oauth-cors", fragmentXml(`<set-body>@(context.Response.Body.As<string>())</set-body>`));
    const messages = mcpStreaming.check(set).map((v) => v.message);
    expect(messages).toHaveLength(2);
    expect(messages[0]).toMatch(/^<set-body> at line 3, column 1 reads context\.Response\.Body/);
    expect(messages[1]).toMatch(/^<set-body> in outbound/);
  });

  it("leaves non-streaming APIs alone", () => {
    const set = withDocument(cleanPolicySet(), { ...mcp({ backend: `<forward-request />`, outbound: `<set-body>@(context.Response.Body.As<string>())</set-body>` }), streaming: false });
    expect(mcpStreaming.check(set)).toEqual([]);
  });
});

describe("rule no-secret-trace", () => {
  const withTrace = (inbound: string) => withXml(cleanPolicySet(), "global", policiesXml({ inbound }));

  it("passes the clean set (it traces a request id)", () => {
    expect(cleanPolicySet().documents.some((d) => d.xml.includes("<trace"))).toBe(true);
    expect(noSecretTrace.check(cleanPolicySet())).toEqual([]);
  });

  it("fails a trace of the Entra token response, naming what it logs", () => {
    const set = withTrace(`<trace source="oauth" severity="information"><message>@((string)context.Variables["entraTokenResponse"])</message></trace>`);
    expect(noSecretTrace.check(set)).toEqual([
      {
        rule: "no-secret-trace",
        document: "global",
        message: `<trace> at line 3, column 12 logs "token": "@((string)context.Variables["entraTokenResponse"])"; never trace tokens, codes, verifiers, cookies, bodies or secrets`,
      },
    ]);
  });

  it("fails metadata carrying a code verifier, Authorization, cookies", () => {
    for (const [name, value] of [["v", "@((string)context.Variables[&quot;code_verifier&quot;])"], ["auth", "@(context.Request.Headers.GetValueOrDefault(&quot;Authorization&quot;, &quot;&quot;))"], ["Set-Cookie", "x"]] as const) {
      const set = withTrace(`<trace source="s"><message>m</message><metadata name="${name}" value="${value}" /></trace>`);
      expect(noSecretTrace.check(set), name).toHaveLength(1);
    }
  });

  it("fails a trace of a request body", () => {
    const v = noSecretTrace.check(withTrace(`<trace source="s"><message>@(context.Request.Body.As<string>(true))</message></trace>`));
    expect(v[0]!.message).toContain(`logs a message body ("context.Request.Body")`);
  });

  it("fails a trace of a secret named value", () => {
    const v = noSecretTrace.check(withTrace(`<trace source="s"><message>{{token-hmac-key}}</message></trace>`));
    expect(v[0]!.message).toContain(`logs secret named value "{{token-hmac-key}}"`);
  });

  it("fails context.Trace(...) in any expression", () => {
    const v = noSecretTrace.check(withTrace(`<set-variable name="x" value="@{ context.Trace("refresh " + context.Variables["rt"]); return 1; }" />`));
    expect(v).toHaveLength(1);
    expect(v[0]!.message).toMatch(/^context\.Trace\(\.\.\.\) in the expression at line 3, column 42 logs "refresh"/);
  });

  it("fails log-to-eventhub of a client assertion", () => {
    const v = noSecretTrace.check(withTrace(`<log-to-eventhub logger-id="l">@((string)context.Variables["client_assertion"])</log-to-eventhub>`));
    expect(v[0]!.message).toMatch(/^<log-to-eventhub> at line 3, column 12 logs "assertion": /);
  });

  it("fails a trace of a variable that holds a token under a harmless name, through copies", () => {
    const inbound = [
      `<send-request mode="new" response-variable-name="upstream" timeout="10"><set-url>https://login.microsoftonline.com/t/oauth2/v2.0/token</set-url></send-request>`,
      `<set-variable name="grant" value="@(((IResponse)context.Variables["upstream"]).Body.As<JObject>())" />`,
      `<set-variable name="copy" value="@(context.Variables.GetValueOrDefault<JObject>("grant"))" />`,
      `<trace source="oauth"><message>@(context.Variables["copy"].ToString())</message></trace>`,
    ].join("\n");
    const v = noSecretTrace.check(withTrace(inbound));
    expect(v).toHaveLength(1);
    expect(v[0]!.message).toMatch(/^<trace> at line 6, column 1 logs variable "copy", which holds a value derived from variable "grant", which holds a value derived from variable "upstream", which holds an upstream send-request response/);
  });

  it("fails a trace of a variable set from an Authorization header", () => {
    const inbound = `<set-variable name="h" value="@(context.Request.Headers.GetValueOrDefault(&quot;Authorization&quot;, &quot;&quot;))" />\n<trace source="s"><message>@((string)context.Variables["h"])</message></trace>`;
    expect(noSecretTrace.check(withTrace(inbound))[0]!.message).toContain(`logs variable "h", which holds "authorization"`);
  });

  it("allows harmless traces: status codes, request ids, client names", () => {
    expect(sensitiveReason(`@("upstream status code " + context.Response.StatusCode)`, new Set())).toBeUndefined();
    expect(sensitiveReason(`@("client " + (string)context.Variables["client_name"])`, new Set())).toBeUndefined();
    expect(sensitiveReason(`{{gateway-url}}`, new Set(["token-hmac-key"]))).toBeUndefined();
    expect(sensitiveReason(`@((string)context.Variables["client-name"])`, new Set(), new Map([["grant", "x"]]))).toBeUndefined();
  });
});

describe("rule cache-values", () => {
  const store = `<cache-store-value key="a" value="b" duration="60" />`;
  const lookup = (attrs: string) => `<cache-lookup-value key="a" ${attrs}variable-name="v" />`;

  it("passes the clean set", () => {
    expect(cacheValues.check(cleanPolicySet())).toEqual([]);
  });

  it("allows several cache policies in one section", () => {
    const set = withXml(cleanPolicySet(), "global", policiesXml({ inbound: lookup(`default-value="none" `) + lookup(`default-value="none" `) + store + store }));
    expect(cacheValues.check(set)).toEqual([]);
  });

  it.each([["60"], ["{{oauth-refresh-token-ttl}}"], ["@((int)context.Variables[\"s\"])"]])("accepts the int duration %s", (duration) => {
    const set = withXml(cleanPolicySet(), "global", policiesXml({ inbound: `<cache-store-value key="a" value="b" duration="${duration.replace(/"/g, "&quot;")}" />` }));
    expect(cacheValues.check(set)).toEqual([]);
  });

  it.each([["@((long)context.Variables[\"s\"])"], ["1.5"], ["@(60L)"]])("fails the duration %s, which is not int seconds", (duration) => {
    const set = withXml(cleanPolicySet(), "global", policiesXml({ inbound: `<cache-store-value key="a" value="b" duration="${duration.replace(/"/g, "&quot;")}" />` }));
    expect(cacheValues.check(set).map((v) => v.message)).toEqual([expect.stringContaining("expected whole seconds")]);
  });

  it("fails a cache-lookup-value without default-value, naming where", () => {
    const set = withXml(cleanPolicySet(), "global", policiesXml({ inbound: lookup("") }));
    expect(cacheValues.check(set)).toEqual([
      { rule: "cache-values", document: "global", message: expect.stringMatching(/^<cache-lookup-value> at line 3, column \d+ has no default-value/) },
    ]);
  });
});
