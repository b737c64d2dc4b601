/**
 * docs/threat-model.md stays true: every row names a counter and a test, every file it names
 * exists, and every test title it names is a test in that file. Its settings table ("what the
 * platform file declares, the gateway enforces") has a row for every key of the platform
 * configuration file with a security effect, and names every other key as having none: the key
 * list comes from the schema (config/platform.ts platformKeyPaths), so a new key fails here until
 * the table or the list says what it does.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { platformKeyPaths } from "../../config/platform.js";

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

/** A test cell: `file`: title; `file`: title; ... */
function testEntries(cell: string): { file: string; title: string }[] {
  return cell
    .split(/;\s*/)
    .map((entry) => /^`([^`]+)`: (.+)$/.exec(entry.trim()))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ file: m[1]!, title: m[2]!.trim() }));
}

function expectTestExists(where: string, entry: { file: string; title: string }): void {
  const { literal, patterns } = titles(resolvePath(entry.file));
  expect(literal.has(entry.title) || patterns.some((p) => p.test(entry.title)), `${where}: "${entry.title}" in ${entry.file}`).toBe(true);
}

/** The settings table: rows whose first cell names platform-file keys in backticks. */
const SETTINGS_HEADING = "## Settings: what the platform file declares, the gateway enforces";
const settingsSection = doc.split(SETTINGS_HEADING)[1]?.split(/\n## /)[0] ?? "";
const settingRows = settingsSection
  .split("\n")
  .filter((line) => /^\| `[a-z]/.test(line))
  .map((line) => {
    const cells = line.split(" | ").map((c) => c.replace(/^\| ?| ?\|$/g, "").trim());
    return { keys: [...cells[0]!.matchAll(/`([^`]+)`/g)].map((m) => m[1]!), enforcer: cells[1]!, tests: cells[2]! };
  });
/** The keys the section names as having no security effect (the paragraph starting "Keys without a security effect"). */
const noEffectKeys = [...(/^Keys without a security effect[^\n]*$/m.exec(settingsSection)?.[0] ?? "").matchAll(/`([^`]+)`/g)].map((m) => m[1]!);

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
    for (const row of rows) for (const entry of testEntries(row.tests)) expectTestExists(row.id, entry);
  });
});

describe("docs/threat-model.md settings table", () => {
  const keys = platformKeyPaths();

  it("says of every key of the platform configuration file whether it has a security effect, and of none twice", () => {
    expect(settingRows.length).toBeGreaterThanOrEqual(10);
    const named = [...settingRows.flatMap((r) => r.keys), ...noEffectKeys];
    expect(new Set(named).size, "a key named twice").toBe(named.length);
    // A key that only holds others (servers, clients.static[] ...) is said for by its keys.
    const holders = new Set(named.flatMap((k) => keys.filter((other) => k.startsWith(`${other}.`) || k.startsWith(`${other}[].`))));
    const unsaid = keys.filter((k) => !named.includes(k) && !holders.has(k));
    expect(unsaid, "keys in neither the settings table nor the list of keys without a security effect").toEqual([]);
    expect(named.filter((k) => !keys.includes(k)), "keys that are not in the platform schema").toEqual([]);
  });

  it("names for every setting what enforces it (files that exist) and an attack through the local gateway (tests that exist)", () => {
    for (const row of settingRows) {
      const where = row.keys.join(", ");
      expect(namedPaths(row.enforcer).length, `${where}: what enforces it`).toBeGreaterThan(0);
      for (const p of [...namedPaths(row.enforcer), ...namedPaths(row.tests)]) expect(existsSync(resolvePath(p)), `${where} names ${p}`).toBe(true);
      const entries = testEntries(row.tests);
      expect(entries.some((e) => e.file === "__tests__/attacks/declared-enforced.test.ts"), `${where}: an attack in __tests__/attacks/declared-enforced.test.ts`).toBe(true);
      for (const entry of entries) expectTestExists(where, entry);
    }
  });
});
