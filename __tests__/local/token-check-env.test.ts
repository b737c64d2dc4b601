import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { formatTokenCheckEnvironment, TOKEN_CHECK_VARIABLES, tokenCheckEnvironment } from "../../local/token-check-env.js";
import { platformStack, synthJson } from "../../test-support/synth.js";

const ROOT = join(import.meta.dirname, "..", "..");
const README = readFileSync(join(ROOT, "README.md"), "utf8");
const NAMES = Object.keys(TOKEN_CHECK_VARIABLES).sort();

/** The README section "Protect your own MCP server", up to the next second-level heading. */
function protectSection(): string {
  const start = README.indexOf("## Protect your own MCP server");
  expect(start).toBeGreaterThan(-1);
  const end = README.indexOf("\n## ", start + 1);
  return README.slice(start, end === -1 ? undefined : end);
}

/** The fenced code blocks of `section` in `language`. */
function codeBlocks(section: string, language: string): string[] {
  return [...section.matchAll(new RegExp("```" + language + "\\n([\\s\\S]*?)```", "g"))].map((m) => m[1]!);
}

describe("the environment of a backend's token check", () => {
  it("maps each variable to the servers output field that holds it, and prints NAME=value pairs", () => {
    const env = tokenCheckEnvironment({ issuer: "http://127.0.0.1:1/t/v2.0", jwksUri: "http://127.0.0.1:1/t/discovery/v2.0/keys" }, { entraClientId: "c1", requiredScope: "tickets.read" });
    expect(env).toEqual({ ENTRA_ISSUER: "http://127.0.0.1:1/t/v2.0", ENTRA_JWKS_URI: "http://127.0.0.1:1/t/discovery/v2.0/keys", ENTRA_CLIENT_ID: "c1", REQUIRED_SCOPE: "tickets.read" });
    expect(formatTokenCheckEnvironment(env)).toBe("ENTRA_ISSUER=http://127.0.0.1:1/t/v2.0 ENTRA_JWKS_URI=http://127.0.0.1:1/t/discovery/v2.0/keys ENTRA_CLIENT_ID=c1 REQUIRED_SCOPE=tickets.read");
  });

  it("finds every variable's field in the servers output of each server, with the scope ENTRA_SCOPE_NAME sets", () => {
    const output = (synthJson(platformStack({ ENTRA_SCOPE_NAME: "mcp.access" }).stack) as unknown as { output: { servers: { value: Record<string, Record<string, unknown>> } } }).output.servers.value;
    expect(Object.keys(output).length).toBeGreaterThan(0);
    for (const server of Object.values(output)) {
      for (const field of Object.values(TOKEN_CHECK_VARIABLES)) expect(server[field], field).toEqual(expect.any(String));
      expect(server.required_scope).toBe("mcp.access");
      expect(server.jwks_uri).toMatch(/^https:\/\/login\.microsoftonline\.com\/[^/]+\/discovery\/v2\.0\/keys$/);
      expect(server.issuer).toBe(String(server.jwks_uri).replace("/discovery/v2.0/keys", "/v2.0"));
    }
  });

  it("is what README's TypeScript and Python checks read, with no tenant host or scope written into them", () => {
    const section = protectSection();
    const ts = codeBlocks(section, "ts");
    const py = codeBlocks(section, "python");
    expect(ts.length).toBe(1);
    expect(py.length).toBe(1);
    const tsNames = [...ts[0]!.matchAll(/\b(ENTRA_[A-Z_]+|REQUIRED_SCOPE)\b/g)].map((m) => m[1]!);
    const pyNames = [...py[0]!.matchAll(/os\.environ\["([A-Z_]+)"\]/g)].map((m) => m[1]!);
    expect([...new Set(tsNames)].sort()).toEqual(NAMES);
    expect(ts[0]).toMatch(/} = process\.env/);
    expect([...new Set(pyNames)].sort()).toEqual(NAMES);
    for (const code of [ts[0]!, py[0]!]) {
      expect(code).not.toContain("login.microsoftonline.com");
      expect(code).not.toContain("user_impersonate");
    }
  });

  it("is the table README gives of variables and servers output fields", () => {
    const rows = [...protectSection().matchAll(/^\s*\| `([A-Z_]+)` \| `([a-z_]+)`/gm)].map((m) => [m[1], m[2]]);
    expect(Object.fromEntries(rows)).toEqual(TOKEN_CHECK_VARIABLES);
  });
});
