/**
 * The pass/fail table the CLI prints: one row per check (check, result, detail), then a summary.
 */
import type { VerifyReport } from "./checks.js";

/** The report as plain text (no colours, so it reads the same in CI logs and terminals). */
export function formatReport(report: VerifyReport): string {
  const rows = report.results.map((r) => [r.name, r.ok ? "PASS" : "FAIL", r.detail] as const);
  const header = ["check", "result", "detail"] as const;
  const w0 = Math.max(header[0].length, ...rows.map((r) => r[0].length));
  const w1 = Math.max(header[1].length, ...rows.map((r) => r[1].length));
  const line = (c: readonly [string, string, string]) => `${c[0].padEnd(w0)}  ${c[1].padEnd(w1)}  ${c[2]}`.trimEnd();
  const failed = report.results.filter((r) => !r.ok).length;
  return [
    `Gateway:      ${report.target.gatewayUrl}`,
    `MCP endpoint: ${report.target.mcpUrl}`,
    "",
    line(header),
    line(["-".repeat(w0), "-".repeat(w1), "-".repeat(6)]),
    ...rows.map(line),
    "",
    failed === 0 ? `All ${report.results.length} checks passed.` : `${failed} of ${report.results.length} checks failed.`,
  ].join("\n");
}
