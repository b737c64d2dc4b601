import { describe, expect, it } from "vitest";
import { ESLint } from "eslint";

const eslint = new ESLint({ cwd: import.meta.dirname + "/.." });

async function restrictedImports(code: string): Promise<number> {
  const [result] = await eslint.lintText(code, { filePath: "constructs/probe.ts" });
  return result.messages.filter((m) => m.ruleId === "no-restricted-imports").length;
}

describe("lint: provider imports", () => {
  it("rejects the provider package roots and lib indexes", async () => {
    expect(await restrictedImports('import { ApiManagement } from "@cdktf/provider-azurerm";\nexport { ApiManagement };\n')).toBeGreaterThan(0);
    expect(await restrictedImports('import * as ad from "@cdktf/provider-azuread";\nexport { ad };\n')).toBeGreaterThan(0);
    expect(await restrictedImports('import * as r from "@cdktf/provider-random/lib";\nexport { r };\n')).toBeGreaterThan(0);
    expect(await restrictedImports('import * as r from "@cdktf/provider-azurerm/lib/index.js";\nexport { r };\n')).toBeGreaterThan(0);
  });

  it("accepts deep imports of one resource", async () => {
    expect(await restrictedImports('import { ApiManagement } from "@cdktf/provider-azurerm/lib/api-management";\nexport { ApiManagement };\n')).toBe(0);
  });
});

describe("constructs/providers.ts", () => {
  it("loads every provider class by the deep path of its own resource module", async () => {
    const { readFileSync } = await import("node:fs");
    const source = readFileSync(`${import.meta.dirname}/../constructs/providers.ts`, "utf8");
    const loaded = [...source.matchAll(/load\("([^"]+)"\)/g)].map((m) => m[1]);
    expect(loaded.length).toBeGreaterThan(20);
    for (const path of loaded) {
      expect(path).toMatch(/^@cdktf\/provider-(azurerm|azuread|random)\/lib\/[a-z0-9-]+$/);
      expect(path).not.toMatch(/\/lib\/(index|lazy-index)$/);
    }
  });
});
