import { describe, expect, it } from "vitest";
import { policyRules } from "../../constructs/policy-checks.js";
import {
  cacheRecordsRule,
  fragmentContracts,
  runPolicyRules,
  variableFlow,
  type PolicyRule,
} from "../../apim-policy/rules/index.js";
import { CACHE_RECORDS, POLICY_CONTRACT } from "../../policies/contract.js";
import { CHECK_FRAGMENT, contractFragment, contractPolicySet, OPERATION, productPolicySet, TEST_RECORDS } from "../../test-support/contract-fixtures.js";
import { policyDoc, withDocument, withXml } from "../../test-support/policy-fixtures.js";

const flow = variableFlow;
const contracts = fragmentContracts;
const records = cacheRecordsRule({ layouts: TEST_RECORDS, definedIn: "test-support/contract-fixtures.ts" });
/** The product's cache-records rule, as PolicyChecks runs it. */
const cacheRecords = cacheRecordsRule({ layouts: CACHE_RECORDS, definedIn: POLICY_CONTRACT.definedIn });
const messages = (rule: PolicyRule, set = contractPolicySet()) => rule.check(set).map((v) => `${v.document}: ${v.message}`);

describe("the contract fixture", () => {
  it("passes the three contract rules", () => {
    expect(runPolicyRules(contractPolicySet(), [flow, contracts, records])).toEqual([]);
  });
});

describe("rule variable-flow", () => {
  it("fails a read before anything in the operation's pipeline sets it, naming the variable, the file and the pipeline", () => {
    const set = withXml(contractPolicySet(), "api/op", OPERATION.replace(`<base />`, `<base />\n<set-header name="X-Early" exists-action="override"><value>@((string)context.Variables["client"])</value></set-header>`));
    expect(flow.check(set)).toEqual([
      {
        rule: "variable-flow",
        document: "api/op",
        message: `variable "client" is read at policies/api-op.xml line 4 (<value>) before anything in the pipeline of api/op sets it; set it earlier or guard the read with ContainsKey`,
      },
    ]);
  });

  it("follows <base/>: an API policy reading what only the operation sets fails in every pipeline that runs it first", () => {
    let set = withXml(contractPolicySet(), "api", `<!-- api -->\n<policies><inbound><base /><set-variable name="copy" value="@((string)context.Variables["client"])" /></inbound><backend><base /></backend><outbound><base /><set-header name="X-Copy" exists-action="override"><value>@((string)context.Variables["copy"])</value></set-header></outbound><on-error><base /></on-error></policies>`);
    set = withDocument(set, policyDoc("operation", "api/late", `<!-- late -->\n<policies><inbound><set-variable name="client" value="x" /><base /></inbound><backend><base /></backend><outbound><base /></outbound><on-error><base /></on-error></policies>`, { apiName: "api" }));
    expect(messages(flow, set)).toEqual([
      `api: variable "client" is read at policies/api.xml line 2 (<set-variable>) before anything in the pipelines of api, api/op sets it; set it earlier or guard the read with ContainsKey`,
    ]);
  });

  it("accepts a read guarded by ContainsKey in the same expression or an enclosing <when>", () => {
    const guarded = OPERATION.replace(
      `<base />`,
      `<base />\n<set-variable name="a" value="@(context.Variables.ContainsKey("client") ? (string)context.Variables["client"] : "")" /><choose><when condition="@(context.Variables.ContainsKey("client"))"><set-variable name="b" value="@((string)context.Variables["client"] + (string)context.Variables["a"])" /></when></choose><set-header name="X-B" exists-action="override"><value>@(context.Variables.GetValueOrDefault<string>("b", ""))</value></set-header>`,
    );
    expect(messages(flow, withXml(contractPolicySet(), "api/op", guarded))).toEqual([]);
  });

  it("fails a checked variable that no policy sets (a misspelt name)", () => {
    const set = withXml(contractPolicySet(), "check", CHECK_FRAGMENT.replace(`ContainsKey("auth-error")`, `ContainsKey("auth-eror")`));
    expect(messages(flow, set)).toEqual([
      `parse: variable "auth-error" is set at policies/fragments/parse.xml line 9 (<set-variable>) but no policy reads it; remove it`,
      `check: variable "auth-eror" is checked at policies/fragments/check.xml line 7 (<when>) but no policy sets it; a misspelt name, or a check that can go`,
    ]);
  });

  it("reports a variable set and never read, at each place it is set", () => {
    const set = withXml(contractPolicySet(), "api/op", OPERATION.replace(`<base />`, `<base />\n<set-variable name="checked" value="@(true)" />\n<set-variable name="checked" value="@(false)" />`));
    expect(messages(flow, set)).toEqual([
      `api/op: variable "checked" is set at policies/api-op.xml line 4 (<set-variable>) but no policy reads it; remove it`,
      `api/op: variable "checked" is set at policies/api-op.xml line 5 (<set-variable>) but no policy reads it; remove it`,
    ]);
  });

  it("counts a return-response's response-variable-name as a read", () => {
    const set = withXml(contractPolicySet(), "api/op", OPERATION.replace(`<base />`, `<base />\n<return-response response-variable-name="never-set" />`));
    expect(messages(flow, set)).toEqual([
      `api/op: variable "never-set" is read at policies/api-op.xml line 4 (<return-response>) before anything in the pipeline of api/op sets it; set it earlier or guard the read with ContainsKey`,
    ]);
  });
});

describe("rule fragment-contracts", () => {
  it("fails a header without its lines", () => {
    const set = withXml(contractPolicySet(), "check", CHECK_FRAGMENT.replace(/\n\s+Reads:[^\n]*\n\s+Sets:[^\n]*/, ""));
    expect(messages(contracts, set)).toEqual([
      `check: policies/fragments/check.xml: the header has no "Reads:" line; declare what the fragment reads ("Reads: none" when empty)`,
      `check: policies/fragments/check.xml: the header has no "Sets:" line; declare what the fragment sets ("Sets: none" when empty)`,
    ]);
  });

  it("fails reads and sets missing from the header, and header entries the fragment does not use", () => {
    const set = withXml(contractPolicySet(), "check", CHECK_FRAGMENT.replace("Reads: auth-error, grant-json", "Reads: grant-json, gone").replace("Sets: client", "Sets: none"));
    expect(messages(contracts, set)).toEqual([
      `check: policies/fragments/check.xml: reads variable "auth-error", which the header's Reads: line does not list`,
      `check: policies/fragments/check.xml: the header's Reads: line lists "gone", which the fragment does not read`,
      `check: policies/fragments/check.xml: sets variable "client", which the header's Sets: line does not list`,
    ]);
  });

  it("compares the named values and context paths of Reads with what the fragment uses", () => {
    const xml = contractFragment(`  <set-header name="X-Url" exists-action="override"><value>@("{{gateway-url}}" + context.Request.Headers.GetValueOrDefault("X-A", ""))</value></set-header>`, {
      reads: "{{gateway-url}}, context.Request.Headers (X-A)",
      sets: "none (a header only)",
      answers: "nothing",
    });
    expect(messages(contracts, withDocument(contractPolicySet(), policyDoc("fragment", "nv", xml)))).toEqual([]);
    const wrong = xml.replace("Reads: {{gateway-url}}, context.Request.Headers (X-A)", "Reads: {{mcp-path}}, context.LastError");
    expect(messages(contracts, withDocument(contractPolicySet(), policyDoc("fragment", "nv", wrong)))).toEqual([
      `nv: policies/fragments/nv.xml: uses named value {{gateway-url}}, which the header's Reads: line does not list`,
      `nv: policies/fragments/nv.xml: the header's Reads: line lists {{mcp-path}}, which the fragment does not use`,
      `nv: policies/fragments/nv.xml: the header's Reads: line lists context.LastError, which the fragment does not read`,
    ]);
  });

  it("compares Answers with the status codes of the fragment's return-response policies", () => {
    const wrong = withXml(contractPolicySet(), "check", CHECK_FRAGMENT.replace("Answers: 401 when the grant is missing or unknown", "Answers: 403 forbidden"));
    expect(messages(contracts, wrong)).toEqual([
      `check: policies/fragments/check.xml: answers 401, which the header's Answers: line does not list`,
      `check: policies/fragments/check.xml: the header's Answers: line lists 403, which no return-response of the fragment sets`,
    ]);
    const nothing = withXml(contractPolicySet(), "check", CHECK_FRAGMENT.replace("Answers: 401 when the grant is missing or unknown", "Answers: nothing"));
    expect(messages(contracts, nothing)).toEqual([`check: policies/fragments/check.xml: the header says "Answers: nothing" but the fragment has a return-response`]);
  });

  it("accepts a computed status when Answers names codes, and a header value continued on the next line", () => {
    const xml = contractFragment(`  <return-response><set-status code="@(context.Variables.GetValueOrDefault<int>("status", 400))" reason="x" /></return-response>`, {
      reads: "status",
      sets: "none",
      answers: "400 by default,\n       or the status the including policy chose",
    });
    expect(messages(contracts, withDocument(contractPolicySet(), policyDoc("fragment", "computed", xml)))).toEqual([]);
  });
});

describe("rule cache-records", () => {
  it("fails a key with a prefix no layout declares", () => {
    const set = withXml(contractPolicySet(), "parse", contractPolicySet().documents[3]!.xml.replace(`"test:grant:"`, `"test:grants:"`));
    expect(messages(records, set)[0]).toBe(
      `api/op: the cache key at policies/api-op.xml line 5 (<cache-lookup-value>) starts with "test:grants:", which no record layout of test-support/contract-fixtures.ts declares`,
    );
  });

  it("fails a field that is not in the layout, and a declared field never read", () => {
    const set = withXml(contractPolicySet(), "check", CHECK_FRAGMENT.replace(`["cid"]`, `["client_id"]`));
    expect(messages(records, set)).toEqual([
      `check: field "client_id" of variable "grant-json" at policies/fragments/check.xml line 13 (<set-variable>) is not a field of the test grant record (test-support/contract-fixtures.ts: cid, exp)`,
      `*: field "cid" of the test grant record (test-support/contract-fixtures.ts) is written but never read by a policy`,
    ]);
  });

  it("fails a value stored or looked up through a variable the layout does not list", () => {
    const layouts = [{ ...TEST_RECORDS[0]!, variables: ["grant-json"] }];
    expect(messages(cacheRecordsRule({ layouts, definedIn: "test-support/contract-fixtures.ts" }))).toEqual([
      `store: policies/fragments/store.xml line 7 (<cache-store-value>) stores the test grant record through variable "grant-record", which test-support/contract-fixtures.ts does not list among its variables`,
      `*: field "cid" of the test grant record (test-support/contract-fixtures.ts) is never written by a policy`,
      `*: field "exp" of the test grant record (test-support/contract-fixtures.ts) is never written by a policy`,
    ]);
  });

  it("fails a record looked up but never stored", () => {
    const set = { ...contractPolicySet(), documents: contractPolicySet().documents.filter((d) => d.name !== "store") };
    const withoutStore = withXml(set, "api/op", OPERATION.replace(`<include-fragment fragment-id="store" />`, `<set-variable name="n" value="1" />`));
    expect(messages(records, withoutStore)).toContain(`*: the test grant record (prefix "test:grant:") is looked up or removed, but no policy stores it`);
  });

  it("describes the product's records with a meaning for every field", () => {
    for (const layout of CACHE_RECORDS) {
      expect(layout.prefix).toMatch(/^oauth:[a-z-]+:$/);
      for (const meaning of Object.values(layout.fields ?? {})) expect(meaning.length).toBeGreaterThan(5);
    }
  });
});

describe("the product's policies", () => {
  const product = productPolicySet();

  it("pass every rule, the contract rules included: no finding at all", () => {
    expect(runPolicyRules(product, policyRules)).toEqual([]);
  });

  it("fail when a real fragment reads a variable no step of its pipelines set, naming the variable and the file", () => {
    const prepare = product.documents.find((d) => d.name === "mcp-forward-prepare")!;
    const typo = withXml(product, prepare.name, prepare.xml.replace(`context.Variables["server-backend-auth"]`, `context.Variables["server-backend-auht"]`));
    const findings = runPolicyRules(typo, policyRules);
    expect(findings.filter((v) => v.rule === "variable-flow").map((v) => v.message)).toEqual([
      expect.stringMatching(/^variable "server-backend-auht" is read at policies\/fragments\/mcp-forward-prepare\.xml line \d+ \(<when>\) before anything in the pipelines? of mcp[^ ]* sets it; set it earlier or guard the read with ContainsKey$/),
    ]);
    expect(findings.filter((v) => v.rule === "fragment-contracts").map((v) => v.message)).toEqual([
      `policies/fragments/mcp-forward-prepare.xml: reads variable "server-backend-auht", which the header's Reads: line does not list`,
      `policies/fragments/mcp-forward-prepare.xml: the header's Reads: line lists "server-backend-auth", which the fragment does not read`,
    ]);
  });

  it("fail when a real fragment's header no longer says what it sets", () => {
    const revoke = product.documents.find((d) => d.name === "oauth-revoke")!;
    const stale = withXml(product, revoke.name, revoke.xml.replace("revoke-upstream-key, resp-kind=empty,", "resp-kind=empty,"));
    expect(runPolicyRules(stale, policyRules).map((v) => `${v.rule} ${v.document}: ${v.message}`)).toEqual([
      `fragment-contracts oauth-revoke: policies/fragments/oauth-revoke.xml: sets variable "revoke-upstream-key", which the header's Sets: line does not list`,
    ]);
  });

  it("use exactly the cache records of policies/contract.ts, which the rule traces through their variables", () => {
    expect(cacheRecords.check(product)).toEqual([]);
    const issue = product.documents.find((d) => d.name === "oauth-token-issue")!;
    const typo = withXml(product, issue.name, issue.xml.replace(`record["aexp"]`, `record["aexpp"]`));
    expect(cacheRecords.check(typo).map((v) => v.message)).toEqual([
      expect.stringMatching(/^field "aexpp" of variable "grant-record" at policies\/fragments\/oauth-token-issue\.xml line \d+ \(<set-variable>\) is not a field of the grant record \(policies\/contract\.ts: [a-z, ]*\baexp\b[a-z, ]*\)$/),
      `field "aexp" of the grant record (policies/contract.ts) is never written by a policy`,
    ]);
  });
});

describe("the registered contract rules", () => {
  it("report their findings on any policy set, against the product's record layouts", () => {
    const set = withXml(contractPolicySet(), "check", CHECK_FRAGMENT.replace("Sets: client", "Sets: none"));
    const findings = runPolicyRules(set, [variableFlow, fragmentContracts, cacheRecords]);
    // The registered cache-records rule knows the product's layouts only, not the fixture's test:grant: record.
    expect(findings.map((v) => `${v.rule} ${v.document}: ${v.message}`)).toEqual([
      `fragment-contracts check: policies/fragments/check.xml: sets variable "client", which the header's Sets: line does not list`,
      `cache-records api/op: the cache key at policies/api-op.xml line 5 (<cache-lookup-value>) starts with "test:grant:", which no record layout of policies/contract.ts declares`,
      `cache-records store: the cache key at policies/fragments/store.xml line 7 (<cache-store-value>) starts with "test:grant:", which no record layout of policies/contract.ts declares`,
    ]);
  });
});

describe("the runner", () => {
  it("reports a rule that crashes under the rule's own id and still runs the others", () => {
    const crashing: PolicyRule = {
      id: "crashing-rule",
      description: "throws on every set, for the test",
      check: () => {
        throw new TypeError("cannot read properties of undefined");
      },
    };
    const findings = runPolicyRules(contractPolicySet(), [crashing, flow]);
    expect(findings).toEqual([
      {
        rule: "crashing-rule",
        document: "*",
        message: "the rule crashed (TypeError: cannot read properties of undefined); its checks did not run, so the policy set is not known to pass it",
      },
    ]);
  });
});
