/**
 * README's "Changes that replace resources" stays true: every environment variable it names is a
 * setting of config/config.ts, every platform-file key it names is a key of the platform schema,
 * and the two changes issue 21 names are rows of it.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { CONFIG_VARIABLES } from "../../config/config.js";

const README = readFileSync(join(import.meta.dirname, "..", "..", "README.md"), "utf8");
const PLATFORM = readFileSync(join(import.meta.dirname, "..", "..", "config", "platform.ts"), "utf8");

/** The table's rows (the header and the rule left out). */
function table(): string[] {
  const section = README.slice(README.indexOf("### Changes that replace resources"), README.indexOf("### Post-deploy check"));
  return section.split("\n").filter((l) => l.startsWith("| ") && !l.startsWith("| Change"));
}

describe('README "Changes that replace resources"', () => {
  const rows = table();

  it("has a row for moving APIM_SKU between tiers and for the Redis SKU or high availability", () => {
    expect(rows.some((r) => r.startsWith("| `APIM_SKU` between a v2 tier"))).toBe(true);
    expect(rows.some((r) => /^\| Redis `sku_name` or high availability/.test(r))).toBe(true);
  });

  it("names only settings that exist", () => {
    const first = rows.map((r) => r.split("|")[1]!);
    const upper = first.flatMap((c) => [...c.matchAll(/`([A-Z][A-Z0-9_]+)`/g)].map((m) => m[1]!));
    expect(upper.length).toBeGreaterThanOrEqual(5);
    for (const name of upper) expect(CONFIG_VARIABLES as readonly string[]).toContain(name);
    const keys = first.flatMap((c) => [...c.matchAll(/`([a-z][A-Za-z]*)(?:\.([a-z][A-Za-z]*))?`/g)].map((m) => m[2] ?? m[1]!)).filter((k) => k !== "sku_name");
    for (const key of keys) expect(PLATFORM).toMatch(new RegExp(`\\b${key}:`));
  });
});
