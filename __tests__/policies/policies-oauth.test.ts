/**
 * XML-level checks of the OAuth and MCP policies in policies/: what each endpoint enforces, read
 * from the parsed policy tree (rawxml-aware parser built on fast-xml-parser), with the fragments
 * an operation includes inlined as API Management inserts them.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parsePolicyXml, walkElements, type PolicyElement } from "../../apim-policy/parse.js";
import { expandFragments } from "../../apim-policy/fragments.js";
import { sections } from "../../apim-policy/sections.js";
import type { PolicyDocument } from "../../constructs/policy-set.js";

const POLICIES = join(import.meta.dirname, "..", "..", "policies");
const FRAGMENT_FILES = readdirSync(join(POLICIES, "fragments")).filter((f) => f.endsWith(".xml"));
const POLICY_FILES = readdirSync(POLICIES).filter((f) => f.endsWith(".xml"));
const ALL_FILES = [...POLICY_FILES, ...FRAGMENT_FILES.map((f) => `fragments/${f}`)];

const read = (file: string): string => readFileSync(join(POLICIES, file), "utf8");

const fragments = new Map<string, PolicyDocument>(
  FRAGMENT_FILES.map((f) => {
    const name = f.replace(/\.xml$/, "");
    return [name, { scope: "fragment", name, file: `policies/fragments/${f}`, xml: read(`fragments/${f}`) }];
  }),
);

function parse(file: string): PolicyElement {
  const parsed = parsePolicyXml(read(file));
  if (!parsed.ok) throw new Error(`${file}: ${parsed.error}`);
  return parsed.root;
}

/** The policy with its include-fragment elements replaced by the fragments' content. */
const expanded = (file: string): PolicyElement => expandFragments(parse(file), fragments);

const elements = (root: PolicyElement, name: string): PolicyElement[] =>
  [...walkElements(root)].map(({ element }) => element).filter((e) => e.name === name);

const text = (e: PolicyElement): string => e.children.map((c) => (c.kind === "text" ? c.text : text(c))).join("");

/** Every attribute value and text in the tree (expressions included). */
const allCode = (root: PolicyElement): string =>
  [...walkElements(root)].map(({ element }) => [...Object.values(element.attributes), ...element.children.filter((c) => c.kind === "text").map((c) => (c.kind === "text" ? c.text : ""))].join("\n")).join("\n");

/** The set-variable expression that defines a variable, searched in every fragment. */
function definition(variable: string): string[] {
  return [...fragments.keys()].flatMap((name) =>
    elements(parse(`fragments/${name}.xml`), "set-variable").filter((e) => e.attributes.name === variable).map((e) => e.attributes.value ?? ""),
  );
}

/** The `when` whose condition contains `needle`, and the oauth-error it sets. */
function errorSetBy(root: PolicyElement, needle: string): string | undefined {
  const when = elements(root, "when").find((w) => (w.attributes.condition ?? "").includes(needle));
  if (!when) throw new Error(`no <when> with a condition containing ${needle}`);
  return elements(when, "set-variable").find((s) => s.attributes.name === "oauth-error")?.attributes.value;
}

/** Header values set anywhere in a tree, by header name (lower case). */
function headerValues(root: PolicyElement, header: string): string[] {
  return elements(root, "set-header")
    .filter((h) => h.attributes.name?.toLowerCase() === header.toLowerCase())
    .map((h) => elements(h, "value").map(text).join(""));
}

describe("every OAuth and MCP policy file", () => {
  it.each(ALL_FILES)("%s opens with a comment saying what it does and has the right root", (file) => {
    const xml = read(file);
    expect(xml.trimStart().startsWith("<!--")).toBe(true);
    expect(xml.slice(4, xml.indexOf("-->")).trim().length).toBeGreaterThan(40);
    expect(parse(file).name).toBe(file.startsWith("fragments/") ? "fragment" : "policies");
  });

  it.each(ALL_FILES)("%s traces nothing but the audit event, and holds no Terraform interpolation", (file) => {
    const xml = read(file);
    // The one trace is the audit event (source mcp-audit, no secrets: __tests__/attacks/audit-and-cache-loss.test.ts).
    expect(elements(parse(file), "trace").map((t) => t.attributes.source)).toEqual(file === "fragments/mcp-audit.xml" ? ["mcp-audit"] : []);
    expect(xml).not.toMatch(/context\s*\.\s*Trace\s*\(/);
    expect(xml).not.toMatch(/\$\{|%\{/);
  });

  it.each(ALL_FILES)("%s uses no encryption, no non-cryptographic randomness and only 256-bit random values", (file) => {
    const xml = read(file);
    expect(xml).not.toMatch(/\bEncrypt\(|\bDecrypt\(|\bAes\b|Rijndael|\bnew Random\(|System\.Random/);
    const rngUses = xml.match(/RNGCryptoServiceProvider\(\)\.GetBytes\(bytes\)/g)?.length ?? 0;
    const buffers = xml.match(/new byte\[32\]/g)?.length ?? 0;
    expect(rngUses).toBe(buffers);
    expect(xml).not.toMatch(/new byte\[(?!32\])/);
  });
});

describe("caching: only hashes as keys, single use where it matters", () => {
  const keyVariables = new Set<string>();
  for (const file of POLICY_FILES) {
    for (const name of ["cache-lookup-value", "cache-store-value", "cache-remove-value"]) {
      for (const e of elements(parse(file), name)) keyVariables.add(/context\.Variables\["([^"]+)"\]/.exec(e.attributes.key ?? "")?.[1] ?? `literal:${e.attributes.key}`);
    }
  }

  it("keys every cache entry by a variable derived with SHA-256", () => {
    expect([...keyVariables].sort()).toEqual(["cimd-cache-key", "code-key", "consent-used-key", "grant-key", "mcp-grant-key", "mcp-upstream-key", "pending-key", "revoke-key", "revoke-upstream-key", "token-lookup-key", "upstream-key"]);
    for (const variable of keyVariables) {
      const defs = definition(variable);
      expect(defs.length, variable).toBeGreaterThan(0);
      for (const def of defs) expect(def, variable).toContain("SHA256");
    }
  });

  it("keeps cache access in operation and API policies, never in fragments", () => {
    for (const name of fragments.keys()) {
      expect(read(`fragments/${name}.xml`)).not.toMatch(/<cache-(lookup|store|remove)-value/);
    }
  });

  it("gives every lookup a default so a miss or eviction is handled, never a null", () => {
    for (const file of POLICY_FILES) {
      for (const e of elements(parse(file), "cache-lookup-value")) expect(e.attributes["default-value"], file).toBe("none");
    }
  });

  it.each([
    ["oauth-consent.xml", "600"],
    ["oauth-callback.xml", "120"],
    ["oauth-authorize.xml", "3600"],
    ["oauth-token.xml", "{{oauth-refresh-token-ttl}}"],
  ])("%s stores for %s seconds", (file, duration) => {
    expect(new Set(elements(parse(file), "cache-store-value").map((e) => e.attributes.duration))).toEqual(new Set([duration]));
  });
});

describe("GET /authorize", () => {
  const authorize = expanded("oauth-authorize.xml");

  it("refuses PKCE plain and requires S256", () => {
    expect(errorSetBy(authorize, '== "plain"')).toBe("invalid_request");
    expect(errorSetBy(authorize, '!= "S256"')).toBe("invalid_request");
    const conditions = elements(authorize, "when").map((w) => w.attributes.condition ?? "");
    expect(conditions.findIndex((c) => c.includes('== "plain"'))).toBeLessThan(conditions.findIndex((c) => c.includes('!= "S256"')));
    expect(errorSetBy(authorize, "^[A-Za-z0-9_-]{43}\\\\z")).toBe("invalid_request");
  });

  it("checks that resource names one of the gateway's MCP servers (invalid_target) and only allows response_type=code", () => {
    expect(errorSetBy(authorize, '((string)context.Variables["authz-resource"]).Length == 0')).toBe("invalid_target");
    expect(definition("authz-resource")[0]).toContain('(string)context.Variables["server-resource"]');
    const selected = elements(authorize, "set-variable").find((e) => e.attributes.name === "server-resource")!;
    expect(selected.attributes.value).toBe('@(context.Request.Url.Query.GetValueOrDefault("resource", ""))');
    expect(errorSetBy(authorize, '"response_type", "") != "code"')).toBe("unsupported_response_type");
  });

  it("redirects errors only after the redirect URI matched the registration, allowing only the loopback port to vary", () => {
    const match = definition("authz-redirect-uri")[0];
    expect(match).toContain("if ((string)item == requested) { return (string)item; }");
    // A loopback URI may differ only in its port, and what is returned is the registered text with that port.
    expect(match).toContain("known.Groups[1].Value == asked.Groups[1].Value && known.Groups[3].Value == asked.Groups[3].Value");
    expect(match).toContain('return "http://" + known.Groups[1].Value + (asked.Groups[2].Success ? ":" + asked.Groups[2].Value : "") + known.Groups[3].Value;');
    expect(match).not.toContain("new Uri");
    expect(definition("oauth-redirect-uri")).toContain('@((string)context.Variables["authz-redirect-uri"])');
  });

  it("verifies a registration's HMAC in constant time and fetches metadata documents with time and size limits", () => {
    const resolve = definition("client-registered")[0];
    expect(resolve).toContain('new System.Security.Cryptography.HMACSHA256(Convert.FromBase64String("{{oauth-hmac-key}}"))');
    expect(resolve).toContain("diff |= expected[i] ^ parts[1][i]");
    expect(resolve).toContain('ComputeHash(Encoding.UTF8.GetBytes("client-registration." + parts[0]))');
    const fetch = elements(authorize, "send-request")[0];
    expect(fetch.attributes).toMatchObject({ timeout: "5", "ignore-error": "true" });
    const doc = definition("cimd-document")[0];
    expect(doc).toContain("declared > 5120");
    expect(doc).toContain("body.Length > 5120");
    expect(doc).toContain('(string)parsed["client_id"] != (string)context.Variables["client-id"]');
  });

  it("sends the consent page with a signed __Host- cookie and anti-framing, no-store headers", () => {
    const respond = expandFragments(parse("fragments/oauth-respond.xml"), fragments);
    const consent = elements(respond, "when").find((w) => (w.attributes.condition ?? "").includes('== "consent"'))!;
    const [cookie] = headerValues(consent, "Set-Cookie");
    expect(cookie).toMatch(/^@\("__Host-mcp-consent=" \+/);
    for (const attribute of ["; Path=/", "; Secure", "; HttpOnly", "; SameSite=Lax", "; Max-Age=600"]) expect(cookie).toContain(attribute);
    expect(cookie).not.toMatch(/Domain=/i);
    expect(headerValues(consent, "X-Frame-Options")).toEqual(["DENY"]);
    const [csp] = headerValues(consent, "Content-Security-Policy");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("default-src 'none'");
    expect(headerValues(consent, "Cache-Control")).toEqual(["no-store"]);
    const ticket = definition("consent-ticket")[0];
    expect(ticket).toContain('HMACSHA256(Convert.FromBase64String("{{consent-cookie-key}}"))');
    expect(ticket).toContain("ToUnixTimeSeconds() + 600");
  });

  it("builds the consent page with XElement, so the client name and every value are escaped", () => {
    const page = definition("resp-body").find((d) => d.includes("Allow access?"))!;
    expect(page).toContain('new XElement("strong", new XAttribute("dir", "auto"), name.Length > 0 ? name : "An unnamed application")');
    expect(page.match(/"</g)).toEqual(['"<']);
    expect(page).toContain('"<!DOCTYPE html>" + page.ToString()');
  });
});

describe("POST /consent", () => {
  const consent = expanded("oauth-consent.xml");

  it("accepts the form only with a valid cookie signature, expiry, binding and CSRF token", () => {
    const valid = definition("consent-valid")[0];
    expect(valid).toContain('(long)claims["e"] < DateTimeOffset.UtcNow.ToUnixTimeSeconds()');
    expect(valid).toContain('binding == (string)claims["b"] && csrf == (string)claims["c"]');
    expect(definition("consent-field-names")).toEqual(["client_id,redirect_uri,code_challenge,state,resource,scope"]);
    expect(errorSetBy(consent, '!(bool)context.Variables["consent-valid"]')).toBe("invalid_request");
    expect(errorSetBy(consent, '["decision"] != "approve"')).toBe("access_denied");
  });

  it("redirects to Entra ID with a state and S256 PKCE derived from the ticket, the app's granted scopes, no resource, and binds the browser", () => {
    const location = definition("resp-location").find((d) => d.includes("{{entra-authorize-url}}"))!;
    expect(location).toContain("code_challenge_method=S256");
    // The upstream scope without the server's scopes the user was not granted (T-tool-scope).
    expect(location).toContain('((string)context.Variables["server-upstream-scope"]).Split(\' \').Where(s => s.Length > 0 && (!offered.Contains(s) || granted.Contains(s)))');
    expect(location).toContain('var granted = ((string)context.Variables["authz-scope"]).Split(\' \');');
    expect(location).toContain('Uri.EscapeDataString((string)context.Variables["server-entra-client-id"])');
    expect(location).toContain('Uri.EscapeDataString("{{gateway-url}}/oauth-callback")');
    expect(location).not.toMatch(/resource=/);
    expect(definition("upstream-state")[0]).toContain('HMACSHA256(Convert.FromBase64String("{{consent-cookie-key}}")).ComputeHash(Encoding.UTF8.GetBytes("upstream-state\\n" + (string)context.Variables["consent-ticket-id"]))');
    expect(definition("upstream-verifier")[0]).toContain('GetBytes("upstream-verifier\\n" + (string)context.Variables["consent-ticket-id"])');
    expect(definition("resp-cookie")[0]).toContain('GetBytes("callback-binding\\n" + (string)context.Variables["upstream-state"])');
  });
});

describe("GET /oauth-callback", () => {
  const callback = parse("oauth-callback.xml");
  const inbound = sections(callback).get("inbound")!;

  it("removes the pending request right where it is looked up (single-use state)", () => {
    const when = elements(inbound, "when").find((w) => elements(w, "cache-lookup-value").length > 0)!;
    expect(elements(when, "cache-remove-value").map((e) => e.attributes.key)).toEqual(elements(when, "cache-lookup-value").map((e) => e.attributes.key));
  });

  it("redeems the code with the managed identity's client assertion and no client secret", () => {
    const upstream = parse("fragments/oauth-upstream-token.xml");
    expect(elements(upstream, "authentication-managed-identity")[0].attributes).toEqual({
      resource: "api://AzureADTokenExchange",
      "client-id": "{{apim-identity-client-id}}",
      "output-token-variable-name": "upstream-assertion",
      "ignore-error": "true",
    });
    const body = text(elements(upstream, "set-body")[0]);
    expect(body).toContain("urn:ietf:params:oauth:client-assertion-type:jwt-bearer");
    expect(body).toContain("&client_assertion=");
    for (const file of ALL_FILES) expect(read(file), file).not.toMatch(/client_secret=/);
    expect(definition("upstream-grant").find((d) => d.includes("authorization_code"))).toContain('["gv"]');
  });

  it("hands the client a one-time code bound to client, redirect URI, challenge and resource, with state and iss", () => {
    const record = definition("code-record")[0];
    for (const field of ['"cid"', '"ru"', '"cc"', '"res"']) expect(record).toContain(field);
    const location = definition("resp-location").find((d) => d.includes("auth-code"))!;
    expect(location).toContain('(uri.Contains("?") ? "&" : "?")');
    expect(location).toContain('"&iss=" + Uri.EscapeDataString("{{gateway-url}}")');
  });
});

describe("POST /token", () => {
  const inbound = sections(expanded("oauth-token.xml")).get("inbound")!;

  it("looks up the code or grant and the grant's upstream record, removes what is consumed or revoked, and stores both records", () => {
    expect(elements(inbound, "cache-lookup-value").map((e) => e.attributes["variable-name"])).toEqual(["token-record-json", "upstream-json"]);
    expect(elements(inbound, "cache-remove-value").map((e) => /Variables\["([^"]+)"\]/.exec(e.attributes.key ?? "")?.[1])).toEqual(["token-lookup-key", "grant-key", "upstream-key"]);
    expect(elements(inbound, "cache-store-value").map((e) => /Variables\["([^"]+)"\]/.exec(e.attributes.key ?? "")?.[1])).toEqual(["upstream-key", "grant-key"]);
  });

  it("verifies PKCE S256 against the stored challenge, with a 43-128 character verifier", () => {
    const problem = definition("code-grant-problem")[0];
    expect(problem).toContain('Regex.IsMatch(verifier, "^[A-Za-z0-9._~-]{43,128}\\\\z")');
    expect(problem).toContain("SHA256.Create().ComputeHash(Encoding.ASCII.GetBytes(verifier))");
    expect(problem).toContain('challenge == (string)record["cc"]');
    expect(problem).toContain('(string)record["cid"] != (string)context.Variables["tk-client-id"]');
    expect(problem).toContain('(string)record["ru"] != (string)form["redirect_uri"]');
  });

  it("answers every RFC 6749 error it can produce as JSON", () => {
    const errors = new Set(elements(inbound, "set-variable").filter((s) => s.attributes.name === "oauth-error").map((s) => s.attributes.value));
    // Client authentication sets its error from client-auth-result: invalid_client or invalid_request.
    const authentication = '@((string)JObject.Parse((string)context.Variables["client-auth-result"])["error"])';
    expect([...errors].sort()).toEqual([authentication, "invalid_client", "invalid_grant", "invalid_request", "invalid_target", "unsupported_grant_type"].sort());
    const result = definition("client-auth-result")[0]!;
    expect(new Set([...result.matchAll(/error = "([a-z_]*)";/g)].map((m) => m[1]))).toEqual(new Set(["", "invalid_client", "invalid_request"]));
    expect(definition("client-credentials")[0]).not.toMatch(/result\["error"\] = "(?!invalid_client"|invalid_request")/);
  });

  it("issues tokens stored only as hashes, with no-store headers", () => {
    const record = definition("grant-record")[0];
    expect(record).toContain('record["ath"] = Convert.ToBase64String(System.Security.Cryptography.SHA256.Create()');
    expect(record).toContain('record["rth"] = Convert.ToBase64String(System.Security.Cryptography.SHA256.Create()');
    const body = definition("resp-body").find((d) => d.includes("access_token"))!;
    expect(body).toContain('new JProperty("token_type", "Bearer")');
    const respond = parse("fragments/oauth-respond.xml");
    const json = elements(respond, "otherwise")[0];
    expect(headerValues(json, "Pragma")).toEqual(["no-cache"]);
    expect(headerValues(json, "Cache-Control")[0]).toContain('"no-store"');
  });

  it("rotates refresh tokens: the old grant is removed once the secret matched", () => {
    const removal = elements(inbound, "cache-remove-value")[0];
    expect(removal.attributes.key).toContain("token-lookup-key");
    const refresh = parse("fragments/oauth-token-refresh-grant.xml");
    const unknown = elements(refresh, "when").find((w) => (w.attributes.condition ?? "").includes('== "unknown"'))!;
    expect(elements(unknown, "set-variable").map((s) => s.attributes.name)).not.toContain("token-consume");
  });
});

describe("POST /register and POST /revoke", () => {
  it("registers public clients and client-secret clients, no other method, and answers 201 with a client_id sealed by HMAC", () => {
    const problem = definition("register-problem")[0];
    expect(problem).toContain('(string)method != "none" && (string)method != "client_secret_basic" && (string)method != "client_secret_post"');
    expect(definition("register-client-id")[0]).toContain('HMACSHA256(Convert.FromBase64String("{{oauth-hmac-key}}"))');
    expect(definition("resp-status")).toContain("@(201)");
    const uris = definition("redirect-uris-problem")[0];
    expect(uris).toContain("uris.Count > 10");
    expect(uris).toContain("text.Length > 2000");
    expect(uris).toContain("text.IndexOf('#') >= 0");
    expect(uris).toContain("if (c <= ' ' || c >= (char)127)");
    expect(uris).toContain('var kinds = type == "native" ? new[] { "https", "loopback", "private-use" } : type == "web" ? new[] { "https" } : new[] { "https", "loopback" };');
    expect(definition("register-client-id")[0]).toContain('GetBytes("client-registration." + payload)');
  });

  it("revokes only on a matching secret and answers 200 otherwise", () => {
    const revoke = expanded("oauth-revoke.xml");
    const removal = elements(revoke, "when").find((w) => elements(w, "cache-remove-value").length > 0)!;
    expect(removal.attributes.condition).toContain("revoke-confirmed");
    expect(definition("revoke-match")[0]).toContain('hash == (string)record["ath"] || hash == (string)record["rth"] ? (string)record["cid"]');
    expect(definition("revoke-confirmed")[0]).toContain('!context.Variables.ContainsKey("oauth-error")');
    expect(errorSetBy(revoke, '"revoke-token"]).Length == 0')).toBe("invalid_request");
  });
});

describe("metadata documents", () => {
  const asBody = definition("resp-body").find((d) => d.includes('"issuer"'))!;

  it("advertise only S256, the client authentication methods some client may use, and the endpoints that exist", () => {
    expect(asBody).toContain('new JProperty("code_challenge_methods_supported", new JArray("S256"))');
    expect(asBody).toContain('new JProperty("token_endpoint_auth_methods_supported", methods)');
    expect(asBody).toContain('new JProperty("revocation_endpoint_auth_methods_supported", new JArray(methods))');
    for (const method of ["none", "client_secret_basic", "client_secret_post"]) expect(asBody).toContain(`methods.Add("${method}")`);
    expect(asBody).not.toMatch(/private_key_jwt|tls_client_auth|client_secret_jwt/);
    expect(asBody).toContain('new JProperty("client_id_metadata_document_supported", true)');
    expect(asBody).toContain('new JProperty("authorization_response_iss_parameter_supported", true)');
    expect(asBody).not.toMatch(/jwks_uri|userinfo|id_token|plain/);
    for (const endpoint of ["authorize", "token", "register", "revoke"]) expect(asBody).toContain(`"{{gateway-url}}/${endpoint}"`);
  });

  it("name the gateway as the resource's only authorization server", () => {
    const prm = definition("resp-body").find((d) => d.includes('"authorization_servers"'))!;
    expect(prm).toContain('new JProperty("resource", (string)context.Variables["server-resource"])');
    expect(elements(parse("oauth-prm.xml"), "set-variable").find((e) => e.attributes.name === "server-resource")!.attributes.value).toBe("{{gateway-url}}/{{mcp-path}}");
    expect(prm).toContain('new JProperty("authorization_servers", new JArray("{{gateway-url}}"))');
    expect(prm).toContain('new JProperty("bearer_methods_supported", new JArray("header"))');
  });
});

describe("CORS", () => {
  const preflight = parse("fragments/oauth-cors-preflight.xml");

  it("allows the MCP and OAuth headers and exposes WWW-Authenticate", () => {
    // The fixed list, plus the requested Mcp-Param- names (their echo is attacked in __tests__/attacks/cors-mcp-param.test.ts).
    const [allowHeaders] = headerValues(preflight, "Access-Control-Allow-Headers");
    expect(allowHeaders).toContain('var allowed = "Authorization, Content-Type, Mcp-Protocol-Version, Mcp-Session-Id, Mcp-Method, Mcp-Name, Last-Event-ID";');
    expect(allowHeaders).toContain(String.raw`Regex.IsMatch(h, "^mcp-param-[a-z0-9-]{1,64}\\z")`);
    expect(headerValues(preflight, "Access-Control-Expose-Headers")[0]).toContain("WWW-Authenticate");
  });

  it.each([
    ["oauth-preflight-get.xml", "GET, OPTIONS"],
    ["oauth-preflight-post.xml", "POST, OPTIONS"],
    ["mcp-api.xml", "GET, POST, DELETE, OPTIONS"],
  ])("%s answers preflights for %s", (file, methods) => {
    const set = elements(parse(file), "set-variable").find((s) => s.attributes.name === "cors-allow-methods");
    expect(set?.attributes.value).toBe(methods);
  });
});

describe("MCP API", () => {
  const mcp = expanded("mcp-api.xml");

  it("streams: forward-request buffer-response=false, no response-body reads, no set-body in outbound", () => {
    expect(elements(sections(mcp).get("backend")!, "forward-request").map((e) => e.attributes["buffer-response"])).toEqual(["false"]);
    expect(allCode(mcp)).not.toMatch(/context\s*\.\s*Response\s*\.\s*Body/);
    expect(elements(sections(mcp).get("outbound")!, "set-body")).toEqual([]);
  });

  it("answers 401 with the RFC 9728 challenge and CORS headers", () => {
    const unauthorized = elements(mcp, "return-response").find((r) => headerValues(r, "WWW-Authenticate").length > 0)!;
    const [challenge] = headerValues(unauthorized, "WWW-Authenticate");
    expect(challenge).toContain('"Bearer resource_metadata=\\"{{gateway-url}}/.well-known/oauth-protected-resource/" + path + "\\", scope=\\"" + (string)context.Variables["server-scope"] + "\\""');
    expect(challenge).toContain('error=\\"invalid_token\\"');
    expect(elements(unauthorized, "set-status")[0].attributes.code).toBe("401");
    expect(headerValues(unauthorized, "Access-Control-Allow-Origin")).toEqual(["*"]);
    expect(headerValues(unauthorized, "Access-Control-Expose-Headers")[0]).toContain("WWW-Authenticate");
  });

  it("forwards the user's Entra token instead of the client's and rate-limits per user", () => {
    const authorization = elements(mcp, "set-header").find((h) => h.attributes.name === "Authorization" && h.attributes["exists-action"] === "override")!;
    expect(authorization.attributes["exists-action"]).toBe("override");
    expect(text(authorization)).toContain('["eat"]');
    expect(elements(mcp, "rate-limit-by-key")[0].attributes).toMatchObject({
      calls: "{{mcp-rate-limit-calls}}",
      "renewal-period": "{{mcp-rate-limit-period}}",
      "counter-key": '@((string)context.Variables["mcp-rate-limit-key"])',
    });
    // The counter is the user's (Entra object id), at this server.
    expect(definition("mcp-rate-limit-key")[0]).toContain('":user:" + user');
    expect(definition("mcp-token-valid")[0]).toContain('(string)grant["res"] == (string)context.Variables["server-resource"]');
    expect(definition("mcp-token-valid")[0]).toContain('hash == (string)grant["ath"]');
  });
});
