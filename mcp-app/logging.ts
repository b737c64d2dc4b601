/**
 * JSON-lines logger. Callers pass explicit fields; nothing here ever reads headers, so tokens and the
 * Authorization header cannot reach the log. As a second line of defence, fields whose name suggests a
 * secret are replaced, and strings that look like a JWT or a bearer credential are masked.
 */
import type { LogLevel } from "./config.js";

export type LogFields = Readonly<Record<string, string | number | boolean | undefined | null | readonly string[]>>;

export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
}

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };
const SECRET_NAME = /authorization|token|secret|password|cookie|assertion|code_verifier/i;
const JWT_LIKE = /\beyJ[\w-]*\.[\w-]*\.[\w-]*/g;
const BEARER = /\bbearer\s+\S+/gi;

function scrub(value: unknown): unknown {
  if (typeof value === "string") return value.replace(JWT_LIKE, "[redacted-jwt]").replace(BEARER, "Bearer [redacted]");
  if (Array.isArray(value)) return value.map(scrub);
  return value;
}

/** A logger writing one JSON object per line to `write` (stdout by default), dropping lines below `level`. */
export function createLogger(level: LogLevel = "info", write: (line: string) => void = (line) => process.stdout.write(line)): Logger {
  const threshold = RANK[level];
  const emit = (lvl: Exclude<LogLevel, "silent">, msg: string, fields?: LogFields) => {
    if (RANK[lvl] < threshold) return;
    const entry: Record<string, unknown> = { time: new Date().toISOString(), level: lvl, msg: scrub(msg) };
    if (fields) {
      for (const [key, value] of Object.entries(fields)) {
        if (value === undefined) continue;
        entry[key] = SECRET_NAME.test(key) ? "[redacted]" : scrub(value);
      }
    }
    write(`${JSON.stringify(entry)}\n`);
  };
  return {
    debug: (msg, fields) => emit("debug", msg, fields),
    info: (msg, fields) => emit("info", msg, fields),
    warn: (msg, fields) => emit("warn", msg, fields),
    error: (msg, fields) => emit("error", msg, fields),
  };
}

/** A logger that drops everything. */
export const silentLogger: Logger = createLogger("silent", () => {});
