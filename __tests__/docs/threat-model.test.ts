/**
 * docs/threat-model.md stays true: every row names a counter and a test, every file it names
 * exists, and every test title it names is a test in that file.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = join(import.meta.dirname, "..", "..");
const doc = readFileSync(join(ROOT, "docs", "threat-model.md"), "utf8");

interface Row {
  readonly id: string;
  readonly counter: string;
  readonly tests: string;
  readonly status: string;
}

const rows: Row[] = doc
  .split("\n")
  .filter((line) => /^\| T-[a-z0-9-]+ \|/.test(line))
  .map((line) => {
    const cells = line.split(" | ").map((c) => c.replace(/^\| ?| ?\|$/g, "").trim());
    return { id: cells[0]!, counter: cells[2]!, tests: cells[3]!, status: cells[4]! };
  });

/** A path named in backticks: policy files are relative to policies/, everything else to the repo. */
function resolvePath(p: string): string {
  if (/^(fragments\/)?[a-z0-9-]+\.xml$/.test(p)) return join(ROOT, "policies", p);
  return join(ROOT, p);
}

const namedPaths = (cell: string): string[] => [...cell.matchAll(/`([^`\s]+\.(?:xml|ts|md))`/g)].map((m) => m[1]!);

/** The test titles of a test file; `it.each` titles become patterns (`%s` matches anything). */
function titles(file: string): { literal: Set<string>; patterns: RegExp[] } {
  const text = readFileSync(file, "utf8");
  const literal = new Set<string>();
  const patterns: RegExp[] = [];
  for (const m of text.matchAll(/\bit(\.each\([^)]*\))?\(\s*("(?:[^"\\]|\\.)*")/g)) {
    const title = JSON.parse(m[2]!) as string;
    if (m[1]) patterns.push(new RegExp(`^${title.replace(/[.*+?^${}()|[\]\\]/g, "\\$&").replace(/%[sdj]/g, ".+")}$`));
    else literal.add(title);
  }
  return { literal, patterns };
}

describe("docs/threat-model.md", () => {
  it("has a row for every RFC 9700 §4 section (4.1 to 4.18) and the MCP best practices", () => {
    for (let n = 1; n <= 18; n++) expect(doc, `§4.${n}`).toMatch(new RegExp(`\\| §4\\.${n}[ ,.]`));
    for (const id of ["T-confused-deputy", "T-token-passthrough", "T-ssrf", "T-session-hijacking", "T-local-server", "T-scope-minimization"]) {
      expect(rows.map((r) => r.id)).toContain(id);
    }
  });

  it("gives every row a unique id, a counter, a status and, unless n/a, a test", () => {
    expect(rows.length).toBeGreaterThan(40);
    expect(new Set(rows.map((r) => r.id)).size).toBe(rows.length);
    for (const row of rows) {
      expect(row.counter.length, row.id).toBeGreaterThan(10);
      expect(row.status, row.id).toMatch(/^(countered|partial|n\/a)/);
      if (!row.status.startsWith("n/a")) expect(row.tests, row.id).toMatch(/`__tests__\//);
    }
  });

  it("names only files that exist", () => {
    for (const row of rows) {
      for (const p of [...namedPaths(row.counter), ...namedPaths(row.tests)]) {
        expect(existsSync(resolvePath(p)), `${row.id} names ${p}`).toBe(true);
      }
    }
  });

  it("names only tests that exist in the file it names", () => {
    for (const row of rows) {
      for (const entry of row.tests.split(/;\s*/)) {
        const m = /^`([^`]+)`: (.+)$/.exec(entry.trim());
        if (!m) continue;
        const { literal, patterns } = titles(resolvePath(m[1]!));
        const title = m[2]!.trim();
        expect(literal.has(title) || patterns.some((p) => p.test(title)), `${row.id}: "${title}" in ${m[1]}`).toBe(true);
      }
    }
  });
});
