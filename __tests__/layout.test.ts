/**
 * The shape of the repository's own code: folders import one way, and no folder imports, directly or
 * through others, one that imports it back (no folder cycle), dynamic `import()` and type-only
 * imports included. The neutral bases (vocabulary/: names and rules; apim-policy/: the policy
 * language) import nothing of the repository; the reusable constructs import neither the app's
 * configuration nor its sample server (only the app's composition in stack/ reads both).
 * eslint.config.js (`boundary`) enforces the same rules on static imports while editing; this test
 * also sees dynamic ones and cycles through several folders. No source file of the infrastructure
 * (constructs/, config/, vocabulary/, stack/) is over 500 lines.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ESLint } from "eslint";
import { describe, expect, it } from "vitest";
import { folderOf, importTargets, ROOT, sourceFiles } from "../test-support/code-layout.js";

/** Every TypeScript file of the repository except the tests themselves. */
const SOURCES = sourceFiles("", /\.ts$/).filter((f) => folderOf(f) !== "__tests__");

/** Folder -> folder it imports -> one file that does (for the messages). */
function folderImports(): Map<string, Map<string, string>> {
  const graph = new Map<string, Map<string, string>>();
  for (const file of SOURCES) {
    const from = folderOf(file);
    for (const target of importTargets(file)) {
      const to = folderOf(target);
      if (to === from) continue;
      if (!graph.has(from)) graph.set(from, new Map());
      if (!graph.get(from)!.has(to)) graph.get(from)!.set(to, `${file} imports ${target}`);
    }
  }
  return graph;
}

/** Every elementary cycle of the folder graph, each as the chain of imports that closes it (Johnson's idea, small graph). */
function cycles(graph: Map<string, Map<string, string>>): string[][] {
  const found: string[][] = [];
  const nodes = [...new Set([...graph.keys(), ...[...graph.values()].flatMap((m) => [...m.keys()])])].sort();
  for (const start of nodes) {
    // Only cycles whose smallest folder is `start`, so each is reported once.
    const walk = (at: string, path: string[], seen: Set<string>) => {
      for (const [next, why] of graph.get(at) ?? []) {
        if (next === start) found.push([...path, why]);
        else if (next > start && !seen.has(next)) walk(next, [...path, why], new Set([...seen, next]));
      }
    };
    walk(start, [], new Set([start]));
  }
  return found;
}

/** The one table of what each folder may import (eslint.config.js `FOLDER_IMPORTS`), and the folders it knows. */
interface LintLayout {
  readonly FOLDER_IMPORTS: Readonly<Record<string, { readonly allow: readonly string[]; readonly why: string }>>;
}
const LINT_CONFIG = "../eslint.config.js"; // plain JavaScript without types: imported by a name the compiler does not resolve
const { FOLDER_IMPORTS } = (await import(LINT_CONFIG)) as LintLayout;
const ALLOWED = Object.fromEntries(Object.entries(FOLDER_IMPORTS).map(([folder, rule]) => [folder, rule.allow]));

/** The top-level folders that hold TypeScript. */
const TOP_FOLDERS = [...new Set(sourceFiles("", /\.ts$/).map(folderOf))].filter((f) => f !== "(root)").sort();

describe("repository layout", () => {
  it("has no folder cycle, static, type-only or dynamic imports alike", () => {
    expect(cycles(folderImports()).map((chain) => chain.join(" -> "))).toEqual([]);
  });

  it.each(Object.entries(ALLOWED))("keeps %s/ importing only %j of the repository", (folder, allowed) => {
    expect(SOURCES.some((f) => folderOf(f) === folder), `${folder}/ has sources`).toBe(true);
    const refused = [...(folderImports().get(folder) ?? new Map<string, string>())].filter(([to]) => !allowed.includes(to)).map(([, why]) => why);
    expect(refused).toEqual([]);
  });

  // A folder missing from eslint.config.js FOLDERS is never refused by lint: this fails for it too.
  it("has npm run lint refuse exactly what the table refuses, for every folder", async () => {
    const eslint = new ESLint({ cwd: ROOT });
    const wrong: string[] = [];
    for (const [folder, allowed] of Object.entries(ALLOWED)) {
      for (const target of TOP_FOLDERS.filter((f) => f !== folder)) {
        const [result] = await eslint.lintText(`import "../${target}/probe.js";\n`, { filePath: join(ROOT, folder, "probe.ts") });
        const refused = result!.messages.some((m) => m.ruleId === "no-restricted-imports");
        if (refused === allowed.includes(target)) wrong.push(`${folder}/ importing ${target}/: lint ${refused ? "refuses" : "allows"} it, the table ${refused ? "allows" : "refuses"} it`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it("sees the imports it checks, dynamic ones included (the scan is not blind)", () => {
    const graph = folderImports();
    expect(graph.get("local")?.get("(root)")).toMatch(/^local\/(policy|run)\.ts imports main\.js$/); // await import("../main.js") in both
    expect([...(graph.get("constructs")?.keys() ?? [])]).toContain("vocabulary");
    expect([...(graph.get("stack")?.keys() ?? [])]).toEqual(expect.arrayContaining(["config", "constructs", "mcp-app"]));
  });

  it("finds a cycle through several folders, and names each import that closes it", () => {
    const graph = new Map([
      ["a", new Map([["b", "a/x.ts imports b/y.js"]])],
      ["b", new Map([["c", "b/y.ts imports c/z.js"]])],
      ["c", new Map([["a", "c/z.ts imports a/x.js"], ["d", "c/z.ts imports d/w.js"]])],
    ]);
    expect(cycles(graph)).toEqual([["a/x.ts imports b/y.js", "b/y.ts imports c/z.js", "c/z.ts imports a/x.js"]]);
    expect(cycles(new Map([["a", new Map([["b", "a -> b"]])]]))).toEqual([]);
  });

  it.each(["constructs", "config", "vocabulary", "stack", "verify", "local", "apim-policy", "policies", "mcp-app", "bench", "test-support"])("keeps every source file of %s/ at 500 lines or fewer", (dir) => {
    const files = sourceFiles(dir, /\.ts$/);
    expect(files.length).toBeGreaterThan(0);
    const long = files
      .map((f) => ({ f, lines: readFileSync(join(ROOT, f), "utf8").split("\n").length }))
      .filter(({ lines }) => lines > 500)
      .map(({ f, lines }) => `${f}: ${lines} lines`);
    expect(long).toEqual([]);
  });
});
