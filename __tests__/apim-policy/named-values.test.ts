import { describe, expect, it } from "vitest";
import {
  isValidNamedValueName,
  NamedValueError,
  namedValueReferences,
  referencedNames,
  substituteNamedValues,
} from "../../apim-policy/named-values.js";

describe("named-value references", () => {
  it("finds every {{name}} with its offset, the name exactly as written", () => {
    expect(namedValueReferences("a {{x}} b {{ y }} {{x}}")).toEqual([
      { name: "x", offset: 2 },
      { name: " y ", offset: 10 },
      { name: "x", offset: 18 },
    ]);
    expect(referencedNames("{{b}}{{a}}{{b}}")).toEqual(["b", "a"]);
  });

  it("does not treat single braces or C# interpolation holes as references", () => {
    expect(namedValueReferences('@($"{a}-{b}")')).toEqual([]);
    expect(namedValueReferences("{{}}")).toEqual([{ name: "", offset: 0 }]);
  });

  it("accepts names of letters, digits, '.', '-' and '_' up to 256 characters", () => {
    expect(isValidNamedValueName("oauth-hmac_key.v2")).toBe(true);
    expect(isValidNamedValueName("x".repeat(256))).toBe(true);
    expect(isValidNamedValueName("x".repeat(257))).toBe(false);
    expect(isValidNamedValueName(" name ")).toBe(false);
    expect(isValidNamedValueName("")).toBe(false);
  });
});

describe("substituteNamedValues", () => {
  const values: Record<string, string> = { "gateway-url": "https://gw", key: "k" };
  const lookup = (name: string) => values[name];

  it("replaces each reference by its value", () => {
    expect(substituteNamedValues('<a v="{{gateway-url}}/x" k="{{key}}"/>', lookup)).toBe('<a v="https://gw/x" k="k"/>');
  });

  it("fails a reference with spaces inside the braces, naming it", () => {
    expect(() => substituteNamedValues("{{ key }}", lookup)).toThrow(NamedValueError);
    expect(() => substituteNamedValues("{{ key }}", lookup)).toThrow(/^\{\{ key \}\} is not a named value reference: a name uses only letters, digits/);
  });

  it("fails an unknown name, naming it", () => {
    try {
      substituteNamedValues("x {{nope}}", lookup);
      expect.unreachable();
    } catch (e) {
      expect(e).toMatchObject({ reference: "{{nope}}", problem: "undefined", message: "named value {{nope}} is not defined" });
    }
  });
});
