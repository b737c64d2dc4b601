/**
 * `npm run verify -- <gateway-url> [--mcp-path mcp] [--timeout 10000]`: argument parsing and the
 * command's flow. Exit codes: 0 all checks passed, 1 a check failed, 2 bad usage.
 */
import { parseArgs } from "node:util";
import { CHECKS, checkStaticClient, DEFAULT_TIMEOUT_MS, runVerification, type VerifyOptions } from "./checks.js";
import { backendChecks, resolveBackendUrl } from "./deploy-checks.js";
import { formatReport } from "./report.js";
import { resolveTarget, VerifyUsageError } from "./target.js";

export const USAGE = `usage: npm run verify -- <gateway-url> [--mcp-path <path>] [--backend-url <url>] [--client-id <id> --redirect-uri <uri>] [--timeout <ms>]

  <gateway-url>      the API Management gateway, e.g. https://<apim-name>.azure-api.net
                     (http only for a loopback host, e.g. the local gateway of npm run local)
  --mcp-path <path>  the MCP API path (default: mcp)
  --backend-url <url>
                     also check the MCP server behind the gateway, e.g. https://<app>.azurewebsites.net
                     (the app_service_host_name output): it must refuse calls without a valid token
  --client-id <id> --redirect-uri <uri>
                     a static client (clients.static of the platform configuration file) and one of its
                     redirect URIs, for the checks that need a client: required when registration is off
                     (clients.registration false); without them the checks register a loopback client
  --timeout <ms>     per-request timeout in milliseconds (default: ${DEFAULT_TIMEOUT_MS})
  --help             show this help

Runs the checks that need no interactive sign-in and prints a pass/fail table.
Exit code: 0 all passed, 1 a check failed, 2 bad usage.`;

export interface CliArgs {
  readonly help: boolean;
  readonly gatewayUrl: string;
  readonly options: VerifyOptions;
  /** The MCP server's base URL (`--backend-url`), checked too when given. */
  readonly backendUrl?: string;
}

/** Parses and validates the arguments; throws VerifyUsageError naming the bad value. */
export function parseCliArgs(argv: readonly string[]): CliArgs {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: {
        "mcp-path": { type: "string" },
        "backend-url": { type: "string" },
        "client-id": { type: "string" },
        "redirect-uri": { type: "string" },
        timeout: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
    });
  } catch (e) {
    throw new VerifyUsageError((e as Error).message);
  }
  if (parsed.values.help) return { help: true, gatewayUrl: "", options: {} };
  const { positionals } = parsed;
  if (positionals.length > 1) throw new VerifyUsageError(`expected one gateway URL, got ${positionals.length} arguments: ${positionals.map((p) => JSON.stringify(p)).join(" ")}`);
  const mcpPath = parsed.values["mcp-path"];
  const target = resolveTarget(positionals[0], mcpPath);
  const rawTimeout = parsed.values.timeout;
  let timeoutMs: number | undefined;
  if (rawTimeout !== undefined) {
    if (!/^\d{1,6}$/.test(rawTimeout) || Number(rawTimeout) < 100 || Number(rawTimeout) > 120_000) {
      throw new VerifyUsageError(`--timeout ${JSON.stringify(rawTimeout)} is invalid; expected milliseconds from 100 to 120000`);
    }
    timeoutMs = Number(rawTimeout);
  }
  const rawBackend = parsed.values["backend-url"];
  const backendUrl = rawBackend === undefined ? undefined : resolveBackendUrl(rawBackend);
  const clientId = parsed.values["client-id"];
  const redirectUri = parsed.values["redirect-uri"];
  if ((clientId === undefined) !== (redirectUri === undefined)) {
    throw new VerifyUsageError(`${clientId === undefined ? "--redirect-uri" : "--client-id"} needs ${clientId === undefined ? "--client-id" : "--redirect-uri"} too: a static client is given by its client_id and one of its redirect URIs`);
  }
  const staticClient = clientId !== undefined && redirectUri !== undefined ? checkStaticClient({ clientId, redirectUri }) : undefined;
  return {
    help: false,
    gatewayUrl: target.gatewayUrl,
    options: { mcpPath: target.mcpPath, timeoutMs, ...(staticClient ? { staticClient } : {}) },
    ...(backendUrl ? { backendUrl } : {}),
  };
}

export interface CliIo {
  out(text: string): void;
  err(text: string): void;
}

/** Runs the command; resolves with the exit code. */
export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  let args: CliArgs;
  try {
    args = parseCliArgs(argv);
  } catch (e) {
    if (!(e instanceof VerifyUsageError)) throw e;
    io.err(`npm run verify: ${e.message}\n\n${USAGE}`);
    return 2;
  }
  if (args.help) {
    io.out(USAGE);
    return 0;
  }
  const checks = args.backendUrl ? [...CHECKS, ...backendChecks(args.backendUrl)] : CHECKS;
  const report = await runVerification(args.gatewayUrl, args.options, checks);
  io.out(formatReport(report));
  return report.ok ? 0 : 1;
}
