/**
 * The gateway a post-deploy check runs against: its base URL and the MCP API path, validated the
 * way the CLI reports bad input (a message naming the value and saying what is expected).
 */
import { isApiPath } from "../vocabulary/mcp-names.js";

/** Bad input to the verifier (CLI arguments or `runVerification` options); the CLI exits 2. */
export class VerifyUsageError extends Error {
  override readonly name = "VerifyUsageError";
}

export interface VerifyTarget {
  /** Gateway base URL without a trailing slash, e.g. `https://apim-mcp.azure-api.net`. */
  readonly gatewayUrl: string;
  /** MCP API path without slashes at the ends, e.g. `mcp`. */
  readonly mcpPath: string;
  /** `<gatewayUrl>/<mcpPath>`: the MCP endpoint and the RFC 8707 resource. */
  readonly mcpUrl: string;
}

const LOOPBACK_HOSTS = new Set(["127.0.0.1", "[::1]", "localhost"]);
const EXAMPLE = "https://<apim-name>.azure-api.net";

/** True for host names that never leave this machine. */
export function isLoopbackHost(hostname: string): boolean {
  return LOOPBACK_HOSTS.has(hostname.toLowerCase());
}

/**
 * Validates the gateway URL and MCP path. `https` is required; `http` only for loopback hosts
 * (the local gateway of `npm run local`).
 *
 * @param mcpPath the MCP API path. @default "mcp"
 */
export function resolveTarget(gatewayUrl: string | undefined, mcpPath: string | undefined = "mcp"): VerifyTarget {
  if (gatewayUrl === undefined || gatewayUrl.trim() === "") {
    throw new VerifyUsageError(`missing the gateway URL; expected the API Management gateway's base URL, e.g. ${EXAMPLE}`);
  }
  let url: URL;
  try {
    url = new URL(gatewayUrl);
  } catch {
    throw new VerifyUsageError(`gateway URL ${JSON.stringify(gatewayUrl)} is not a valid URL; expected e.g. ${EXAMPLE}`);
  }
  if (url.username !== "" || url.password !== "") {
    // The value is not echoed: it may hold a password.
    throw new VerifyUsageError(`the gateway URL must not contain a user name or password; expected e.g. ${EXAMPLE}`);
  }
  if (url.protocol !== "https:" && !(url.protocol === "http:" && isLoopbackHost(url.hostname))) {
    throw new VerifyUsageError(
      `gateway URL ${JSON.stringify(gatewayUrl)} uses ${url.protocol.replace(/:$/, "")}; expected https (http only for a loopback host: 127.0.0.1, [::1] or localhost, e.g. the local gateway of npm run local)`,
    );
  }
  if (url.pathname !== "/" || url.search !== "" || url.hash !== "" || /[?#]/.test(gatewayUrl)) {
    throw new VerifyUsageError(
      `gateway URL ${JSON.stringify(gatewayUrl)} has a path, query or fragment; expected the gateway's base URL only, e.g. ${EXAMPLE} (give the MCP API path with --mcp-path)`,
    );
  }
  if (!isApiPath(mcpPath)) {
    throw new VerifyUsageError(
      `MCP path ${JSON.stringify(mcpPath)} is invalid; expected URL path segments of letters, digits, '.', '_', '~' or '-' without a leading or trailing '/', e.g. "mcp"`,
    );
  }
  const base = url.origin;
  return { gatewayUrl: base, mcpPath, mcpUrl: `${base}/${mcpPath}` };
}
