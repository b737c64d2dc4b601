import { describe, expect, it } from "vitest";
import { csharpAllowedTypes } from "../../apim-policy/rules/index.js";
import { ALLOWED_FULL_NAMES, ALLOWED_SHORT_NAMES } from "../../apim-policy/allowlist.js";
import { CSharpLexError, expressionEnd, lexCSharp } from "../../apim-policy/csharp-lexer.js";
import { declaredNames, typeReferences } from "../../apim-policy/csharp-types.js";
import { cleanPolicySet, policiesXml, withXml } from "../../test-support/policy-fixtures.js";

const tokensOf = (code: string) => lexCSharp(code).tokens;
const refs = (code: string) => typeReferences(tokensOf(code)).map((r) => `${r.name}${r.allowed ? "" : "!"}`);

describe("lexCSharp", () => {
  it("finds the end of a balanced expression, skipping brackets in literals and comments", () => {
    const src = `(a(")") + ')' + @"x "" (" + $"{(b ? "(" : "}")}" /* ) */ + c) tail`;
    const { end } = lexCSharp(src, 0, true);
    expect(src.slice(end)).toBe(" tail");
  });

  it("lexes interpolation holes as code and the literal parts as strings", () => {
    const texts = tokensOf(`$"a {x.Y} b {{ {z:yyyy}"`).map((t) => `${t.kind}:${t.text}`);
    expect(texts).toEqual([`string:$"a `, "identifier:x", "punct:.", "identifier:Y", `string:} b {{ `, "identifier:z", `string:}"`]);
  });

  it("keeps multi-character operators whole", () => {
    expect(tokensOf("a => b ?? c?.D == e").filter((t) => t.kind === "punct").map((t) => t.text)).toEqual(["=>", "??", "?.", "=="]);
  });

  it("fails on an unterminated string, naming the problem", () => {
    expect(() => lexCSharp(`("abc)`, 0, true)).toThrow(CSharpLexError);
    expect(() => lexCSharp(`("abc)`, 0, true)).toThrow(/unterminated string literal/);
  });

  it("fails on unbalanced brackets", () => {
    expect(() => lexCSharp(`(a]`, 0, true)).toThrow(/unbalanced "\]"/);
    expect(() => lexCSharp(`(a(b)`, 0, true)).toThrow(/"\(" is never closed/);
  });
});

describe("expressionEnd", () => {
  it("finds the end of a policy expression in raw XML, past brackets in literals and comments", () => {
    const xml = `<set-variable name="x" value="@(a(")") + ')' + @"x "" (" + $"{(b ? "(" : "}")}" /* ) */ + c)" />`;
    const at = xml.indexOf("@(");
    expect(xml.slice(expressionEnd(xml, at))).toBe(`" />`);
    const block = `<value>@{ var s = "}"; return s; }</value>`;
    expect(block.slice(expressionEnd(block, block.indexOf("@{")))).toBe("</value>");
  });

  it("fails on an expression that does not end, with the offset where the problem starts", () => {
    const xml = `<value>@(a + "b)</value>`;
    const thrown = (() => {
      try {
        return expressionEnd(xml, 7);
      } catch (e) {
        return e;
      }
    })();
    expect(thrown).toBeInstanceOf(CSharpLexError);
    expect((thrown as CSharpLexError).message).toBe("unterminated string literal");
    expect((thrown as CSharpLexError).offset).toBe(xml.indexOf('"b'));
  });
});

describe("typeReferences", () => {
  it("finds new X(, X.Member, generic arguments, casts and typeof", () => {
    expect(refs(`new JObject(); Encoding.UTF8; x.As<JArray>(); (JToken)y; typeof(Uri)`)).toEqual(["JObject", "Encoding", "JArray", "JToken", "Uri"]);
  });

  it("skips members, keywords, lower-case locals and context", () => {
    expect(refs(`context.Request.Headers.GetValueOrDefault("A", "").Length + (string)context.Variables["x"]`)).toEqual([]);
  });

  it("resolves namespace-qualified names to the type they name", () => {
    expect(refs(`System.IO.File.ReadAllText("x") + System.Text.Encoding.UTF8.GetString(b) + System.Net.Http.HttpClient.x`)).toEqual([
      "System.IO.File!",
      "System.Text.Encoding",
      "System.Net.Http.HttpClient!",
    ]);
  });

  it("does not mistake declared locals, lambda parameters and initializer members for types", () => {
    const code = `JObject Body = new JObject(); var Items = Body.Properties().Select(P => P.Name); string[] Parts; foreach (var Part in Parts) {} return new { Name = 1 };`;
    expect([...declaredNames(tokensOf(code))]).toEqual(expect.arrayContaining(["Body", "Items", "P", "Parts", "Part"]));
    expect(refs(code)).toEqual(["JObject", "JObject"]);
  });

  it("finds no disallowed type in idiomatic gateway C#", () => {
    const code = [
      `Jwt jwt; string[] values;`,
      `if (!context.Request.Headers.TryGetValue("Authorization", out values) || !values[0].TryParseJwt(out jwt)) { return null; }`,
      `var parts = ((string)context.Variables["form"]).Split(new[] { '&' }, StringSplitOptions.RemoveEmptyEntries);`,
      `var form = parts.Select(p => p.Split('=')).Where(kv => kv.Length == 2).ToDictionary(kv => WebUtility.UrlDecode(kv[0]), kv => WebUtility.UrlDecode(kv[1]));`,
      `foreach (JProperty prop in new JObject().Properties()) { }`,
      `try { new Uri("https://x"); } catch (Exception ex) { return ex.Message; }`,
      `var bytes = new byte[32]; new RNGCryptoServiceProvider().GetBytes(bytes);`,
      `var hash = SHA256.Create().ComputeHash(Encoding.ASCII.GetBytes("v"));`,
      `var b64 = Convert.ToBase64String(hash).TrimEnd('=').Replace('+', '-').Replace('/', '_');`,
      `System.Net.IPAddress address; System.Net.IPAddress.TryParse("::1", out address);`,
      `var exp = DateTimeOffset.UtcNow.AddSeconds(60).ToUnixTimeSeconds() + TimeSpan.FromMinutes(1).TotalSeconds + Math.Max(1, 2);`,
      `var body = ((IResponse)context.Variables["r"]).Body.As<JObject>(preserveContent: true);`,
      `return string.Join(",", Enumerable.Range(0, 3)) + Regex.IsMatch(b64, @"^[A-Za-z0-9_-]+$") + Guid.NewGuid().ToString("N") + JsonConvert.SerializeObject(new { Error = 1 });`,
    ].join("\n");
    expect(refs(code).filter((r) => r.endsWith("!"))).toEqual([]);
  });

  it("marks types off the allow-list", () => {
    expect(refs(`Environment.GetEnvironmentVariable("x") + Process.Start("x") + new HttpClient() + RandomNumberGenerator.Create()`)).toEqual([
      "Environment!",
      "Process!",
      "HttpClient!",
      "RandomNumberGenerator!",
    ]);
  });
});

describe("csharp allow-list", () => {
  it("holds the types the policies need, and not the dangerous ones", () => {
    for (const t of ["HMACSHA256", "SHA256", "RNGCryptoServiceProvider", "Convert", "Encoding", "JObject", "JArray", "JToken", "Uri", "Regex", "WebUtility", "Enumerable", "DateTime", "DateTimeOffset", "TimeSpan", "Guid", "String", "Math", "BitConverter", "Jwt", "IUrl"]) {
      expect(ALLOWED_SHORT_NAMES.has(t), t).toBe(true);
    }
    for (const t of ["File", "HttpClient", "Environment", "Process", "Assembly", "Activator", "RandomNumberGenerator", "Type", "Object"]) {
      expect(ALLOWED_SHORT_NAMES.has(t), t).toBe(false);
    }
    expect(ALLOWED_FULL_NAMES.has("System.Security.Cryptography.HMACSHA256")).toBe(true);
  });
});

describe("rule csharp-allowed-types", () => {
  it("passes the clean set (HMACSHA256, Convert, Encoding, BitConverter, JObject, JsonConvert, Guid, DateTime, Newtonsoft.Json.Formatting)", () => {
    expect(csharpAllowedTypes.check(cleanPolicySet())).toEqual([]);
  });

  it("fails System.IO.File in an attribute expression, naming the type and position", () => {
    const set = withXml(cleanPolicySet(), "global", policiesXml({ inbound: `<set-variable name="a" value="@(System.IO.File.ReadAllText("/etc/passwd"))" />` }));
    expect(csharpAllowedTypes.check(set)).toEqual([
      {
        rule: "csharp-allowed-types",
        document: "global",
        message: `type "System.IO.File" in the policy expression at line 3, column 42 is not on API Management's allow-list of .NET types for policy expressions`,
      },
    ]);
  });

  it("fails HttpClient, Environment and reflection in a multi-statement expression", () => {
    const body = `<set-body>@{\n  var c = new System.Net.Http.HttpClient();\n  var e = Environment.MachineName;\n  var t = System.Reflection.Assembly.GetExecutingAssembly();\n  return "";\n}</set-body>`;
    const set = withXml(cleanPolicySet(), "global", policiesXml({ inbound: `<return-response>${body}</return-response>` }));
    expect(csharpAllowedTypes.check(set).map((v) => v.message.split(" in the")[0])).toEqual([
      `type "System.Net.Http.HttpClient"`,
      `type "Environment"`,
      `type "System.Reflection.Assembly"`,
    ]);
  });

  it("fails a type in a generic argument and in a cast", () => {
    const set = withXml(cleanPolicySet(), "global", policiesXml({ inbound: `<set-variable name="a" value="@(context.Variables.GetValueOrDefault<Dictionary<string, Process>>("x"))" />\n<set-variable name="b" value="@((Type)context.Variables["y"])" />` }));
    expect(csharpAllowedTypes.check(set).map((v) => v.message.split(" in the")[0])).toEqual([`type "Process"`, `type "Type"`]);
  });

  it("fails static members the allow-list excludes on an allowed type", () => {
    const set = withXml(cleanPolicySet(), "global", policiesXml({ inbound: `<set-variable name="a" value="@(Regex.Escape("x") + System.Xml.Linq.XDocument.Load("f") + DateTime.TryParse("x", out var d) + Regex.IsMatch("a", "b") + DateTime.UtcNow)" />` }));
    expect(csharpAllowedTypes.check(set).map((v) => v.message.split(" in the")[0])).toEqual([
      `member "Regex.Escape"`,
      `member "System.Xml.Linq.XDocument.Load"`,
      `member "DateTime.TryParse"`,
    ]);
    expect(csharpAllowedTypes.check(set)[0]!.message).toMatch(/is not among the members API Management allows on Regex$/);
  });

  it("checks C# inside interpolation holes, not inside string literals", () => {
    const set = withXml(cleanPolicySet(), "global", policiesXml({ inbound: `<set-variable name="a" value="@($"File.Delete {Path.GetTempPath()}")" />` }));
    expect(csharpAllowedTypes.check(set).map((v) => v.message.split(" in the")[0])).toEqual([`type "Path"`]);
  });
});
