/**
 * Requests and responses as the local gateway's policies see them, and the conversions between
 * them and the expression host's snapshots (a send-request response variable is an IResponse).
 */
import http from "node:http";
import type { Readable } from "node:stream";
import type { BodySnapshot, TypedValue } from "./expressions.js";
import { HeaderBag } from "./headers.js";
import { PolicyRuntimeError } from "./errors.js";

export type Body = Buffer | Readable | null;

export interface RequestMessage {
  method: string;
  url: URL | undefined;
  headers: HeaderBag;
  body: Body;
}

export interface ResponseMessage {
  status: number;
  reason: string;
  headers: HeaderBag;
  body: Body;
}

/** Headers that belong to one hop and are never passed on. */
export const HOP_BY_HOP = new Set(["connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade", "te", "trailer", "host"]);

const REASONS: Record<number, string> = { 200: "OK", 201: "Created", 204: "No Content", 302: "Found", 400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found", 429: "Too Many Requests", 500: "Internal Server Error" };

export function defaultReason(status: number): string {
  return REASONS[status] ?? http.STATUS_CODES[status] ?? "";
}

export function emptyResponse(status = 200): ResponseMessage {
  return { status, reason: defaultReason(status), headers: new HeaderBag(), body: null };
}

/** A gateway error in API Management's JSON shape, `{statusCode, message}`. */
export function jsonErrorResponse(status: number, message: string): ResponseMessage {
  const headers = new HeaderBag();
  headers.set("Content-Type", ["application/json"]);
  return { status, reason: defaultReason(status), headers, body: Buffer.from(JSON.stringify({ statusCode: status, message }), "utf8") };
}

export function bodySnapshot(b: Body): BodySnapshot {
  if (b === null || !Buffer.isBuffer(b)) return null;
  const text = b.toString("utf8");
  return Buffer.from(text, "utf8").equals(b) ? text : { base64: b.toString("base64") };
}

function bodyBuffer(b: BodySnapshot | undefined): Buffer | null {
  if (b === null || b === undefined) return null;
  return typeof b === "string" ? Buffer.from(b, "utf8") : Buffer.from(b.base64, "base64");
}

/** Response of a send-request, as stored in its response variable (C# IResponse). */
export function responseValue(r: { status: number; reason: string; headers: HeaderBag; body: Buffer }): TypedValue {
  return { type: "response", value: { statusCode: r.status, statusReason: r.reason, headers: r.headers.toRecord(), body: bodySnapshot(r.body) } };
}

/** The response a response variable holds (return-response response-variable-name). */
export function responseFromValue(v: TypedValue, where: string): ResponseMessage {
  if (v.type !== "response") throw new PolicyRuntimeError("return-response", "ResponseVariableInvalid", `${where}: response-variable-name holds ${v.type}, expected a response (IResponse)`);
  const r = v.value;
  return {
    status: r.statusCode,
    reason: r.statusReason ?? defaultReason(r.statusCode),
    headers: HeaderBag.from(Object.entries(r.headers ?? {}).map(([k, x]): [string, string[]] => [k, typeof x === "string" ? [x] : [...x]])),
    body: bodyBuffer(r.body),
  };
}

export function headersFromFetch(h: Headers): HeaderBag {
  const bag = new HeaderBag();
  h.forEach((v, k) => bag.append(k, v));
  return bag;
}
