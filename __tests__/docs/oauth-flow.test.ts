/**
 * docs/oauth-flow.md's endpoint table is the OAuth API table of vocabulary/oauth-api.ts: every
 * endpoint the gateway serves, its policy file, and the fragments that file includes, in order
 * (read from the policy file itself). A new operation, a renamed policy or a fragment added to a
 * policy fails here until the document says so.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { fragmentReferences, readPolicyFile } from "../../constructs/policy-files.js";
import { OAUTH_API, gatewayEndpoints, type GatewayEndpoint } from "../../vocabulary/oauth-api.js";

const ROOT = join(import.meta.dirname, "..", "..");
const doc = readFileSync(join(ROOT, "docs", "oauth-flow.md"), "utf8").split("\n");
const HEADER = "| Endpoint | Per | Operation | Policy | Fragments (in order) |";

const code = (s: string) => `\`${s}\``;
const fragments = (file: string) => fragmentReferences(readPolicyFile(file).xml).map(code).join(", ");
const PER: Record<GatewayEndpoint["per"], string> = { gateway: "gateway", server: "MCP server", "first-server": "first MCP server" };

/** The table the document must hold: operations on one path with one policy share a row. */
function expectedTable(): string[] {
  const rows = new Map<string, GatewayEndpoint[]>();
  for (const endpoint of gatewayEndpoints()) {
    const key = `${endpoint.path} ${endpoint.policyFile ?? endpoint.apiPolicyFile}`;
    rows.set(key, [...(rows.get(key) ?? []), endpoint]);
  }
  const lines = [...rows.values()].map((ops) => {
    const first = ops[0]!;
    const policy = first.policyFile ?? first.apiPolicyFile;
    const where = first.policyFile ? code(policy) : `${code(policy)} (API policy)`;
    return `| ${ops.map((op) => code(op.method)).join(" ")} ${code(first.path)} | ${PER[first.per]} | ${ops.map((op) => code(op.operationId)).join(", ")} | ${where} | ${fragments(policy)} |`;
  });
  lines.push(`| every endpoint of the OAuth API | gateway | - | ${code(OAUTH_API.policyFile)} (API policy) | ${fragments(OAUTH_API.policyFile)} |`);
  return [HEADER, "|---|---|---|---|---|", ...lines];
}

/** The table as the document has it: the header line and the rows after it. */
function documentedTable(): string[] {
  const start = doc.indexOf(HEADER);
  if (start < 0) return [];
  const end = doc.findIndex((line, i) => i > start && !line.startsWith("|"));
  return doc.slice(start, end < 0 ? undefined : end);
}

describe("docs/oauth-flow.md endpoint table", () => {
  it("is the OAuth API table, with each policy's fragments in order", () => {
    // On failure, the expected table is printed: paste it into docs/oauth-flow.md.
    expect(documentedTable().join("\n")).toBe(expectedTable().join("\n"));
  });

  it("names every operation the gateway serves exactly once", () => {
    const named = documentedTable().flatMap((line) => [...(line.split(" | ")[2] ?? "").matchAll(/`([a-z-]+)`/g)].map((m) => m[1]!));
    const ids = gatewayEndpoints().map((e) => e.operationId);
    expect(named.sort()).toEqual([...ids].sort());
    expect(new Set(ids).size).toBe(ids.length);
  });
});
