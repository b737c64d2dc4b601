/**
 * The shape of the repository's own code: no source file of the infrastructure (`constructs/`,
 * `config/`) over 500 lines, so each keeps to one concern (local/ has its own rule in
 * __tests__/local/code-layout.test.ts).
 */
import { readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = resolve(import.meta.dirname, "..");

/** Repository-relative paths of the files under `dir` whose names match `ext`. */
function files(dir: string, ext: RegExp): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? files(join(dir, e.name), ext) : ext.test(e.name) ? [join(dir, e.name).split("\\").join("/")] : [],
  );
}

describe("repository layout", () => {
  it.each(["constructs", "config"])("keeps every source file of %s/ at 500 lines or fewer", (dir) => {
    const sources = files(dir, /\.ts$/);
    expect(sources.length).toBeGreaterThan(0);
    const long = sources
      .map((f) => ({ f, lines: readFileSync(join(ROOT, f), "utf8").split("\n").length }))
      .filter(({ lines }) => lines > 500)
      .map(({ f, lines }) => `${f}: ${lines} lines`);
    expect(long).toEqual([]);
  });
});
