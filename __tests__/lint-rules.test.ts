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
