import { afterEach, describe, expect, it } from "vitest";
import http from "node:http";
import { PolicyInterpreter } from "../../local/gateway/interpreter.js";
import { ValueCache } from "../../local/gateway/runtime-services.js";
import { responseValue } from "../../local/gateway/interpreter.js";
import { HeaderBag } from "../../local/gateway/headers.js";
import { FakeLiteralEvaluator } from "../../test-support/local-fake-expressions.js";
import { startBackend, startTestGateway, testConfig } from "../../test-support/local-gateway.js";
import { policiesXml } from "../../test-support/policy-fixtures.js";
import { startGateway } from "../../local/gateway/server.js";

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

async function gateway(...args: Parameters<typeof startTestGateway>) {
  const gw = await startTestGateway(...args);
  cleanups.push(() => gw.close());
  return gw;
}

async function backend(...args: Parameters<typeof startBackend>) {
  const b = await startBackend(...args);
  cleanups.push(() => b.close());
  return b;
}

const quiet = { debug: () => undefined, warn: () => undefined };

describe("local gateway policy interpreter", () => {
  it("forwards to the service URL by default (APIM's default global policy)", async () => {
    const be = await backend();
    const gw = await gateway(testConfig({ apis: [{ path: "mcp", serviceUrl: `${be.url}/base`, operations: [{ method: "POST", urlTemplate: "/{*rest}" }] }] }));
    const res = await fetch(`${gw.url}/mcp/a/b?x=1`, { method: "POST", body: "hello" });
    expect(res.status).toBe(200);
    expect(be.requests[0]).toMatchObject({ method: "POST", url: "/base/a/b?x=1", body: "hello" });
  });

  it("runs global, API and operation scopes in <base/> order", async () => {
    const be = await backend();
    const append = (v: string) => `<set-header name="X-Order" exists-action="append"><value>${v}</value></set-header>`;
    const gw = await gateway(
      testConfig({
        global: policiesXml({ inbound: append("global"), backend: "<forward-request />" }),
        apis: [
          {
            serviceUrl: be.url,
            policy: policiesXml({ inbound: `${append("api-before")}<base />${append("api-after")}` }),
            operations: [{ policy: policiesXml({ inbound: `<base />${append("operation")}` }) }],
          },
        ],
      }),
    );
    await fetch(`${gw.url}/`);
    expect(be.requests[0]!.headers["x-order"]).toBe("api-before, global, api-after, operation");
  });

  it("treats a missing section as <base/>", async () => {
    const be = await backend();
    const gw = await gateway(testConfig({ apis: [{ serviceUrl: be.url, policy: "<policies><inbound><set-header name='X-A' exists-action='override'><value>1</value></set-header></inbound></policies>" }] }));
    const res = await fetch(`${gw.url}/`);
    expect(res.status).toBe(200);
    expect(be.requests[0]!.headers["x-a"]).toBe("1");
  });

  it("return-response stops the pipeline with set-status, set-header and set-body, skipping backend and outbound", async () => {
    const be = await backend();
    const gw = await gateway(
      testConfig({
        apis: [
          {
            serviceUrl: be.url,
            policy: policiesXml({
              inbound: `<return-response><set-status code="401" reason="Unauthorized" /><set-header name="WWW-Authenticate" exists-action="override"><value>Bearer realm="x"</value></set-header><set-body>@("denied")</set-body></return-response><set-header name="X-Never" exists-action="override"><value>1</value></set-header>`,
              outbound: `<set-header name="X-Outbound" exists-action="override"><value>1</value></set-header>`,
            }),
          },
        ],
      }),
    );
    const res = await fetch(`${gw.url}/`);
    expect(res.status).toBe(401);
    expect(res.headers.get("www-authenticate")).toBe('Bearer realm="x"');
    expect(res.headers.get("x-outbound")).toBeNull();
    expect(await res.text()).toBe("denied");
    expect(be.requests).toHaveLength(0);
  });

  it("choose runs the first true <when>, else <otherwise>", async () => {
    const mk = (a: string, b: string) =>
      testConfig({
        apis: [
          {
            policy: policiesXml({
              inbound: `<choose><when condition="@(${a})"><return-response><set-status code="201" reason="Test" /></return-response></when><when condition="@(${b})"><return-response><set-status code="202" reason="Test" /></return-response></when><otherwise><return-response><set-status code="203" reason="Test" /></return-response></otherwise></choose>`,
            }),
          },
        ],
      });
    const statuses: number[] = [];
    for (const [a, b] of [["true", "true"], ["false", "true"], ["false", "false"]] as const) {
      const gw = await gateway(mk(a, b));
      statuses.push((await fetch(`${gw.url}/`)).status);
    }
    expect(statuses).toEqual([201, 202, 203]);
  });

  it("fails a condition that is not a bool into on-error", async () => {
    const ev = new FakeLiteralEvaluator();
    const gw = await gateway(
      testConfig({ apis: [{ policy: policiesXml({ inbound: `<choose><when condition='@("yes")'><return-response /></when></choose>`, onError: `<return-response><set-status code="418" reason="Test" /></return-response>` }) }] }),
      { evaluator: ev },
    );
    const res = await fetch(`${gw.url}/`);
    expect(res.status).toBe(418);
  });

  it("set-header override, skip, append and delete act on the request in inbound and the response in outbound", async () => {
    const be = await backend((_req, _body, res) => {
      res.writeHead(200, { "X-Drop": "1", "X-Keep": "backend" });
      res.end("ok");
    });
    const gw = await gateway(
      testConfig({
        apis: [
          {
            serviceUrl: be.url,
            policy: policiesXml({
              inbound: [
                `<set-header name="X-Over" exists-action="override"><value>new</value></set-header>`,
                `<set-header name="X-Skip" exists-action="skip"><value>policy</value></set-header>`,
                `<set-header name="X-App" exists-action="append"><value>b</value></set-header>`,
                `<set-header name="X-Del" exists-action="delete" />`,
              ].join(""),
              outbound: `<set-header name="X-Drop" exists-action="delete" /><set-header name="X-Keep" exists-action="skip"><value>policy</value></set-header><set-header name="X-Out" exists-action="override"><value>1</value><value>2</value></set-header>`,
            }),
          },
        ],
      }),
    );
    const res = await fetch(`${gw.url}/`, { headers: { "X-Over": "old", "X-Skip": "client", "X-App": "a", "X-Del": "gone" } });
    const h = be.requests[0]!.headers;
    expect([h["x-over"], h["x-skip"], h["x-app"], h["x-del"]]).toEqual(["new", "client", "a, b", undefined]);
    expect([res.headers.get("x-drop"), res.headers.get("x-keep"), res.headers.get("x-out")]).toEqual([null, "backend", "1, 2"]);
  });

  it("set-header takes its name and exists-action from policy expressions, and refuses a name that is no header name", async () => {
    const be = await backend();
    const gw = await gateway(
      testConfig({
        apis: [
          {
            serviceUrl: be.url,
            policy: policiesXml({
              inbound: [
                `<set-header name="@(&quot;X-Client-Principal&quot;)" exists-action="@(&quot;delete&quot;)" />`,
                `<set-header name="@(&quot;X-Named&quot;)"><value>set</value></set-header>`,
                `<set-query-parameter name="@(&quot;q&quot;)" exists-action="delete" />`,
              ].join(""),
            }),
          },
        ],
      }),
    );
    expect((await fetch(`${gw.url}/?q=1&keep=2`, { headers: { "X-Client-Principal": "forged", "X-Other": "stays" } })).status).toBe(200);
    const forwarded = be.requests[0]!;
    expect([forwarded.headers["x-client-principal"], forwarded.headers["x-named"], forwarded.headers["x-other"], forwarded.url]).toEqual([undefined, "set", "stays", "/?keep=2"]);

    const bad = await gateway(testConfig({ apis: [{ serviceUrl: be.url, policy: policiesXml({ inbound: `<set-header name="@(&quot;Bad Name&quot;)" exists-action="delete" />`, onError: `<return-response><set-status code="500" reason="Policy" /><set-body>@(&quot;refused&quot;)</set-body></return-response>` }) }] }));
    const refused = await fetch(`${bad.url}/`);
    expect([refused.status, await refused.text()]).toEqual([500, "refused"]);
    expect(be.requests).toHaveLength(1);
  });

  it("set-body, set-method and set-query-parameter change the forwarded request; set-status and set-body the response", async () => {
    const be = await backend();
    const gw = await gateway(
      testConfig({
        apis: [
          {
            serviceUrl: be.url,
            policy: policiesXml({
              inbound: `<set-method>PUT</set-method><set-body>{"replaced":true}</set-body><set-query-parameter name="q" exists-action="override"><value>2</value></set-query-parameter>`,
              outbound: `<set-status code="299" reason="Fine" /><set-body>@("outbound body")</set-body>`,
            }),
          },
        ],
      }),
    );
    const res = await fetch(`${gw.url}/?q=1&keep=yes`, { method: "GET" });
    expect(be.requests[0]).toMatchObject({ method: "PUT", url: "/?q=2&keep=yes", body: '{"replaced":true}' });
    expect(res.status).toBe(299);
    expect(res.statusText).toBe("Fine");
    expect(await res.text()).toBe("outbound body");
  });

  it("rewrite-uri fills template parameters and keeps unmatched query parameters", async () => {
    const be = await backend();
    const gw = await gateway(
      testConfig({
        apis: [{ path: "api", serviceUrl: `${be.url}/svc`, operations: [{ urlTemplate: "/items/{id}", policy: policiesXml({ inbound: `<base /><rewrite-uri template="/v2/things/{id}" />` }) }] }],
      }),
    );
    await fetch(`${gw.url}/api/items/a%20b?x=1`);
    expect(be.requests[0]!.url).toBe("/svc/v2/things/a%20b?x=1");
  });

  it("substitutes {{named values}} before compiling expressions", async () => {
    const ev = new FakeLiteralEvaluator();
    const gw = await gateway(
      testConfig({
        namedValues: { Greeting: '"hi"', Code: "207" },
        apis: [{ policy: policiesXml({ inbound: `<return-response><set-status code="{{Code}}" reason="Test" /><set-body>@({{Greeting}})</set-body></return-response>` }) }],
      }),
      { evaluator: ev },
    );
    const res = await fetch(`${gw.url}/`);
    expect(res.status).toBe(207);
    expect(await res.text()).toBe("hi");
    expect(ev.compiled).toEqual(['@("hi")']);
  });

  it("compiles every expression of every document in one batch at startup", async () => {
    const ev = new FakeLiteralEvaluator();
    await gateway(
      testConfig({
        global: policiesXml({ inbound: `<set-variable name="a" value="@(1)" />`, backend: "<forward-request />" }),
        fragments: { f: `<fragment><set-variable name="b" value="@(2)" /></fragment>` },
        apis: [{ policy: policiesXml({ inbound: `<base /><include-fragment fragment-id="f" />` }), operations: [{ policy: policiesXml({ outbound: `<set-body>@("x")</set-body>` }) }] }],
      }),
      { evaluator: ev },
    );
    expect([...ev.compiled].sort()).toEqual(['@("x")', "@(1)", "@(2)"]);
  });

  it("set-variable stores typed values that later expressions see in context.Variables", async () => {
    const ev = new FakeLiteralEvaluator();
    const gw = await gateway(testConfig({ apis: [{ policy: policiesXml({ inbound: `<set-variable name="n" value="@(42)" /><set-variable name="s" value="plain" /><return-response><set-body>@("done")</set-body></return-response>` }) }] }), { evaluator: ev });
    await fetch(`${gw.url}/`);
    const last = ev.evaluations.at(-1)!;
    expect(last.ctx.variables).toEqual({ n: { type: "int", value: 42 }, s: { type: "string", value: "plain" } });
    expect(last.ctx.request?.method).toBe("GET");
    expect(last.ctx.api?.path).toBe("");
  });

  it("include-fragment inlines the fragment's statements", async () => {
    const gw = await gateway(
      testConfig({
        fragments: { deny: `<fragment><return-response><set-status code="403" reason="Test" /></return-response></fragment>` },
        apis: [{ policy: policiesXml({ inbound: `<include-fragment fragment-id="deny" />` }) }],
      }),
    );
    expect((await fetch(`${gw.url}/`)).status).toBe(403);
  });

  it("cache-store-value, cache-lookup-value (with default) and cache-remove-value use the in-memory cache", async () => {
    const cache = new ValueCache();
    const ev = new FakeLiteralEvaluator();
    const config = testConfig({
      apis: [
        {
          operations: [
            { id: "store", method: "POST", urlTemplate: "/store", policy: policiesXml({ inbound: `<cache-store-value key="k" value="@(&quot;v&quot;)" duration="60" /><return-response />` }) },
            { id: "lookup", method: "GET", urlTemplate: "/lookup", policy: policiesXml({ inbound: `<cache-lookup-value key="k" variable-name="got" default-value="none" /><return-response><set-body>@("probe")</set-body></return-response>` }) },
            { id: "remove", method: "DELETE", urlTemplate: "/store", policy: policiesXml({ inbound: `<cache-remove-value key="k" /><return-response />` }) },
          ],
        },
      ],
    });
    const interp = await PolicyInterpreter.create(config, { evaluator: ev, cache, logger: quiet });
    expect(interp.allExpressions).toContain('@("v")');
    const gw = await startGateway(config, { evaluator: ev, cache, logger: quiet });
    cleanups.push(() => gw.close());
    const lookup = async () => {
      await fetch(`${gw.url}/lookup`);
      return ev.evaluations.at(-1)!.ctx.variables!.got;
    };
    expect(await lookup()).toEqual({ type: "string", value: "none" });
    await fetch(`${gw.url}/store`, { method: "POST" });
    expect(await lookup()).toEqual({ type: "string", value: "v" });
    await fetch(`${gw.url}/store`, { method: "DELETE" });
    expect(await lookup()).toEqual({ type: "string", value: "none" });
  });

  it("cache entries expire after their duration", () => {
    let now = 1000;
    const cache = new ValueCache(() => now);
    cache.store("k", { type: "string", value: "v" }, 10);
    now += 9_999;
    expect(cache.lookup("k")).toEqual({ type: "string", value: "v" });
    now += 1;
    expect(cache.lookup("k")).toBeUndefined();
  });

  it("send-request stores the response (IResponse) and return-response can send it back", async () => {
    const be = await backend((req, body, res) => {
      res.writeHead(202, { "Content-Type": "text/plain", "X-Seen-Method": req.method ?? "" });
      res.end(`got ${body} ${req.headers["x-custom"]}`);
    });
    const gw = await gateway(
      testConfig({
        apis: [
          {
            policy: policiesXml({
              inbound: `<send-request mode="new" response-variable-name="r" timeout="5"><set-url>${be.url}/token</set-url><set-method>POST</set-method><set-header name="X-Custom" exists-action="override"><value>c</value></set-header><set-body>payload</set-body></send-request><return-response response-variable-name="r" />`,
            }),
          },
        ],
      }),
    );
    const res = await fetch(`${gw.url}/`);
    expect(res.status).toBe(202);
    expect(res.headers.get("x-seen-method")).toBe("POST");
    expect(await res.text()).toBe("got payload c");
  });

  it("send-request with ignore-error sets the variable to null on failure; without it, on-error runs with LastError", async () => {
    const ev = new FakeLiteralEvaluator();
    const dead = "http://127.0.0.1:9/";
    const gw = await gateway(
      testConfig({
        apis: [
          {
            operations: [
              { id: "ignore", urlTemplate: "/ignore", policy: policiesXml({ inbound: `<send-request response-variable-name="r" timeout="2" ignore-error="true"><set-url>${dead}</set-url></send-request><return-response><set-body>@("probe")</set-body></return-response>` }) },
              { id: "fail", urlTemplate: "/fail", policy: policiesXml({ inbound: `<send-request response-variable-name="r" timeout="2"><set-url>${dead}</set-url></send-request>`, onError: `<return-response><set-status code="502" reason="Test" /><set-body>@("probe")</set-body></return-response>` }) },
            ],
          },
        ],
      }),
      { evaluator: ev },
    );
    await fetch(`${gw.url}/ignore`);
    expect(ev.evaluations.at(-1)!.ctx.variables!.r).toEqual({ type: "null" });
    const res = await fetch(`${gw.url}/fail`);
    expect(res.status).toBe(502);
    expect(ev.evaluations.at(-1)!.ctx.lastError).toMatchObject({ source: "send-request", reason: "SendRequestFailure", section: "inbound" });
  });

  it("forward-request buffer-response=false streams server-sent events before the backend finishes", async () => {
    let release: () => void = () => undefined;
    const released = new Promise<void>((r) => (release = r));
    const be = await backend((_req, _body, res) => {
      res.writeHead(200, { "Content-Type": "text/event-stream" });
      res.write("data: first\n\n");
      void released.then(() => res.end("data: second\n\n"));
    });
    const gw = await gateway(testConfig({ apis: [{ serviceUrl: be.url, policy: policiesXml({ backend: `<forward-request buffer-response="false" timeout="10" />` }) }] }));
    const res = await fetch(`${gw.url}/`);
    expect(res.headers.get("content-type")).toBe("text/event-stream");
    const reader = res.body!.getReader();
    const first = await reader.read();
    expect(Buffer.from(first.value!).toString()).toBe("data: first\n\n");
    release();
    let rest = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      rest += Buffer.from(value).toString();
    }
    expect(rest).toBe("data: second\n\n");
  });

  it("forward-request to an unreachable backend runs on-error with context.LastError", async () => {
    const ev = new FakeLiteralEvaluator();
    const gw = await gateway(
      testConfig({ apis: [{ serviceUrl: "http://127.0.0.1:9", policy: policiesXml({ onError: `<set-status code="503" reason="Test" /><set-header name="X-Probe" exists-action="override"><value>@("probe")</value></set-header>` }) }] }),
      { evaluator: ev },
    );
    const res = await fetch(`${gw.url}/`);
    expect(res.status).toBe(503);
    expect(res.headers.get("x-probe")).toBe("probe");
    expect(ev.evaluations.at(-1)!.ctx.lastError).toMatchObject({ source: "forward-request", reason: "BackendConnectionFailure", section: "backend" });
  });

  it("forward-request gives up after its timeout", async () => {
    const ev = new FakeLiteralEvaluator();
    const be = await backend(() => undefined);
    const gw = await gateway(
      testConfig({ apis: [{ serviceUrl: be.url, policy: policiesXml({ backend: `<forward-request timeout-ms="200" />`, onError: `<set-header name="X-Probe" exists-action="override"><value>@("probe")</value></set-header>` }) }] }),
      { evaluator: ev },
    );
    const res = await fetch(`${gw.url}/`);
    expect(res.status).toBe(500);
    expect(ev.evaluations.at(-1)!.ctx.lastError).toMatchObject({ source: "forward-request", reason: "Timeout" });
  });

  it("authentication-managed-identity sets the bearer token or an output variable from the token endpoint", async () => {
    const msi = await backend((req, _b, res) => {
      const u = new URL(req.url!, "http://x");
      res.writeHead(200, { "Content-Type": "application/json" });
      res.end(JSON.stringify({ access_token: `tok-for-${u.searchParams.get("resource")}-${u.searchParams.get("client_id")}` }));
    });
    const be = await backend();
    const ev = new FakeLiteralEvaluator();
    const gw = await gateway(
      testConfig({
        apis: [
          {
            serviceUrl: be.url,
            policy: policiesXml({ inbound: `<authentication-managed-identity resource="api://app" client-id="mi-1" /><authentication-managed-identity resource="api://AzureADTokenExchange" output-token-variable-name="assertion" /><set-header name="X-Probe" exists-action="override"><value>@("probe")</value></set-header>` }),
          },
        ],
      }),
      { evaluator: ev, managedIdentityTokenUrl: `${msi.url}/msi/token` },
    );
    await fetch(`${gw.url}/`);
    expect(be.requests[0]!.headers.authorization).toBe("Bearer tok-for-api://app-mi-1");
    expect(ev.evaluations.at(-1)!.ctx.variables!.assertion).toEqual({ type: "string", value: "tok-for-api://AzureADTokenExchange-null" });
  });

  it("rate-limit-by-key answers 429 with Retry-After once the key's calls are used up", async () => {
    const gw = await gateway(testConfig({ apis: [{ policy: policiesXml({ inbound: `<rate-limit-by-key calls="2" renewal-period="60" counter-key="@(&quot;client-a&quot;)" /><return-response />` }) }] }));
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await fetch(`${gw.url}/`)).status);
    expect(statuses).toEqual([200, 200, 429]);
    const res = await fetch(`${gw.url}/`);
    expect(Number(res.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(await res.json()).toMatchObject({ statusCode: 429 });
  });

  it("rate-limit-by-key fails into on-error as API Management documents: LastError RateLimitExceeded, context.Response the 429, outbound skipped", async () => {
    const ev = new FakeLiteralEvaluator();
    const gw = await gateway(
      testConfig({
        apis: [
          {
            policy: policiesXml({
              inbound: `<rate-limit-by-key calls="1" renewal-period="60" counter-key="@(&quot;client-b&quot;)" /><return-response />`,
              outbound: `<set-header name="X-Outbound" exists-action="override"><value>ran</value></set-header>`,
              onError: `<set-header name="X-Error" exists-action="override"><value>@("on-error ran")</value></set-header>`,
            }),
          },
        ],
      }),
      { evaluator: ev },
    );
    expect((await fetch(`${gw.url}/`)).status).toBe(200);
    const res = await fetch(`${gw.url}/`);
    expect(res.status).toBe(429);
    expect(res.headers.get("x-error")).toBe("on-error ran");
    const seen = ev.evaluations.at(-1)!.ctx;
    expect(seen.lastError).toMatchObject({ source: "rate-limit-by-key", reason: "RateLimitExceeded", message: "Rate limit is exceeded", section: "inbound" });
    expect(seen.response?.statusCode).toBe(429);
    expect(res.headers.get("x-outbound")).toBeNull();
    expect(Number(res.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(await res.json()).toMatchObject({ statusCode: 429 });
  });

  it("refuses to load a policy with an empty <when>, naming where", async () => {
    await expect(gateway(testConfig({ apis: [{ policy: policiesXml({ inbound: `<choose><when condition="@(true)" /></choose>` }) }] }))).rejects.toThrow(/<when> inside <choose> holds no policy statement/);
  });

  describe("cors", () => {
    const corsPolicy = `<cors allow-credentials="false"><allowed-origins><origin>*</origin></allowed-origins><allowed-methods preflight-result-max-age="300"><method>GET</method><method>POST</method></allowed-methods><allowed-headers><header>Authorization</header><header>Content-Type</header></allowed-headers><expose-headers><header>WWW-Authenticate</header></expose-headers></cors>`;
    const cfg = () =>
      testConfig({
        apis: [
          {
            policy: policiesXml({ inbound: `${corsPolicy}<return-response><set-status code="401" reason="Test" /><set-header name="WWW-Authenticate" exists-action="override"><value>Bearer</value></set-header></return-response>` }),
            operations: [{ method: "POST", urlTemplate: "/register" }],
          },
        ],
      });

    it("answers an allowed preflight (even without an OPTIONS operation) with the allowed methods and headers", async () => {
      const gw = await gateway(cfg());
      const res = await fetch(`${gw.url}/register`, {
        method: "OPTIONS",
        headers: { Origin: "http://localhost:6274", "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type, authorization" },
      });
      expect(res.status).toBe(200);
      expect(res.headers.get("access-control-allow-origin")).toBe("*");
      expect(res.headers.get("access-control-allow-methods")).toBe("GET,POST");
      expect(res.headers.get("access-control-allow-headers")).toBe("content-type,authorization");
      expect(res.headers.get("access-control-max-age")).toBe("300");
    });

    it("answers a preflight asking for a header not allowed without CORS headers", async () => {
      const gw = await gateway(cfg());
      const res = await fetch(`${gw.url}/register`, {
        method: "OPTIONS",
        headers: { Origin: "http://localhost:6274", "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "x-evil" },
      });
      expect(res.status).toBe(200);
      expect(res.headers.get("access-control-allow-origin")).toBeNull();
    });

    it("adds Allow-Origin and Expose-Headers to a cross-origin response, including a return-response 401", async () => {
      const gw = await gateway(cfg());
      const res = await fetch(`${gw.url}/register`, { method: "POST", headers: { Origin: "http://localhost:6274" } });
      expect(res.status).toBe(401);
      expect(res.headers.get("access-control-allow-origin")).toBe("*");
      expect(res.headers.get("access-control-expose-headers")).toBe("WWW-Authenticate");
    });

    it("fails at load time when credentials are combined with origin *", async () => {
      const bad = testConfig({ apis: [{ policy: policiesXml({ inbound: `<cors allow-credentials="true"><allowed-origins><origin>*</origin></allowed-origins></cors>` }) }] });
      await expect(PolicyInterpreter.create(bad, { evaluator: new FakeLiteralEvaluator(), logger: quiet })).rejects.toThrow(/allow-credentials="true" cannot be combined with origin "\*"/);
    });
  });

  it("answers 404 like APIM for an unknown API or operation", async () => {
    const gw = await gateway(testConfig({ apis: [{ path: "mcp", operations: [{ method: "POST", urlTemplate: "/" }] }] }));
    for (const [method, path] of [["GET", "/nope"], ["GET", "/mcp"], ["POST", "/mcp/x"]] as const) {
      const res = await fetch(`${gw.url}${path}`, { method });
      expect(res.status).toBe(404);
      expect(await res.json()).toEqual({ statusCode: 404, message: "Resource not found" });
    }
  });

  it("refuses a request body over the size limit with 413", async () => {
    const gw = await startGateway(testConfig({ apis: [{ operations: [{ method: "POST" }], policy: policiesXml({ inbound: "<return-response />" }) }] }), { evaluator: new FakeLiteralEvaluator(), logger: quiet, maxRequestBodyBytes: 10 });
    cleanups.push(() => gw.close());
    const res = await fetch(`${gw.url}/`, { method: "POST", body: "x".repeat(11) });
    expect(res.status).toBe(413);
  });

  it("trace is a no-op that does not change the response", async () => {
    const gw = await gateway(testConfig({ apis: [{ policy: policiesXml({ inbound: `<trace source="test" severity="information"><message>@("secret")</message><metadata name="a" value="b" /></trace><return-response><set-status code="204" reason="Test" /></return-response>` }) }] }));
    expect((await fetch(`${gw.url}/`)).status).toBe(204);
  });

  it("builds a response (IResponse) value for response variables", () => {
    const h = new HeaderBag();
    h.set("A", ["1"]);
    expect(responseValue({ status: 200, reason: "OK", headers: h, body: Buffer.from("b") })).toEqual({ type: "response", value: { statusCode: 200, statusReason: "OK", headers: { A: ["1"] }, body: "b" } });
    expect(responseValue({ status: 200, reason: "OK", headers: h, body: Buffer.from([0xff, 0x00]) })).toMatchObject({ value: { body: { base64: "/wA=" } } });
  });

  describe("fails loudly at load time", () => {
    const load = (cfg: ReturnType<typeof testConfig>) => PolicyInterpreter.create(cfg, { evaluator: new FakeLiteralEvaluator(), logger: quiet });

    it("fails on an unknown policy element, naming it", async () => {
      await expect(load(testConfig({ apis: [{ policy: policiesXml({ inbound: "<validate-jwt header-name='Authorization' />" }) }] }))).rejects.toThrow(/<validate-jwt> is not implemented by the local gateway/);
    });

    it("fails on an unknown attribute, naming it", async () => {
      await expect(load(testConfig({ apis: [{ policy: policiesXml({ inbound: "<set-variable name='a' value='b' colour='red' />" }) }] }))).rejects.toThrow(
        /<set-variable>: attribute "colour" of <set-variable> is not one API Management knows for it; expected name, value/,
      );
    });

    it("fails on an undefined fragment", async () => {
      await expect(load(testConfig({ apis: [{ policy: policiesXml({ inbound: "<include-fragment fragment-id='missing' />" }) }] }))).rejects.toThrow(/fragment "missing" is not defined/);
    });

    it("fails on an undefined named value", async () => {
      await expect(load(testConfig({ apis: [{ policy: policiesXml({ inbound: "<set-variable name='a' value='{{Nope}}' />" }) }] }))).rejects.toThrow(/\{\{Nope\}\}/);
    });

    it("fails on <base/> inside a control-flow element", async () => {
      await expect(load(testConfig({ apis: [{ policy: policiesXml({ inbound: "<choose><when condition='@(true)'><base /></when></choose>" }) }] }))).rejects.toThrow(/<base\/> may only appear directly in a section/);
    });

    it("fails on an expression the evaluator cannot compile", async () => {
      await expect(load(testConfig({ apis: [{ policy: policiesXml({ inbound: "<set-variable name='a' value='@(context.Nope)' />" }) }] }))).rejects.toThrow(/not a literal expression/);
    });

    it("fails on malformed XML with the document name", async () => {
      await expect(load(testConfig({ apis: [{ name: "broken", policy: "<policies><inbound></policies>" }] }))).rejects.toThrow(/policy api broken: not well-formed/);
    });

    it("loads several cache-store-value in one section, fragments included, as APIM's value cache allows", async () => {
      const cache = new ValueCache();
      const cfg = testConfig({
        fragments: { store: `<fragment><cache-store-value key="b" value="2" duration="5" /></fragment>` },
        apis: [{ policy: policiesXml({ inbound: `<cache-store-value key="a" value="1" duration="5" /><include-fragment fragment-id="store" /><return-response><set-status code="204" reason="No Content" /></return-response>` }) }],
      });
      const gw = await startGateway(cfg, { evaluator: new FakeLiteralEvaluator(), cache, logger: quiet });
      cleanups.push(() => gw.close());
      expect((await fetch(`${gw.url}/`)).status).toBe(204);
      expect([cache.lookup("a"), cache.lookup("b")]).toEqual([{ type: "string", value: "1" }, { type: "string", value: "2" }]);
    });

    it("fails on a missing attribute API Management requires, as the static checks do", async () => {
      await expect(load(testConfig({ apis: [{ policy: policiesXml({ outbound: `<set-status code="200" />` }) }] }))).rejects.toThrow(/<set-status>: <set-status> has no attribute "reason", which API Management requires/);
    });

    it("fails on a policy in a section API Management does not allow it in, fragments inlined", async () => {
      const cfg = testConfig({ fragments: { fwd: `<fragment><forward-request /></fragment>` }, apis: [{ policy: policiesXml({ inbound: `<include-fragment fragment-id="fwd" />` }) }] });
      await expect(load(cfg)).rejects.toThrow(/policy fragment fwd line 1 <forward-request>: <forward-request> may not appear in <inbound>; API Management allows it in backend/);
    });

    it("fails on an attribute API Management knows that the local gateway does not implement", async () => {
      await expect(load(testConfig({ apis: [{ policy: policiesXml({ inbound: `<set-backend-service base-url="http://x" sf-resolve-condition="@(true)" />` }) }] }))).rejects.toThrow(
        /attribute "sf-resolve-condition" is not implemented by the local gateway; expected base-url, backend-id/,
      );
    });

    it("fails on a liquid template, which is not implemented", async () => {
      await expect(load(testConfig({ apis: [{ policy: policiesXml({ outbound: "<set-body template='liquid'>x</set-body>" }) }] }))).rejects.toThrow(/template="liquid" is not implemented/);
    });
  });

  it("keeps the request body available to the backend for a plain pass-through", async () => {
    const be = await backend();
    const gw = await gateway(testConfig({ apis: [{ serviceUrl: be.url, operations: [{ method: "POST" }] }] }));
    const big = "y".repeat(100_000);
    await new Promise<void>((resolve, reject) => {
      const u = new URL(gw.url);
      const req = http.request({ host: u.hostname, port: u.port, method: "POST", path: "/", headers: { "Content-Type": "text/plain" } }, (res) => {
        res.resume();
        res.on("end", resolve);
      });
      req.on("error", reject);
      req.end(big);
    });
    expect(be.requests[0]!.body.length).toBe(100_000);
  });
});

describe("local gateway policy interpreter: more paths", () => {
  it("send-request mode=copy starts from the current request; set-backend-service picks a backend by id", async () => {
    const side = await backend();
    const main = await backend();
    const gw = await gateway(
      testConfig({
        backends: { other: `${main.url}/v9` },
        apis: [
          {
            path: "api",
            serviceUrl: "http://127.0.0.1:9/unused",
            operations: [{ method: "POST", urlTemplate: "/x" }],
            policy: policiesXml({
              inbound: `<send-request mode="copy" response-variable-name="copy" timeout="5"><set-url>${side.url}/copied</set-url></send-request><set-backend-service backend-id="other" />`,
            }),
          },
        ],
      }),
    );
    const res = await fetch(`${gw.url}/api/x?q=1`, { method: "POST", headers: { "X-Client": "c" }, body: "payload" });
    expect(res.status).toBe(200);
    expect(side.requests[0]).toMatchObject({ method: "POST", url: "/copied", body: "payload" });
    expect(side.requests[0]!.headers["x-client"]).toBe("c");
    expect(main.requests[0]).toMatchObject({ method: "POST", url: "/v9/x?q=1", body: "payload" });
  });

  it("a return-response inside on-error decides the answer; an error inside on-error answers 500", async () => {
    const gw = await gateway(
      testConfig({
        apis: [
          {
            operations: [
              { id: "a", urlTemplate: "/a", policy: policiesXml({ inbound: `<rewrite-uri template="/{missing}" />`, onError: `<return-response><set-status code="409" reason="Test" /></return-response>` }) },
              {
                id: "b",
                urlTemplate: "/b",
                policy: policiesXml({ inbound: `<rewrite-uri template="/{missing}" />`, onError: `<send-request response-variable-name="r" timeout="2"><set-url>http://127.0.0.1:9/</set-url></send-request>` }),
              },
            ],
          },
        ],
      }),
    );
    expect((await fetch(`${gw.url}/a`)).status).toBe(409);
    const b = await fetch(`${gw.url}/b`);
    expect(b.status).toBe(500);
    expect(await b.json()).toEqual({ statusCode: 500, message: "Internal server error" });
  });

  it("rate-limit-by-key does not count calls whose increment-condition is false", async () => {
    const gw = await gateway(testConfig({ apis: [{ policy: policiesXml({ inbound: `<rate-limit-by-key calls="1" renewal-period="60" counter-key="k" increment-condition="@(false)" /><return-response />` }) }] }));
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await fetch(`${gw.url}/`)).status);
    expect(statuses).toEqual([200, 200, 200]);
  });

  it("cors ends a GET from an origin not allowed with an empty 200, and lets a POST through without CORS headers", async () => {
    const be = await backend();
    const gw = await gateway(
      testConfig({
        apis: [
          {
            serviceUrl: be.url,
            operations: [{ method: "GET" }, { method: "POST" }],
            policy: policiesXml({ inbound: `<cors allow-credentials="true"><allowed-origins><origin>https://good.example</origin></allowed-origins></cors>` }),
          },
        ],
      }),
    );
    const get = await fetch(`${gw.url}/`, { headers: { Origin: "https://evil.example" } });
    expect(get.status).toBe(200);
    expect(await get.text()).toBe("");
    const post = await fetch(`${gw.url}/`, { method: "POST", headers: { Origin: "https://evil.example" } });
    expect(post.headers.get("access-control-allow-origin")).toBeNull();
    const good = await fetch(`${gw.url}/`, { headers: { Origin: "https://good.example" } });
    expect(good.headers.get("access-control-allow-origin")).toBe("https://good.example");
    expect(good.headers.get("access-control-allow-credentials")).toBe("true");
    expect(be.requests.map((r) => r.method)).toEqual(["POST", "GET"]);
  });

  it("set-variable refuses a value of a type APIM cannot store in a variable, into on-error", async () => {
    const ev = new FakeLiteralEvaluator();
    const odd: typeof ev.evaluate = async (expression, ctx) =>
      expression === "@(42)"
        ? { ok: true, value: { type: "unsupported", clrType: "System.Text.StringBuilder", value: "x" }, text: "x", requestBodyConsumed: false, responseBodyConsumed: false, variableBodiesConsumed: [], traces: [] }
        : FakeLiteralEvaluator.prototype.evaluate.call(ev, expression, ctx);
    ev.evaluate = odd;
    const gw = await gateway(testConfig({ apis: [{ policy: policiesXml({ inbound: `<set-variable name="v" value="@(42)" />`, onError: `<return-response><set-status code="418" reason="Test" /><set-body>@("probe")</set-body></return-response>` }) }] }), { evaluator: ev });
    expect((await fetch(`${gw.url}/`)).status).toBe(418);
    expect(ev.evaluations.at(-1)!.ctx.lastError).toMatchObject({ source: "set-variable", reason: "UnsupportedVariableType" });
  });

  it("set-body with a null expression removes the body", async () => {
    const be = await backend();
    const gw = await gateway(testConfig({ apis: [{ serviceUrl: be.url, operations: [{ method: "POST" }], policy: policiesXml({ inbound: `<set-body>@(null)</set-body>` }) }] }));
    await fetch(`${gw.url}/`, { method: "POST", body: "original" });
    expect(be.requests[0]!.body).toBe("");
  });
});
