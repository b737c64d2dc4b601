/**
 * Server settings from the environment, validated with zod. Every problem is reported at once, each naming
 * the variable, the bad value and what is expected; nothing secret is read here.
 */
import * as z from "zod";

export type AuthMode = "on" | "off";
export type ResponseMode = "sse" | "json";
export type LogLevel = "debug" | "info" | "warn" | "error" | "silent";

export interface McpAppConfig {
  /** Entra token validation; `undefined` only when `MCP_AUTH=off` (local development on loopback). */
  readonly auth?: AuthConfig;
  /** Interface to listen on. @default "0.0.0.0" with auth on, "127.0.0.1" with auth off */
  readonly host: string;
  /** Port to listen on (App Service sets PORT). @default 8000 */
  readonly port: number;
  /** Largest accepted request body, bytes. @default 262144 (256 KiB) */
  readonly bodyLimitBytes: number;
  /**
   * How a `tools/call` (any request) is answered: `json` = one application/json body (the tools here finish at
   * once, so this is the cheapest and proxy-friendliest), `sse` = a text/event-stream per request (for tools that
   * stream progress). Clients must accept both. @default "json"
   */
  readonly responseMode: ResponseMode;
  /** @default "info" */
  readonly logLevel: LogLevel;
}

export interface AuthConfig {
  readonly tenantId: string;
  readonly clientId: string;
  /** Delegated scope every token must carry in `scp`. @default "user_impersonate" */
  readonly requiredScope: string;
  /** @default "https://login.microsoftonline.com/<tenant>/v2.0" */
  readonly issuer: string;
  /** @default "https://login.microsoftonline.com/<tenant>/discovery/v2.0/keys" */
  readonly jwksUri: string;
  /** Accepted audiences: the client id and its identifier URI `api://<clientId>`. */
  readonly audiences: readonly string[];
}

export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`Invalid MCP server configuration:\n  - ${problems.join("\n  - ")}`);
    this.name = "ConfigError";
  }
}

export const DEFAULT_PORT = 8000;
export const DEFAULT_BODY_LIMIT_BYTES = 256 * 1024;
const MAX_BODY_LIMIT_BYTES = 4 * 1024 * 1024;
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** True for names and literals that only reach this machine. */
export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[(.*)\]$/, "$1");
  return h === "localhost" || h === "::1" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

function isHttpsOrLoopbackHttp(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === "https:" || (url.protocol === "http:" && isLoopbackHost(url.hostname));
  } catch {
    return false;
  }
}

const show = (value: unknown) => JSON.stringify(value);
const bodyLimitExpected = `expected an integer number of bytes from 1024 to ${MAX_BODY_LIMIT_BYTES}`;

const fields = {
  MCP_AUTH: z.enum(["on", "off"], { error: (i) => `MCP_AUTH=${show(i.input)} is not valid: expected "on" or "off"` }),
  ENTRA_TENANT_ID: z.string().regex(GUID, { error: (i) => `ENTRA_TENANT_ID=${show(i.input)} is not valid: expected the tenant id, a GUID` }),
  ENTRA_CLIENT_ID: z
    .string()
    .regex(GUID, { error: (i) => `ENTRA_CLIENT_ID=${show(i.input)} is not valid: expected the application (client) id of the MCP app registration, a GUID` }),
  MCP_REQUIRED_SCOPE: z
    .string()
    .regex(/^[\x21\x23-\x5b\x5d-\x7e]+$/, { error: (i) => `MCP_REQUIRED_SCOPE=${show(i.input)} is not valid: expected one scope name without spaces, e.g. user_impersonate` }),
  ENTRA_ISSUER: z.string().refine(isHttpsOrLoopbackHttp, { error: (i) => `ENTRA_ISSUER=${show(i.input)} is not valid: expected an https URL (http only on loopback)` }),
  ENTRA_JWKS_URI: z.string().refine(isHttpsOrLoopbackHttp, { error: (i) => `ENTRA_JWKS_URI=${show(i.input)} is not valid: expected an https URL (http only on loopback)` }),
  PORT: z
    .string()
    .regex(/^\d{1,5}$/, { error: (i) => `PORT=${show(i.input)} is not valid: expected an integer port 0-65535` })
    .transform(Number)
    .refine((n) => n <= 65535, { error: (i) => `PORT="${String(i.input)}" is not valid: expected an integer port 0-65535` }),
  HOST: z.string().regex(/^[A-Za-z0-9.:[\]-]+$/, { error: (i) => `HOST=${show(i.input)} is not valid: expected a host name or IP address, e.g. 127.0.0.1 or 0.0.0.0` }),
  MCP_BODY_LIMIT_BYTES: z
    .string()
    .regex(/^\d{1,9}$/, { error: (i) => `MCP_BODY_LIMIT_BYTES=${show(i.input)} is not valid: ${bodyLimitExpected}` })
    .transform(Number)
    .refine((n) => n >= 1024 && n <= MAX_BODY_LIMIT_BYTES, { error: (i) => `MCP_BODY_LIMIT_BYTES="${String(i.input)}" is not valid: ${bodyLimitExpected}` }),
  MCP_RESPONSE_MODE: z.enum(["sse", "json"], { error: (i) => `MCP_RESPONSE_MODE=${show(i.input)} is not valid: expected "sse" or "json"` }),
  MCP_LOG_LEVEL: z.enum(["debug", "info", "warn", "error", "silent"], {
    error: (i) => `MCP_LOG_LEVEL=${show(i.input)} is not valid: expected one of debug, info, warn, error, silent`,
  }),
};

type Env = Readonly<Record<string, string | undefined>>;

/**
 * Reads and validates the settings. Empty strings count as unset.
 * @throws ConfigError listing every problem.
 */
export function loadConfig(env: Env = process.env): McpAppConfig {
  const problems: string[] = [];
  const read = <S extends z.ZodType>(name: keyof typeof fields & string, schema: S): z.output<S> | undefined => {
    const raw = env[name];
    if (raw === undefined || raw === "") return undefined;
    const result = schema.safeParse(raw);
    if (!result.success) {
      problems.push(result.error.issues[0]?.message ?? `${name}=${show(raw)} is not valid`);
      return undefined;
    }
    return result.data;
  };

  const authMode = read("MCP_AUTH", fields.MCP_AUTH) ?? "on";
  const port = read("PORT", fields.PORT);
  const bodyLimit = read("MCP_BODY_LIMIT_BYTES", fields.MCP_BODY_LIMIT_BYTES);
  const host = read("HOST", fields.HOST) ?? (authMode === "off" ? "127.0.0.1" : "0.0.0.0");
  const responseMode = read("MCP_RESPONSE_MODE", fields.MCP_RESPONSE_MODE) ?? "json";
  const logLevel = read("MCP_LOG_LEVEL", fields.MCP_LOG_LEVEL) ?? "info";

  let auth: AuthConfig | undefined;
  if (authMode === "off") {
    if (!isLoopbackHost(host)) {
      problems.push(`MCP_AUTH=off is refused with HOST=${show(host)}: authentication may only be switched off when listening on loopback (127.0.0.1, ::1 or localhost)`);
    }
  } else {
    const tenantId = read("ENTRA_TENANT_ID", fields.ENTRA_TENANT_ID);
    const clientId = read("ENTRA_CLIENT_ID", fields.ENTRA_CLIENT_ID);
    if (env.ENTRA_TENANT_ID === undefined || env.ENTRA_TENANT_ID === "") {
      problems.push("ENTRA_TENANT_ID is required (the Entra tenant id, a GUID); set MCP_AUTH=off only for local development on loopback");
    }
    if (env.ENTRA_CLIENT_ID === undefined || env.ENTRA_CLIENT_ID === "") {
      problems.push("ENTRA_CLIENT_ID is required (the application (client) id of the MCP app registration, a GUID)");
    }
    const requiredScope = read("MCP_REQUIRED_SCOPE", fields.MCP_REQUIRED_SCOPE) ?? "user_impersonate";
    const issuer = read("ENTRA_ISSUER", fields.ENTRA_ISSUER);
    const jwksUri = read("ENTRA_JWKS_URI", fields.ENTRA_JWKS_URI);
    if (tenantId !== undefined && clientId !== undefined) {
      auth = Object.freeze({
        tenantId: tenantId.toLowerCase(),
        clientId: clientId.toLowerCase(),
        requiredScope,
        issuer: issuer ?? `https://login.microsoftonline.com/${tenantId.toLowerCase()}/v2.0`,
        jwksUri: jwksUri ?? `https://login.microsoftonline.com/${tenantId.toLowerCase()}/discovery/v2.0/keys`,
        audiences: Object.freeze([clientId.toLowerCase(), `api://${clientId.toLowerCase()}`]),
      });
    }
  }

  if (problems.length > 0) throw new ConfigError(problems);
  return Object.freeze({
    auth,
    host,
    port: port ?? DEFAULT_PORT,
    bodyLimitBytes: bodyLimit ?? DEFAULT_BODY_LIMIT_BYTES,
    responseMode,
    logLevel,
  });
}
