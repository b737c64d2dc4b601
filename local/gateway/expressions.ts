/**
 * What the interpreter needs from a policy-expression evaluator. The real one is the Mono C#
 * expression host (local/csharp/expression-host.ts); tests of the interpreter may use a small fake
 * (test-support/local-fake-expressions.ts) that knows literal expressions only.
 *
 * The context is a JSON snapshot of APIM's `context`; values are tagged with their C# type.
 */

/** A value tagged with its C# type, e.g. `{type:"string", value:"x"}`, `{type:"bool", value:true}`. */
export interface TypedValue {
  readonly type: string;
  readonly value: unknown;
}

export interface UrlSnapshot {
  Scheme: string;
  Host: string;
  Port: number;
  Path: string;
  QueryString: string;
  Query: Record<string, string[]>;
}

export interface RequestSnapshot {
  Method: string;
  Url: UrlSnapshot;
  OriginalUrl: UrlSnapshot;
  Headers: Record<string, string[]>;
  /** The body as text (UTF-8), or null when there is none. */
  Body: string | null;
  IpAddress: string;
  MatchedParameters: Record<string, string>;
}

export interface ResponseSnapshot {
  StatusCode: number;
  StatusReason: string;
  Headers: Record<string, string[]>;
  /** The body as text, or null when there is none or it streams (buffer-response="false"). */
  Body: string | null;
}

export interface LastErrorSnapshot {
  Source: string;
  Reason: string;
  Message: string;
  Scope: string;
  Section: string;
  Path: string;
  PolicyId: string;
}

export interface ExpressionContext {
  Request: RequestSnapshot;
  Response: ResponseSnapshot | null;
  Variables: Record<string, TypedValue>;
  Api: { Id: string; Name: string; Path: string; ServiceUrl: UrlSnapshot | null; Revision: string; IsCurrentRevision: boolean };
  Operation: { Id: string; Name: string; Method: string; UrlTemplate: string } | null;
  Deployment: { ServiceName: string; ServiceId: string; Region: string; GatewayId: string };
  RequestId: string;
  Timestamp: string;
  LastError: LastErrorSnapshot | null;
}

export interface ExpressionResult {
  readonly value: TypedValue;
  /** True when the expression read the request body without preserveContent (APIM then forwards none). */
  readonly requestBodyConsumed?: boolean;
  /** True when the expression read the response body without preserveContent. */
  readonly responseBodyConsumed?: boolean;
}

export interface ExpressionEvaluator {
  compile(expressions: string[]): Promise<void>;
  evaluate(expression: string, ctx: ExpressionContext): Promise<ExpressionResult>;
}

export class ExpressionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ExpressionError";
  }
}

/** The C#-style string of a typed value, as APIM converts a policy value to text. */
export function typedToString(v: TypedValue): string {
  const { type, value } = v;
  if (value === null || value === undefined) return "";
  if (typeof value === "string") return value;
  if (typeof value === "boolean") return value ? "True" : "False";
  if (typeof value === "number") return String(value);
  if (/^(JObject|JArray|JToken|object)$/i.test(type)) return JSON.stringify(value, null, 2);
  return JSON.stringify(value);
}

/** A policy condition's value; only booleans are accepted, as in APIM. */
export function typedToBool(v: TypedValue, where: string): boolean {
  if (typeof v.value === "boolean") return v.value;
  throw new ExpressionError(`${where}: condition evaluated to ${v.type} ${JSON.stringify(v.value)}, expected bool`);
}

export const stringValue = (s: string): TypedValue => ({ type: "string", value: s });
export const nullValue: TypedValue = { type: "null", value: null };
