/**
 * The oauth-form-parse fragment on the local gateway with real C# (Mono): API Management's own form
 * parser (AsFormUrlEncodedContent) fills "form", and the fragment refuses a wrong content type, a
 * body over 16 KiB and a repeated parameter (also one repeated under another spelling), leaving the
 * body readable for what follows.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ExpressionHost } from "../../local/csharp/expression-host.js";
import type { RunningGateway } from "../../local/gateway/server.js";
import { startBackend, startTestGateway, testConfig } from "../../test-support/local-gateway.js";
import { policiesXml } from "../../test-support/policy-fixtures.js";

const FRAGMENT = readFileSync(join(import.meta.dirname, "..", "..", "policies", "fragments", "oauth-form-parse.xml"), "utf8");
const ANSWER = `@(context.Variables.ContainsKey("oauth-error") ? "error: " + (string)context.Variables["oauth-error-description"] : (string)context.Variables["form"])`;

let host: ExpressionHost;
let gateway: RunningGateway;
let backend: Awaited<ReturnType<typeof startBackend>>;

beforeAll(async () => {
  host = await ExpressionHost.start();
  backend = await startBackend();
  const config = testConfig({
    fragments: { "oauth-form-parse": FRAGMENT },
    apis: [
      {
        serviceUrl: backend.url,
        operations: [
          { id: "parse", method: "POST", urlTemplate: "/parse", policy: policiesXml({ inbound: `<include-fragment fragment-id="oauth-form-parse" /><return-response><set-status code="200" reason="OK" /><set-body>${ANSWER}</set-body></return-response>` }) },
          { id: "forward", method: "POST", urlTemplate: "/forward", policy: policiesXml({ inbound: `<include-fragment fragment-id="oauth-form-parse" />` }) },
        ],
      },
    ],
  });
  gateway = await startTestGateway(config, { evaluator: host });
}, 120_000);

afterAll(async () => {
  await gateway?.close();
  await backend?.close();
  await host?.close();
});

const post = async (body: string, type = "application/x-www-form-urlencoded", path = "/parse") => {
  const res = await fetch(`${gateway.url}${path}`, { method: "POST", body, headers: { "Content-Type": type } });
  return res.text();
};

describe("oauth-form-parse", () => {
  it("reads every field, decoding + and percent-escapes, first value per name, empty pairs skipped", async () => {
    expect(JSON.parse(await post("grant_type=authorization_code&code=abc%2Fd%2B&scope=a+b&&flag"))).toEqual({ grant_type: "authorization_code", code: "abc/d+", scope: "a b", flag: "" });
  });

  it("accepts the content type with parameters and in any case", async () => {
    expect(JSON.parse(await post("a=1", "Application/X-WWW-Form-Urlencoded; charset=utf-8"))).toEqual({ a: "1" });
  });

  it("refuses another content type, a body over 16 KiB and a repeated parameter", async () => {
    expect(await post('{"grant_type":"x"}', "application/json")).toBe("error: The request body must be application/x-www-form-urlencoded.");
    expect(await post(`a=${"x".repeat(16384)}`)).toBe("error: The request body is larger than 16 KiB.");
    expect(JSON.parse(await post(`a=${"x".repeat(16382)}`))).toEqual({ a: "x".repeat(16382) });
    expect(await post("grant_type=refresh_token&grant_type=refresh_token")).toBe("error: A request parameter is repeated.");
    expect(await post("grant_type=a&grant%5Ftype=b")).toBe("error: A request parameter is repeated.");
  });

  it("gives an empty form for an empty body", async () => {
    expect(await post("")).toBe("{}");
  });

  it("leaves the body readable: the backend receives it unchanged", async () => {
    const before = backend.requests.length;
    await post("a=1&b=%20two", undefined, "/forward");
    expect(backend.requests[before]).toMatchObject({ method: "POST", url: "/forward", body: "a=1&b=%20two" });
  });
});
