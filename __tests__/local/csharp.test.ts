/**
 * The C# policy-expression host (local/csharp/): real Mono compiler, one long-lived process.
 * Needs the Debian packages in .ci/apt-packages; without them these tests fail (they do not skip).
 */
import { createCipheriv, createHash, createHmac } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { ALLOWED_TYPES } from "../../apim-policy/allowlist.js";
import { substituteNamedValues } from "../../apim-policy/named-values.js";
import { APIM_ALLOW_LIST, APIM_MEMBER_RESTRICTIONS } from "../../local/csharp/allowlist.js";
import {
  ExpressionCompileError,
  ExpressionHost,
  ExpressionHostError,
  MonoNotInstalledError,
  type ExpressionContext,
  type ExpressionResult,
  type TypedValue,
} from "../../local/csharp/expression-host.js";

let host: ExpressionHost;

beforeAll(async () => {
  // Compiled expressions are cached across runs (by content hash); the compiler-count tests use their own uncached host.
  host = await ExpressionHost.start();
});

afterAll(async () => {
  await host?.close();
});

const baseCtx: ExpressionContext = {
  request: {
    method: "POST",
    url: "https://apim.example.net:8443/mcp/tools?a=1&a=2&q=hello%20world",
    originalUrl: "https://apim.example.net:8443/mcp/tools?a=1&a=2&q=hello%20world&orig=1",
    headers: { "Content-Type": "application/json", "X-Multi": ["one", "two"], Authorization: "Bearer abc" },
    body: '{"name":"weather","args":{"city":"Oslo"},"list":[1,2,3],"when":"2026-01-02T03:04:05Z"}',
    ipAddress: "10.1.2.3",
    matchedParameters: { id: "42" },
  },
  api: { id: "/apis/mcp", name: "mcp", path: "mcp", serviceUrl: "https://backend.example.net/api" },
  operation: { id: "mcp-post", name: "MCP POST", method: "POST", urlTemplate: "/tools" },
  requestId: "9f1c7c1e-1d7b-4c35-9a3e-0b5c5d1f2a3b",
  timestamp: new Date("2026-01-02T03:04:05Z"),
};

async function value(expression: string, ctx: ExpressionContext = baseCtx): Promise<TypedValue> {
  const result = await host.evaluate(expression, ctx);
  if (!result.ok) throw new Error(`expected a value from ${expression}, got ${result.error.type}: ${result.error.message}`);
  return result.value;
}

async function failure(expression: string): Promise<ExpressionCompileError> {
  try {
    await host.compile([expression]);
  } catch (e) {
    expect(e).toBeInstanceOf(ExpressionCompileError);
    return e as ExpressionCompileError;
  }
  throw new Error(`expected ${expression} to be refused`);
}

describe("ExpressionHost basics", () => {
  it("evaluates arithmetic and strings with their .NET types", async () => {
    expect(await value("@((1+1).ToString())")).toEqual({ type: "string", value: "2" });
    expect(await value('@("Hi There".Length)')).toEqual({ type: "int", value: 8 });
    expect(await value("@(long.MaxValue)")).toEqual({ type: "long", value: "9223372036854775807" });
    expect(await value("@(1.5 * 3)")).toEqual({ type: "double", value: 4.5 });
    expect(await value("@(10 > 3)")).toEqual({ type: "bool", value: true });
    expect(await value('@(string.Join("-", new[] { "a", "b" }).ToUpperInvariant())')).toEqual({ type: "string", value: "A-B" });
    expect(await value("@(null)")).toEqual({ type: "null" });
  });

  it("renders values as APIM writes them into text (.NET ToString)", async () => {
    const r = await host.evaluate("@(true)", baseCtx);
    expect(r.ok && r.text).toBe("True");
    const n = await host.evaluate("@(null)", baseCtx);
    expect(n.ok && n.text).toBeNull();
  });

  it("reads headers case-insensitively with GetValueOrDefault joining values with commas", async () => {
    expect(await value('@(context.Request.Headers.GetValueOrDefault("x-multi", "none"))')).toEqual({ type: "string", value: "one,two" });
    expect(await value('@(context.Request.Headers.GetValueOrDefault("X-Absent", "none"))')).toEqual({ type: "string", value: "none" });
    expect(await value('@(context.Request.Headers["content-type"][0])')).toEqual({ type: "string", value: "application/json" });
    expect(await value('@(context.Request.Headers.ContainsKey("AUTHORIZATION"))')).toEqual({ type: "bool", value: true });
  });

  it("exposes the URL parts, query and matched parameters", async () => {
    const u = "context.Request.Url";
    expect(await value(`@(${u}.Scheme + "|" + ${u}.Host + "|" + ${u}.Port + "|" + ${u}.Path + "|" + ${u}.QueryString)`)).toEqual({
      type: "string",
      value: "https|apim.example.net|8443|/mcp/tools|?a=1&a=2&q=hello%20world",
    });
    expect(await value(`@(${u}.Query.GetValueOrDefault("a", ""))`)).toEqual({ type: "string", value: "1,2" });
    expect(await value(`@(${u}.Query.GetValueOrDefault("q", ""))`)).toEqual({ type: "string", value: "hello world" });
    expect(await value(`@(${u}.Query.GetValueOrDefault("missing", "dflt"))`)).toEqual({ type: "string", value: "dflt" });
    expect(await value("@(context.Request.OriginalUrl.ToString())")).toEqual({
      type: "string",
      value: "https://apim.example.net:8443/mcp/tools?a=1&a=2&q=hello%20world&orig=1",
    });
    expect(await value('@(context.Request.MatchedParameters["id"])')).toEqual({ type: "string", value: "42" });
    expect(await value("@(context.Request.IpAddress)")).toEqual({ type: "string", value: "10.1.2.3" });
  });

  it("exposes Api, Operation, Deployment, RequestId, Timestamp and LastError", async () => {
    const ctx: ExpressionContext = {
      ...baseCtx,
      lastError: { source: "validate-jwt", reason: "TokenExpired", message: "expired", section: "inbound" },
    };
    expect(
      await value(
        '@(context.Api.Name + "|" + context.Api.Path + "|" + context.Api.ServiceUrl.Host + "|" + context.Operation.UrlTemplate + "|" + context.Deployment.GatewayId + "|" + context.RequestId.ToString() + "|" + context.Timestamp.Year + "|" + context.LastError.Reason + "|" + context.LastError.Section)',
        ctx,
      ),
    ).toEqual({
      type: "string",
      value: "mcp|mcp|backend.example.net|/tools|managed|9f1c7c1e-1d7b-4c35-9a3e-0b5c5d1f2a3b|2026|TokenExpired|inbound",
    });
    expect(await value("@(context.Elapsed.TotalMilliseconds > 0)")).toEqual({ type: "bool", value: true });
    expect(await value("@(context.User == null && context.Subscription == null && context.Product == null)")).toEqual({ type: "bool", value: true });
  });

  it("runs multi-statement expressions", async () => {
    const code = `@{
      var parts = new List<string>();
      foreach (var h in context.Request.Headers.Keys.OrderBy(k => k)) {
        if (h.StartsWith("X-")) { parts.Add(h.ToLowerInvariant()); }
      }
      int total = Enumerable.Range(1, 4).Where(i => i % 2 == 0).Sum();
      return string.Join(",", parts) + ":" + total;
    }`;
    expect(await value(code)).toEqual({ type: "string", value: "x-multi:6" });
  });

  it("collects context.Trace messages", async () => {
    const r = await host.evaluate('@{ context.Trace("checked " + 1); return 1; }', baseCtx);
    expect(r.traces).toEqual(["checked 1"]);
  });

  it("works on an expression whose named value was substituted into the XML first", async () => {
    const xmlValue = '@(context.Request.Headers.GetValueOrDefault("X-Key", "") == "{{gateway-key}}")';
    const substituted = substituteNamedValues(xmlValue, (name) => ({ "gateway-key": 's3cr"et-value' })[name]);
    // APIM substitutes raw text: a quote in the value would end the C# string, so named values used in literals are kept quote-free.
    const safe = substituteNamedValues(xmlValue, () => "s3cret-value");
    expect(substituted).not.toBe(safe);
    const ctx: ExpressionContext = { ...baseCtx, request: { ...baseCtx.request!, headers: { "X-Key": "s3cret-value" } } };
    expect(await value(safe, ctx)).toEqual({ type: "bool", value: true });
  });
});

describe("message bodies", () => {
  it("reads the body as JObject twice with preserveContent: true, without consuming it", async () => {
    const r = await host.evaluate(
      `@{
        var a = context.Request.Body.As<JObject>(preserveContent: true);
        var b = context.Request.Body.As<JObject>(preserveContent: true);
        return (string)a["name"] + "/" + (string)b["args"]["city"] + "/" + b["list"].Count() + "/" + (string)a["when"];
      }`,
      baseCtx,
    );
    expect(r).toMatchObject({ ok: true, value: { type: "string", value: "weather/Oslo/3/2026-01-02T03:04:05Z" }, requestBodyConsumed: false });
  });

  it("consumes the body with As<string>() (later reads see null)", async () => {
    const r = await host.evaluate(
      "@{ var first = context.Request.Body.As<string>(); var second = context.Request.Body.As<string>(); return first.Length + \"/\" + (second == null); }",
      baseCtx,
    );
    const length = (baseCtx.request!.body as string).length;
    expect(r).toMatchObject({ ok: true, value: { type: "string", value: `${length}/True` }, requestBodyConsumed: true, responseBodyConsumed: false });
  });

  it("returns JSON bodies as json values (JObject, JArray)", async () => {
    expect(await value("@(context.Request.Body.As<JObject>(preserveContent: true)[\"args\"])")).toEqual({ type: "json", value: { city: "Oslo" } });
    expect(await value("@(new JArray(1, \"two\"))")).toEqual({ type: "json", value: [1, "two"] });
    expect(await value('@(new JObject(new JProperty("a", 1)).ToString(Newtonsoft.Json.Formatting.None))')).toEqual({ type: "string", value: '{"a":1}' });
    // JObject.ContainsKey is Json.NET 11+ (APIM has it); the local host supplies it on top of Debian's Json.NET 6.
    expect(await value('@(JObject.Parse("{\\"a\\":null}").ContainsKey("a") && !JObject.Parse("{}").ContainsKey("a"))')).toEqual({ type: "bool", value: true });
  });

  it("parses form-urlencoded bodies with AsFormUrlEncodedContent", async () => {
    const ctx: ExpressionContext = {
      request: { method: "POST", url: "https://apim.example.net/token", body: "grant_type=authorization_code&code=abc%2Fd&scope=a+b&scope=c" },
    };
    const r = await host.evaluate(
      `@{
        var form = context.Request.Body.AsFormUrlEncodedContent(preserveContent: true);
        return form["grant_type"][0] + "|" + form["code"][0] + "|" + string.Join(",", form["scope"]) + "|" + form.ContainsKey("missing");
      }`,
      ctx,
    );
    expect(r).toMatchObject({ ok: true, value: { value: "authorization_code|abc/d|a b,c|False" }, requestBodyConsumed: false });
    const consumed = await host.evaluate('@(context.Request.Body.AsFormUrlEncodedContent()["code"][0])', ctx);
    expect(consumed).toMatchObject({ ok: true, requestBodyConsumed: true });
  });

  it("decodes forms as Microsoft's policy toolkit does, and throws on a body consumed before", async () => {
    const ctx: ExpressionContext = { request: { method: "POST", url: "https://apim.example.net/token", body: "a=%2B+%20&&b&=empty-name&c=%ZZ" } };
    const r = await host.evaluate(`@(string.Join("|", context.Request.Body.AsFormUrlEncodedContent(preserveContent: true).Select(f => f.Key + ":" + string.Join(",", f.Value))))`, ctx);
    expect(r).toMatchObject({ ok: true, value: { value: "a:+  |b:|:empty-name|c:%ZZ" } });
    const twice = await host.evaluate("@{ context.Request.Body.AsFormUrlEncodedContent(); return context.Request.Body.AsFormUrlEncodedContent().Count; }", ctx);
    expect(twice).toMatchObject({ ok: false, error: { type: "System.NullReferenceException" } });
  });

  it("gives a null Body when the request has none", async () => {
    const ctx: ExpressionContext = { request: { method: "GET", url: "https://apim.example.net/" } };
    expect(await value("@(context.Request.Body == null)", ctx)).toEqual({ type: "bool", value: true });
  });

  it("reads the response and reports its consumption separately", async () => {
    const ctx: ExpressionContext = {
      ...baseCtx,
      response: { statusCode: 404, statusReason: "Not Found", headers: { "Cache-Control": "max-age=60" }, body: '{"error":"x"}' },
    };
    const r = await host.evaluate(
      '@(context.Response.StatusCode + " " + context.Response.Headers.GetValueOrDefault("cache-control", "") + " " + context.Response.Body.As<JObject>()["error"])',
      ctx,
    );
    expect(r).toMatchObject({ ok: true, value: { value: "404 max-age=60 x" }, responseBodyConsumed: true, requestBodyConsumed: false });
  });
});

describe("variables", () => {
  const variables: Record<string, TypedValue> = {
    s: { type: "string", value: "text" },
    i: { type: "int", value: 42 },
    l: { type: "long", value: "9007199254740993" },
    b: { type: "bool", value: false },
    d: { type: "double", value: 2.25 },
    t: { type: "datetime", value: "2026-01-02T03:04:05.0000000Z" },
    o: { type: "json", value: { a: 1, nested: { b: [true, null] } } },
    arr: { type: "json", value: [1, 2] },
    g: { type: "guid", value: "9f1c7c1e-1d7b-4c35-9a3e-0b5c5d1f2a3b" },
    by: { type: "bytes", value: Buffer.from("hi").toString("base64") },
    r: {
      type: "response",
      value: { statusCode: 200, statusReason: "OK", headers: { "Content-Type": ["application/json"] }, body: '{"access_token":"tok"}' },
    },
  };
  const ctx: ExpressionContext = { ...baseCtx, variables };

  it("round-trips every variable type unchanged", async () => {
    for (const [name, v] of Object.entries(variables)) {
      expect(await value(`@(context.Variables["${name}"])`, ctx), name).toEqual(v);
    }
  });

  it("gives variables their .NET types inside expressions", async () => {
    expect(
      await value(
        '@(((string)context.Variables["s"]).Length + (int)context.Variables["i"] + ((long)context.Variables["l"] % 10) + ((DateTime)context.Variables["t"]).Hour + (double)context.Variables["d"])',
        ctx,
      ),
    ).toEqual({ type: "double", value: 4 + 42 + 3 + 3 + 2.25 });
    expect(await value('@((int)((JObject)context.Variables["o"])["a"] + ((JArray)context.Variables["arr"]).Count)', ctx)).toEqual({ type: "int", value: 3 });
    expect(await value('@(context.Variables.GetValueOrDefault<int>("missing", 7))', ctx)).toEqual({ type: "int", value: 7 });
    expect(await value('@(context.Variables.GetValueOrDefault<string>("s"))', ctx)).toEqual({ type: "string", value: "text" });
    expect(await value('@(context.Variables.ContainsKey("i") && !(bool)context.Variables["b"])', ctx)).toEqual({ type: "bool", value: true });
  });

  it("fails (as APIM does) when GetValueOrDefault<T> asks for the wrong type", async () => {
    const r = await host.evaluate('@(context.Variables.GetValueOrDefault<string>("i"))', ctx);
    expect(r).toMatchObject({ ok: false, error: { type: "System.InvalidCastException" } });
  });

  it("reads a send-request response variable as IResponse and reports its body consumed", async () => {
    const r = await host.evaluate(
      '@{ var resp = (IResponse)context.Variables["r"]; return resp.StatusCode + ":" + (string)resp.Body.As<JObject>()["access_token"]; }',
      ctx,
    );
    expect(r).toMatchObject({ ok: true, value: { value: "200:tok" }, variableBodiesConsumed: ["r"] });
    const kept = await host.evaluate('@(((IResponse)context.Variables["r"]).Body.As<string>(preserveContent: true))', ctx);
    expect(kept).toMatchObject({ ok: true, value: { value: '{"access_token":"tok"}' }, variableBodiesConsumed: [] });
  });

  it("returns DateTime, TimeSpan, decimal, byte[] and string[] with their types", async () => {
    expect(await value("@(new DateTime(2026, 1, 2, 3, 4, 5, DateTimeKind.Utc))")).toEqual({ type: "datetime", value: "2026-01-02T03:04:05.0000000Z" });
    expect(await value("@(TimeSpan.FromMinutes(90))")).toEqual({ type: "timespan", value: "01:30:00" });
    expect(await value("@(1.10m)")).toEqual({ type: "decimal", value: "1.10" });
    expect(await value('@(Encoding.UTF8.GetBytes("hi"))')).toEqual({ type: "bytes", value: "aGk=" });
    expect(await value('@("a,b".Split(\',\'))')).toEqual({
      type: "array",
      elementType: "System.String",
      value: [
        { type: "string", value: "a" },
        { type: "string", value: "b" },
      ],
    });
  });
});

describe("allowed framework types", () => {
  it("computes HMACSHA256 and SHA256 like Node's crypto", async () => {
    const hmac = await value('@(Convert.ToBase64String(new HMACSHA256(Encoding.UTF8.GetBytes("key")).ComputeHash(Encoding.UTF8.GetBytes("message"))))');
    expect(hmac).toEqual({ type: "string", value: createHmac("sha256", "key").update("message").digest("base64") });
    const sha = await value('@{ using (var sha = SHA256.Create()) { return BitConverter.ToString(sha.ComputeHash(Encoding.ASCII.GetBytes("abc"))).Replace("-", "").ToLowerInvariant(); } }');
    expect(sha).toEqual({ type: "string", value: createHash("sha256").update("abc").digest("hex") });
  });

  it("draws random bytes from RNGCryptoServiceProvider", async () => {
    const code = '@{ var bytes = new byte[32]; using (var rng = new RNGCryptoServiceProvider()) { rng.GetBytes(bytes); } return Convert.ToBase64String(bytes); }';
    const a = await value(code);
    const b = await value(code);
    expect(a.type).toBe("string");
    expect(Buffer.from((a as { value: string }).value, "base64")).toHaveLength(32);
    expect(a).not.toEqual(b);
  });

  it("uses Uri, WebUtility, Regex and Convert", async () => {
    expect(await value('@(Uri.EscapeDataString("a b/c"))')).toEqual({ type: "string", value: "a%20b%2Fc" });
    expect(await value('@(WebUtility.UrlEncode("a b&c"))')).toEqual({ type: "string", value: "a+b%26c" });
    expect(await value('@(WebUtility.HtmlEncode("<b>"))')).toEqual({ type: "string", value: "&lt;b&gt;" });
    expect(await value('@(new Uri("https://h.example/p?q=1").Host)')).toEqual({ type: "string", value: "h.example" });
    expect(await value('@(Regex.Match("max-age=60", @"max-age=(?<maxAge>\\d+)").Groups["maxAge"]?.Value)')).toEqual({ type: "string", value: "60" });
    expect(await value('@(Regex.IsMatch("http://127.0.0.1:3000/cb", "^http://(127\\\\.0\\\\.0\\\\.1|localhost)(:\\\\d+)?/"))')).toEqual({ type: "bool", value: true });
    expect(await value('@(Convert.ToBase64String(Encoding.UTF8.GetBytes("hi")).TrimEnd(\'=\').Replace(\'+\', \'-\'))')).toEqual({ type: "string", value: "aGk" });
  });

  it("parses JWTs with AsJwt / TryParseJwt (no validation, as APIM)", async () => {
    const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString("base64url");
    const token = `${b64({ alg: "RS256", typ: "JWT" })}.${b64({ iss: "https://issuer", sub: "user-1", aud: ["a1", "a2"], exp: 1767323045, scp: "read write", jti: "j1" })}.sig`;
    const ctx: ExpressionContext = { ...baseCtx, request: { ...baseCtx.request!, headers: { Authorization: `Bearer ${token}` } } };
    expect(
      await value(
        '@{ var jwt = context.Request.Headers.GetValueOrDefault("Authorization", "").AsJwt(); return jwt.Algorithm + "|" + jwt.Issuer + "|" + jwt.Subject + "|" + string.Join(",", jwt.Audiences) + "|" + jwt.ExpirationTime.Value.ToString("yyyy-MM-ddTHH:mm:ss") + "|" + jwt.Claims.GetValueOrDefault("scp", "") + "|" + jwt.Id; }',
        ctx,
      ),
    ).toEqual({ type: "string", value: "RS256|https://issuer|user-1|a1,a2|2026-01-02T03:04:05|read write|j1" });
    expect(await value('@{ Jwt jwt; return "not-a-jwt".TryParseJwt(out jwt) || jwt != null; }')).toEqual({ type: "bool", value: false });
    expect(await value('@("a.b".AsJwt() == null)')).toEqual({ type: "bool", value: true });
  });

  it("encrypts and decrypts with the Encrypt/Decrypt extensions (AES-CBC, PKCS7) like Node", async () => {
    const key = Buffer.alloc(32, 7);
    const iv = Buffer.alloc(16, 9);
    const cipher = createCipheriv("aes-256-cbc", key, iv);
    const expected = Buffer.concat([cipher.update("secret text"), cipher.final()]).toString("base64");
    const keyCs = `Convert.FromBase64String("${key.toString("base64")}")`;
    const ivCs = `Convert.FromBase64String("${iv.toString("base64")}")`;
    expect(await value(`@(Convert.ToBase64String(Encoding.UTF8.GetBytes("secret text").Encrypt("Aes", ${keyCs}, ${ivCs})))`)).toEqual({
      type: "string",
      value: expected,
    });
    expect(await value(`@(Encoding.UTF8.GetString(Convert.FromBase64String("${expected}").Decrypt("Aes", ${keyCs}, ${ivCs})))`)).toEqual({
      type: "string",
      value: "secret text",
    });
    // A wrong key fails the padding check (deterministic for these fixed inputs):
    const wrongKey = await host.evaluate(`@(Convert.FromBase64String("${expected}").Decrypt("Aes", new byte[32], ${ivCs}).Length)`, baseCtx);
    expect(wrongKey).toMatchObject({ ok: false, error: { type: "System.Security.Cryptography.CryptographicException" } });
  });

  it("parses Basic credentials with AsBasic / TryParseBasic", async () => {
    const header = `Basic ${Buffer.from("client:pa:ss").toString("base64")}`;
    expect(await value(`@("${header}".AsBasic().UserId + "/" + "${header}".AsBasic().Password)`)).toEqual({ type: "string", value: "client/pa:ss" });
    expect(await value('@{ BasicAuthCredentials c; return "Basic !!!".TryParseBasic(out c); }')).toEqual({ type: "bool", value: false });
  });
});

describe("errors", () => {
  it("returns an exception thrown by an expression as an error result and keeps the host alive", async () => {
    const r: ExpressionResult = await host.evaluate('@{ throw new Exception("boom"); }', baseCtx);
    expect(r).toMatchObject({ ok: false, error: { type: "System.Exception", message: "boom" } });
    const nre = await host.evaluate('@(context.Variables["missing"].ToString())', baseCtx);
    expect(nre).toMatchObject({ ok: false, error: { type: "System.Collections.Generic.KeyNotFoundException" } });
    expect(await value("@(1 + 1)")).toEqual({ type: "int", value: 2 });
  });

  it("returns a stack overflow as an error result without losing the process", async () => {
    const pid = host.pid;
    const r = await host.evaluate("@{ Func<int, int> f = null; f = x => f(x + 1); return f(0); }", baseCtx);
    expect(r).toMatchObject({ ok: false, error: { type: "System.StackOverflowException" } });
    expect(await value("@(2 + 2)")).toEqual({ type: "int", value: 4 });
    expect(host.pid).toBe(pid);
  });

  it("fails with a clear error naming a bad context value", async () => {
    await expect(host.evaluate("@(1)", { request: { url: "not a url" } })).rejects.toThrow(/request\.url 'not a url' is not an absolute http\(s\) URL/);
    await expect(host.evaluate("@(1)", { requestId: "42" })).rejects.toThrow(/requestId '42' is not a GUID/);
    await expect(host.evaluate("@(1)", { timestamp: "yesterday" })).rejects.toThrow(/timestamp 'yesterday' is not an ISO 8601/);
    const weird = { type: "weird", value: 1 } as unknown as TypedValue;
    await expect(host.evaluate("@(1)", { variables: { v: weird } })).rejects.toThrow(/variable 'v': unknown value type 'weird'/);
    const unsupported: TypedValue = { type: "unsupported", clrType: "System.Object", value: "x" };
    await expect(host.evaluate("@(1)", { variables: { u: unsupported } })).rejects.toThrow(/System\.Object cannot be restored/);
    expect(await value("@(1)")).toEqual({ type: "int", value: 1 });
  });

  it("names the expression and the C# error when compilation fails", async () => {
    const e = await failure("@(undefinedName + 1)");
    expect(e.failures).toHaveLength(1);
    expect(e.failures[0]).toMatchObject({ expression: "@(undefinedName + 1)", reason: "compile" });
    expect(e.failures[0]!.messages.join()).toMatch(/\(1,1\): error CS0103: The name `undefinedName' does not exist/);
    expect(e.message).toContain("@(undefinedName + 1)");
    const runs = host.stats.compilerRuns;
    await expect(host.evaluate("@(undefinedName + 1)", baseCtx)).rejects.toThrow(/CS0103/);
    expect(host.stats.compilerRuns).toBe(runs); // a rejected expression is not compiled again
    const syntax = await failure("@{ var x = 1; }");
    expect(syntax.failures[0]!.messages.join()).toMatch(/CS0161|not all code paths return a value/);
  });

  it("refuses text that is not @(...) or @{...}", async () => {
    const e = await failure("1 + 1");
    expect(e.failures[0]).toMatchObject({ reason: "syntax" });
    await expect(host.evaluate("@()", baseCtx)).rejects.toThrow(/empty/);
  });

  it("keeps the good expressions of a batch when some fail, and reports every failure", async () => {
    const good = ['@("batch-good-1")', '@("batch-good-2")'];
    const bad = ["@(nope1)", "@(System.IO.File.Exists(\"/\"))"];
    let error: ExpressionCompileError | undefined;
    try {
      await host.compile([...good, ...bad]);
    } catch (err) {
      error = err as ExpressionCompileError;
    }
    expect(error?.failures.map((f) => [f.expression, f.reason])).toEqual([
      ["@(nope1)", "compile"],
      ['@(System.IO.File.Exists("/"))', "refused"],
    ]);
    for (const g of good) expect(host.isCompiled(g)).toBe(true);
  });
});

describe("APIM allow-list", () => {
  it("enforces the static checks' type list, with Microsoft's member restrictions on listed types", () => {
    for (const t of ALLOWED_TYPES) expect(APIM_ALLOW_LIST.types[t], t).toBeDefined();
    for (const t of Object.keys(APIM_MEMBER_RESTRICTIONS)) expect(ALLOWED_TYPES, t).toContain(t);
    expect(APIM_ALLOW_LIST.types["System.DateTime"]).toContain("UtcNow");
  });

  it("does not mistake a string mentioning a refused type for a use of it", async () => {
    expect(await value('@("HttpClient and System.IO.File are just words here")')).toEqual({ type: "string", value: "HttpClient and System.IO.File are just words here" });
  });

  it("refuses a member Microsoft's list leaves out of an allowed type", async () => {
    const e = await failure("@(DateTime.UtcNow.ToUniversalTime())");
    expect(e.failures[0]!.messages.join()).toMatch(/System\.DateTime\.ToUniversalTime, which is not allowed/);
  });

  const refused: [string, RegExp][] = [
    ['@(System.IO.File.ReadAllText("/etc/passwd"))', /System\.IO\.File\b/],
    ['@(System.Diagnostics.Process.Start("sh").Id)', /System\.Diagnostics\.Process\b/],
    ['@(Environment.GetEnvironmentVariable("HOME"))', /System\.Environment\b/],
    ['@(Type.GetType("System.IO.File"))', /System\.Type\b/],
    ['@(typeof(string).Assembly.FullName)', /System\.Type\b|System\.Reflection\.Assembly\b/],
    ['@("x".GetType().Name)', /System\.Object\.GetType/],
    ['@(new System.Net.WebClient().DownloadString("http://localhost/"))', /System\.Net\.WebClient\b/],
    ['@(new HttpClient().GetStringAsync("http://localhost/").Result)', /System\.Net\.Http\.HttpClient\b/],
    ['@(new System.Net.Http.HttpClient())', /System\.Net\.Http\b/],
    ['@{ Console.WriteLine("out"); return 1; }', /System\.Console\b/],
    ['@{ System.Threading.Thread.Sleep(1); return 1; }', /System\.Threading\.Thread\b/],
    ["@(RandomNumberGenerator.Create())", /RandomNumberGenerator\.Create/],
    ['@(new Regex("a").GetGroupNames())', /Regex\.GetGroupNames/],
    ['@{ try { return 1; } catch (FormatException) { return 2; } }', /System\.FormatException\b/],
    ['@(new Newtonsoft.Json.Converters.StringEnumConverter().CanRead)', /Newtonsoft\.Json\.Converters\.StringEnumConverter\b/],
  ];

  for (const [expression, pattern] of refused) {
    it(`refuses ${expression}`, async () => {
      const e = await failure(expression);
      expect(e.failures[0]!.reason).toBe("refused");
      expect(e.failures[0]!.messages.join("\n")).toMatch(pattern);
      expect(e.message).toMatch(/not allowed in API Management policy expressions/);
    });
  }

  it("refuses code that escapes its wrapper to declare methods or native calls", async () => {
    const escape = '@(1); } public static object Sneaky() { return System.IO.File.ReadAllText("/etc/passwd"); } public static object Other() { return (2)';
    // The wrapper is `return (<code>);`, so this closes Run and opens a second method that ends where Run would have.
    const e = await failure(escape);
    expect(e.failures[0]!.messages.join("\n")).toMatch(/declares method Sneaky|System\.IO\.File/);
    const native =
      '@(1); } [System.Runtime.InteropServices.DllImport("libc")] static extern int getpid(); public static object Other() { return (getpid())';
    const n = await failure(native);
    expect(n.failures[0]!.messages.join("\n")).toMatch(/native|DllImport/);
    const newType = '@(1); } } public class Evil { static Evil() { } } public static class E2 { public static object Z() { return (1)';
    const t = await failure(newType);
    expect(t.failures[0]!.reason).toBe("refused");
    expect(t.failures[0]!.messages.join("\n")).toMatch(/declares type ApimPolicyExpressions\.Evil/);
  });
});

describe("compilation and speed", () => {
  let fresh: ExpressionHost;
  beforeAll(async () => {
    // No assembly cache: every batch really runs the compiler, so the counts are exact.
    fresh = await ExpressionHost.start({ cacheCompiledExpressions: false });
  });
  afterAll(async () => {
    await fresh?.close();
  });

  it("compiles a policy's many expressions in one compiler run and evaluates without compiling", async () => {
    const expressions = Array.from({ length: 60 }, (_, i) =>
      i % 3 === 0
        ? `@(context.Request.Headers.GetValueOrDefault("X-Multi", "") + "-${i}")`
        : i % 3 === 1
          ? `@{ var n = ${i}; return n * 2; }`
          : `@((string)context.Request.Body.As<JObject>(preserveContent: true)["name"] + ${i})`,
    );
    const before = fresh.stats.compilerRuns;
    await fresh.compile(expressions);
    expect(fresh.stats.compilerRuns - before).toBe(1);
    const results = await Promise.all(expressions.map((e) => fresh.evaluate(e, baseCtx)));
    expect(results.every((r) => r.ok)).toBe(true);
    expect(results[1]).toMatchObject({ value: { type: "int", value: 2 } });
    expect(results[3]).toMatchObject({ value: { type: "string", value: "one,two-3" } });
    expect(fresh.stats.compilerRuns - before).toBe(1);
  });

  it("compiles an unknown expression lazily, once, even when evaluated concurrently", async () => {
    const before = fresh.stats.compilerRuns;
    const lazy = '@("lazy-" + context.Request.Method)';
    const results = await Promise.all([fresh.evaluate(lazy, baseCtx), fresh.evaluate(lazy, baseCtx), fresh.evaluate(lazy, baseCtx)]);
    expect(results.map((r) => r.ok && r.value)).toEqual(Array(3).fill({ type: "string", value: "lazy-POST" }));
    expect(fresh.stats.compilerRuns - before).toBe(1);
  });

  it("correlates many in-flight evaluations with their own contexts", async () => {
    const expr = '@(context.Request.Headers.GetValueOrDefault("X-N", ""))';
    const results = await Promise.all(
      Array.from({ length: 200 }, (_, i) => host.evaluate(expr, { request: { url: "https://a.example/", headers: { "X-N": String(i) } } })),
    );
    expect(results.map((r) => r.ok && r.value)).toEqual(Array.from({ length: 200 }, (_, i) => ({ type: "string", value: String(i) })));
  });

  it("measures evaluation speed without running the compiler (figures printed, not asserted)", async () => {
    const exprs = [
      "@(1 + 1)",
      '@(context.Request.Headers.GetValueOrDefault("Authorization", "").StartsWith("Bearer "))',
      '@{ var body = context.Request.Body.As<JObject>(preserveContent: true); return (string)body["args"]["city"]; }',
    ];
    await host.compile(exprs);
    const before = host.stats.compilerRuns;
    const n = 2000;
    const lines: string[] = [];
    for (const e of exprs) {
      let t = performance.now();
      for (let i = 0; i < n; i++) await host.evaluate(e, baseCtx);
      const sequential = (performance.now() - t) / n;
      t = performance.now();
      await Promise.all(Array.from({ length: n }, () => host.evaluate(e, baseCtx)));
      const pipelined = (performance.now() - t) / n;
      lines.push(`${sequential.toFixed(3)} ms/eval sequential, ${pipelined.toFixed(3)} ms/eval pipelined  ${e.slice(0, 70)}`);
    }
    console.log(`expression host evaluation speed (n=${n}):\n  ${lines.join("\n  ")}`);
    expect(host.stats.compilerRuns).toBe(before);
  }, 120_000);

  it("rejects an evaluation that runs past the timeout, then replaces the process and reloads without compiling", async () => {
    const slow = await ExpressionHost.start({ evaluationTimeoutMs: 1000, cacheCompiledExpressions: false });
    try {
      await slow.compile(["@(7 * 6)", "@{ while (true) { } }"]);
      const runs = slow.stats.compilerRuns;
      const firstPid = slow.pid;
      const err = await slow.evaluate("@{ while (true) { } }", baseCtx).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ExpressionHostError);
      expect(String(err)).toMatch(/took longer than 1000 ms/);
      expect(await slow.evaluate("@(7 * 6)", baseCtx)).toMatchObject({ ok: true, value: { type: "int", value: 42 } });
      expect(slow.pid).not.toBe(firstPid);
      expect(slow.stats).toMatchObject({ restarts: 1, compilerRuns: runs });
    } finally {
      await slow.close();
    }
  });

  it("survives the Mono process being killed", async () => {
    const h = await ExpressionHost.start();
    try {
      await h.compile(["@(context.Request.Method)"]);
      const runs = h.stats.compilerRuns;
      const pid = h.pid!;
      process.kill(pid, "SIGKILL");
      // Until Node has reaped it (and so told the host), the process id still answers signal 0: wait for that, not a guessed delay.
      await vi.waitFor(() => expect(() => process.kill(pid, 0)).toThrow(), { timeout: 30_000, interval: 20 });
      expect(await h.evaluate("@(context.Request.Method)", baseCtx)).toMatchObject({ ok: true, value: { value: "POST" } });
      expect(h.stats).toMatchObject({ restarts: 1, compilerRuns: runs });
    } finally {
      await h.close();
    }
  });

  it("fails with a clear message when Mono is not installed", async () => {
    await expect(ExpressionHost.start({ mcsPath: "/nonexistent/mcs" })).rejects.toThrow(MonoNotInstalledError);
    await expect(ExpressionHost.start({ monoPath: "/nonexistent/mono" })).rejects.toThrow(/mono-runtime/);
  });

  it("refuses to work after close", async () => {
    const h = await ExpressionHost.start();
    await h.close();
    await expect(h.evaluate("@(1)", baseCtx)).rejects.toThrow(/closed/);
  });
});
