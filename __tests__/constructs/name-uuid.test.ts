import { describe, expect, it } from "vitest";
import { nameBasedUuid, PRODUCT_UUID_NAMESPACE } from "../../constructs/name-uuid.js";

describe("nameBasedUuid", () => {
  it("is the RFC 9562 version 5 UUID (the RFC's DNS example)", () => {
    expect(nameBasedUuid("www.example.com", "6ba7b810-9dad-11d1-80b4-00c04fd430c8")).toBe("2ed6657d-e927-568b-95e1-2665a8aea6a2");
  });

  it("is stable for a name and differs between names, in the product's namespace by default", () => {
    expect(nameBasedUuid("tickets/Tickets.Admin")).toBe(nameBasedUuid("tickets/Tickets.Admin", PRODUCT_UUID_NAMESPACE));
    expect(nameBasedUuid("tickets/Tickets.Admin")).not.toBe(nameBasedUuid("reports/Tickets.Admin"));
    expect(nameBasedUuid("x")).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it("fails on a namespace that is not a UUID, naming it", () => {
    expect(() => nameBasedUuid("x", "not-a-uuid")).toThrow(/namespace "not-a-uuid" is not a UUID/);
  });
});
