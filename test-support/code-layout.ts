/**
 * What the layout tests read of the repository's code: its source files, and where each imports
 * from (static imports, `export ... from` and dynamic `import()`, type-only imports included), so
 * that the folders' import rules are checked on what the files really say.
 */
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";

/** The repository root. */
export const ROOT = resolve(import.meta.dirname, "..");

/** Folders never scanned: dependencies and build output. */
const SKIPPED = new Set(["node_modules", "cdktf.out", "dist", "coverage", ".git", ".gen"]);

/** Repository-relative paths (with '/') of the files under `dir` (`""`: the whole repository) whose names match `ext`. */
export function sourceFiles(dir: string, ext: RegExp): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((e) => {
    if (e.isDirectory()) return SKIPPED.has(e.name) ? [] : sourceFiles(join(dir, e.name), ext);
    return ext.test(e.name) ? [join(dir, e.name).split("\\").join("/")] : [];
  });
}

/** Repository-relative targets of every relative import, export-from and import() of a TypeScript file. */
export function importTargets(file: string): string[] {
  const source = readFileSync(join(ROOT, file), "utf8");
  const specifiers = [...source.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|^\s*import\s+)["'](\.[^"']+)["']/gm)].map((m) => m[1]!);
  return specifiers.map((s) => relative(ROOT, resolve(ROOT, dirname(file), s)).split("\\").join("/"));
}

/** The top-level folder a repository path belongs to; files at the root (main.ts, ...) belong to `(root)`. */
export function folderOf(path: string): string {
  return path.includes("/") ? path.slice(0, path.indexOf("/")) : "(root)";
}
