/**
 * The shape of the emulator's code: no file of local/ over 500 lines, and the policy language
 * shared through apim-policy/ only: local/ never imports constructs/ (nor the reverse), and
 * apim-policy/ imports neither (eslint.config.js enforces the same on static imports; this test
 * also sees dynamic ones).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { importTargets, ROOT, sourceFiles as files } from "../../test-support/code-layout.js";

describe("local/ code layout", () => {
  it("keeps every file of the local gateway, expression host and Entra stand-in at 500 lines or fewer", () => {
    const long = files("local", /\.(ts|cs)$/)
      .map((f) => ({ f, lines: readFileSync(join(ROOT, f), "utf8").split("\n").length }))
      .filter(({ lines }) => lines > 500)
      .map(({ f, lines }) => `${f}: ${lines} lines`);
    expect(long).toEqual([]);
  });

  it.each([
    ["local", ["constructs/"]],
    ["constructs", ["local/"]],
    ["apim-policy", ["constructs/", "local/", "policies/", "main"]],
  ])("keeps %s/ from importing %j", (dir, forbidden) => {
    const found = files(dir, /\.ts$/).flatMap((f) => importTargets(f).filter((t) => forbidden.some((x) => t.startsWith(x))).map((t) => `${f} imports ${t}`));
    expect(found).toEqual([]);
  });

  it("sees the imports it checks (the scan is not blind)", () => {
    expect(importTargets("local/gateway/interpreter.ts")).toContain("apim-policy/effective.js");
    expect(importTargets("local/run.ts")).toContain("main.js");
  });
});
