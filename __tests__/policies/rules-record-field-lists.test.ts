import { describe, expect, it } from "vitest";
import { policyRules } from "../../constructs/policy-checks.js";
import { recordFieldListsRule, runPolicyRules, type PolicyRule } from "../../apim-policy/rules/index.js";
import { POLICY_CONTRACT } from "../../policies/contract.js";
import { contractFragment, contractPolicySet, productPolicySet, STORE_FRAGMENT, TEST_RECORDS } from "../../test-support/contract-fixtures.js";
import { policyDoc, withDocument, withXml } from "../../test-support/policy-fixtures.js";

const rule = recordFieldListsRule({ layouts: TEST_RECORDS, definedIn: "test-support/contract-fixtures.ts" });
const product = recordFieldListsRule({ layouts: POLICY_CONTRACT.records, definedIn: POLICY_CONTRACT.definedIn });
const messages = (r: PolicyRule, set: Parameters<PolicyRule["check"]>[0]) => r.check(set).map((v) => `${v.document}: ${v.message}`);
/** The fixture's store fragment with another header. */
const storeWith = (header: { what?: string; sets?: string; reads?: string }) =>
  withXml(
    contractPolicySet(),
    "store",
    STORE_FRAGMENT.replace("stores a grant record", header.what ?? "stores a grant record").replace("Sets: grant-record", `Sets: ${header.sets ?? "grant-record"}`).replace("Reads: grant-key", `Reads: ${header.reads ?? "grant-key"}`),
  );
/** A fragment reading the fixture's grant record, copied whole into `copy` (no field of its own). */
const COPY_FRAGMENT = (sets: string) =>
  contractFragment(`  <set-variable name="grant-record" value="@((string)context.Variables["grant-json"])" />`, { reads: "grant-json", sets, answers: "nothing" }, "copies the grant");

describe("rule record-field-lists", () => {
  it("passes the fixture, whose headers give no field lists, and lists that match", () => {
    expect(rule.check(contractPolicySet())).toEqual([]);
    expect(rule.check(storeWith({ sets: "grant-record {cid, exp}" }))).toEqual([]);
    expect(rule.check(storeWith({ what: "stores the test grant record {exp, cid} (order is free)" }))).toEqual([]);
  });

  it("fails a variable's list that differs from the fields the document builds its value with", () => {
    expect(messages(rule, storeWith({ sets: "grant-record {cid}" }))).toEqual([
      `store: policies/fragments/store.xml: the header's Sets: line lists {cid} for variable "grant-record", but the document builds its value with {cid, exp}`,
    ]);
    expect(messages(rule, storeWith({ sets: "grant-record {cid, exp, uid}" }))).toEqual([
      `store: policies/fragments/store.xml: the header's Sets: line lists {cid, exp, uid} for variable "grant-record", but the document builds its value with {cid, exp}`,
    ]);
  });

  it("fails a list after 'the <record> record' that differs from the layout, naming its fields and where they are defined", () => {
    expect(messages(rule, storeWith({ what: "stores the grant record {cid}" }))).toEqual([
      `store: policies/fragments/store.xml: the header lists {cid} for the test grant record; test-support/contract-fixtures.ts gives it {cid, exp}`,
    ]);
    expect(messages(rule, storeWith({ reads: "grant-key (of the test grant record {cid, exp, gone})" }))).toEqual([
      `store: policies/fragments/store.xml: the header's Reads: line lists {cid, exp, gone} for the test grant record; test-support/contract-fixtures.ts gives it {cid, exp}`,
    ]);
  });

  it("fails a record phrase that names no layout", () => {
    expect(messages(rule, storeWith({ what: "stores the session record {cid, exp}" }))).toEqual([
      `store: policies/fragments/store.xml: the header lists {cid, exp} for "the session record", which names no record layout of test-support/contract-fixtures.ts (test grant)`,
    ]);
  });

  it("compares a record copied whole with its layout's fields", () => {
    const copy = (sets: string) => withDocument(contractPolicySet(), policyDoc("fragment", "copy", COPY_FRAGMENT(sets)));
    expect(rule.check(copy("grant-record {cid, exp}"))).toEqual([]);
    expect(messages(rule, copy("grant-record {cid}"))).toEqual([
      `copy: policies/fragments/copy.xml: the header's Sets: line lists {cid} for variable "grant-record", which carries the test grant record; expected the test grant record's {cid, exp} (test-support/contract-fixtures.ts)`,
    ]);
  });

  it("leaves lists alone that are not a record's: other variables, JSON examples, named values", () => {
    const set = storeWith({ what: "stores a grant record; answers {\"code\":-32603,...}; {{gateway-url}} is not a list", reads: "grant-key, other {n: a name, r: redirect URIs}" });
    expect(rule.check(set)).toEqual([]);
  });
});

describe("the product's policy headers", () => {
  const set = productPolicySet();

  it("give every record's fields as the contract and the policies do", () => {
    expect(product.check(set)).toEqual([]);
  });

  it("fail synth's rules when a real header's list drifts, naming the file, the header line and both lists", () => {
    const grant = set.documents.find((d) => d.name === "oauth-token-code-grant")!;
    const drifted = withXml(set, grant.name, grant.xml.replace("grant-base {cid, res, scope, uid, old}", "grant-base {cid, res, scope}").replace("eat, ert, eexp, uid})", "eat, ert, eexp})"));
    expect(runPolicyRules(drifted, policyRules).map((v) => `${v.rule} ${v.document}: ${v.message}`)).toEqual([
      `record-field-lists oauth-token-code-grant: policies/fragments/oauth-token-code-grant.xml: the header's Reads: line lists {cid, ru, cc, res, scope, eat, ert, eexp} for the authorization code record; policies/contract.ts gives it {cid, ru, cc, res, scope, eat, ert, eexp, uid}`,
      `record-field-lists oauth-token-code-grant: policies/fragments/oauth-token-code-grant.xml: the header's Sets: line lists {cid, res, scope} for variable "grant-base", but the document builds its value with {cid, res, scope, uid, old}`,
    ]);
  });

  it("fail when a record copied whole is listed without one of its layout's fields", () => {
    const callback = set.documents.find((d) => d.name === "oauth-callback")!;
    const drifted = withXml(set, callback.name, callback.xml.replace("pending {cid, ru, cc, st, res, scope, gv}", "pending {cid, ru, cc, st, res, scope}"));
    expect(messages(product, drifted)).toEqual([
      `oauth-callback: policies/fragments/oauth-callback.xml: the header's Sets: line lists {cid, ru, cc, st, res, scope} for variable "pending", which carries the pending authorization record; expected the pending authorization record's {cid, ru, cc, st, res, scope, gv} (policies/contract.ts)`,
    ]);
  });
});
