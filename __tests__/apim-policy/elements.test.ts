import { describe, expect, it } from "vitest";
import { childSpec, expectedChildren, isPolicyStatement, KNOWN_ELEMENT_NAMES, POLICY_STATEMENTS, STATEMENT_CONTAINER, type ElementSpec } from "../../apim-policy/elements.js";
import { SECTIONS } from "../../apim-policy/sections.js";

describe("element table", () => {
  it("gives every policy sections and gateways, and names only statements as policy children", () => {
    const visit = (name: string, spec: ElementSpec): void => {
      for (const [child, childSpec] of Object.entries(spec.children ?? {})) {
        if (childSpec === "policy") expect(isPolicyStatement(child), `${name} > ${child}`).toBe(true);
        else visit(child, childSpec);
      }
    };
    for (const [name, spec] of Object.entries(POLICY_STATEMENTS)) {
      expect(spec.sections.length, name).toBeGreaterThan(0);
      for (const s of spec.sections) expect(SECTIONS, name).toContain(s);
      expect(spec.tiers.length, name).toBeGreaterThan(0);
      visit(name, spec);
    }
  });

  it("records what Microsoft Learn says of the policies this product relies on", () => {
    expect(POLICY_STATEMENTS["forward-request"]!.sections).toEqual(["backend"]);
    expect(POLICY_STATEMENTS["set-body"]!.sections).toEqual(["inbound", "outbound", "backend"]);
    expect(POLICY_STATEMENTS["cache-store-value"]!.sections).toEqual([...SECTIONS]);
    expect(Object.entries(POLICY_STATEMENTS["set-status"]!.attributes)).toEqual([["code", { required: true }], ["reason", { required: true }]]);
    expect(POLICY_STATEMENTS["rate-limit-by-key"]!.tiers).not.toContain("consumption");
    expect(POLICY_STATEMENTS["quota-by-key"]!.tiers).not.toContain("v2");
  });

  it("resolves children: a policy's own parts first, then statements in containers", () => {
    const sendRequest = POLICY_STATEMENTS["send-request"]!;
    expect(childSpec(sendRequest, "set-header")).toEqual({ spec: POLICY_STATEMENTS["set-header"], statement: false });
    expect(childSpec(sendRequest, "set-url")?.statement).toBe(false);
    expect(childSpec(sendRequest, "choose")).toBeUndefined();
    expect(childSpec(STATEMENT_CONTAINER, "choose")).toEqual({ spec: POLICY_STATEMENTS.choose, statement: true });
    expect(childSpec(STATEMENT_CONTAINER, "value")).toBeUndefined();
    expect(childSpec(STATEMENT_CONTAINER, "toString")).toBeUndefined();
    expect(expectedChildren(POLICY_STATEMENTS.choose!)).toEqual(["when", "otherwise"]);
    expect(expectedChildren(STATEMENT_CONTAINER)).toEqual(["policy statements"]);
  });

  it("knows child element names as elements too", () => {
    expect(KNOWN_ELEMENT_NAMES.has("origin")).toBe(true);
    expect(KNOWN_ELEMENT_NAMES.has("set-url")).toBe(true);
    expect(isPolicyStatement("set-url")).toBe(false);
    expect(KNOWN_ELEMENT_NAMES.has("frobnicate")).toBe(false);
  });
});
