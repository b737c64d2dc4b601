/**
 * The local gateway's element implementations against the element table (apim-policy/elements.ts):
 * an implementation may cover less than API Management accepts, never more, so a policy the
 * local gateway runs is one the static checks (and API Management) accept.
 */
import { describe, expect, it } from "vitest";
import { POLICY_STATEMENTS, type ElementSpec } from "../../apim-policy/elements.js";
import { ELEMENTS } from "../../local/gateway/elements/index.js";

/** Every own part of a spec, at any depth, by name (policy statements inside containers excluded). */
function parts(spec: ElementSpec, into = new Map<string, ElementSpec>()): Map<string, ElementSpec> {
  for (const [name, child] of Object.entries(spec.children ?? {})) {
    if (child === "policy") continue;
    into.set(name, child);
    parts(child, into);
  }
  return into;
}

describe("local gateway element registry", () => {
  it("implements only policy statements of the element table, each under its own name", () => {
    for (const [name, impl] of ELEMENTS) {
      expect(impl.name).toBe(name);
      expect(POLICY_STATEMENTS[name], name).toBeDefined();
    }
  });

  it("implements only attributes and parts the element table lists for each element", () => {
    for (const impl of ELEMENTS.values()) {
      const spec = POLICY_STATEMENTS[impl.name]!;
      for (const a of impl.attributes ?? []) expect(Object.keys(spec.attributes), `${impl.name} ${a}`).toContain(a);
      const known = parts(spec);
      for (const [part, attributes] of Object.entries(impl.parts ?? {})) {
        const partSpec = known.get(part);
        expect(partSpec, `${impl.name} > ${part}`).toBeDefined();
        for (const a of attributes) expect(Object.keys(partSpec!.attributes), `${impl.name} > ${part} ${a}`).toContain(a);
      }
    }
  });

  it("covers every element the product's policies use", () => {
    expect([...ELEMENTS.keys()].sort()).toEqual(
      [
        "authentication-managed-identity", "cache-lookup-value", "cache-remove-value", "cache-store-value", "choose", "cors", "forward-request",
        "rate-limit-by-key", "return-response", "rewrite-uri", "send-request", "set-backend-service", "set-body", "set-header", "set-method",
        "set-query-parameter", "set-status", "set-variable", "trace",
      ].sort(),
    );
  });
});
