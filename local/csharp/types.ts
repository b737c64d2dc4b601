/**
 * Wire types between the local gateway and the C# expression host: the context snapshot sent with every
 * evaluation, tagged .NET values, and evaluation results.
 */

/** Any JSON value. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** Header (or claim) values by name; a single string is one value. Names are matched case-insensitively. */
export type HeaderMap = Readonly<Record<string, string | readonly string[]>>;

/** A message body: UTF-8 text, `{ base64 }` for binary content, or null / absent for "no body". */
export type BodySnapshot = string | { readonly base64: string } | null;

export interface RequestSnapshot {
  /** HTTP method, e.g. `POST`. @default "GET" */
  readonly method?: string;
  /** Absolute URL as APIM sees it now (after rewrite-uri), e.g. `https://apim.example/mcp?x=1`. */
  readonly url: string;
  /** The URL the client sent. @default the same as `url` */
  readonly originalUrl?: string;
  readonly headers?: HeaderMap;
  /** Absent or null: `context.Request.Body` is null. */
  readonly body?: BodySnapshot;
  /** @default "127.0.0.1" */
  readonly ipAddress?: string;
  /** URL template parameters of the matched operation. */
  readonly matchedParameters?: Readonly<Record<string, string>>;
}

export interface ResponseSnapshot {
  readonly statusCode: number;
  /** @default "" */
  readonly statusReason?: string;
  readonly headers?: HeaderMap;
  readonly body?: BodySnapshot;
}

export interface ApiSnapshot {
  readonly id?: string;
  readonly name?: string;
  /** @default "" */
  readonly path?: string;
  /** Absolute backend URL; `context.Api.ServiceUrl` is null when absent. */
  readonly serviceUrl?: string;
  /** @default ["https"] */
  readonly protocols?: readonly string[];
  readonly version?: string;
  /** @default "1" */
  readonly revision?: string;
  /** @default true */
  readonly isCurrentRevision?: boolean;
}

export interface OperationSnapshot {
  readonly id?: string;
  readonly name?: string;
  readonly method?: string;
  readonly urlTemplate?: string;
}

export interface DeploymentSnapshot {
  /** @default "managed" */
  readonly gatewayId?: string;
  /** @default "local" */
  readonly region?: string;
  /** @default "local-apim" */
  readonly serviceName?: string;
  readonly serviceId?: string;
}

/** `context.LastError`, set by the interpreter in on-error. */
export interface LastErrorSnapshot {
  readonly source?: string;
  readonly reason?: string;
  readonly message?: string;
  readonly scope?: string;
  readonly section?: string;
  readonly path?: string;
  readonly policyId?: string;
}

/**
 * Everything an expression can see through `context`. Product, Subscription, User and Request.Certificate are
 * always null locally.
 */
export interface ExpressionContext {
  /** Absent: `context.Request` is null. */
  readonly request?: RequestSnapshot;
  /** Absent: `context.Response` is null (APIM has one from the backend or return-response onwards). */
  readonly response?: ResponseSnapshot;
  /** `context.Variables`, with their .NET types. */
  readonly variables?: Readonly<Record<string, TypedValue>>;
  readonly api?: ApiSnapshot;
  readonly operation?: OperationSnapshot;
  readonly deployment?: DeploymentSnapshot;
  /** GUID string. @default Guid.Empty */
  readonly requestId?: string;
  /** When the request was received. @default now */
  readonly timestamp?: Date | string;
  readonly lastError?: LastErrorSnapshot;
  /** @default false */
  readonly tracing?: boolean;
}

/**
 * A .NET value, tagged with its type so it can live in `context.Variables` and go back to C# unchanged.
 * `long` and `decimal` travel as strings (exact); `datetime` as ISO 8601 round-trip text; `bytes` as base64;
 * `json` is a JObject/JArray/JValue; `response` is an IResponse (e.g. from send-request); `jwt` is the raw token.
 */
export type TypedValue =
  | { readonly type: "null" }
  | { readonly type: "string"; readonly value: string }
  | { readonly type: "int"; readonly value: number }
  | { readonly type: "long"; readonly value: string }
  | { readonly type: "bool"; readonly value: boolean }
  | { readonly type: "double"; readonly value: number | string }
  | { readonly type: "decimal"; readonly value: string }
  | { readonly type: "datetime"; readonly value: string }
  | { readonly type: "datetimeoffset"; readonly value: string }
  | { readonly type: "timespan"; readonly value: string }
  | { readonly type: "guid"; readonly value: string }
  | { readonly type: "char"; readonly value: string }
  | { readonly type: "uri"; readonly value: string }
  | { readonly type: "bytes"; readonly value: string }
  | { readonly type: "json"; readonly value: JsonValue }
  | { readonly type: "jwt"; readonly value: string }
  | { readonly type: "response"; readonly value: ResponseSnapshot }
  | { readonly type: "number"; readonly clrType: string; readonly value: string }
  | { readonly type: "array"; readonly elementType: string; readonly value: readonly TypedValue[] }
  /** A .NET value with no wire form (cannot be stored in a variable); `value` is its ToString(). */
  | { readonly type: "unsupported"; readonly clrType: string; readonly value: string | null };

/** What an evaluation did besides producing a value. */
export interface ExpressionEffects {
  /** `context.Request.Body.As<T>()` without preserveContent ran: later reads must see no body. */
  readonly requestBodyConsumed: boolean;
  /** Same for `context.Response.Body`. */
  readonly responseBodyConsumed: boolean;
  /** Names of `response` variables whose body was consumed. */
  readonly variableBodiesConsumed: readonly string[];
  /** Messages passed to `context.Trace(...)`. */
  readonly traces: readonly string[];
}

export type ExpressionResult =
  | (ExpressionEffects & {
      readonly ok: true;
      readonly value: TypedValue;
      /** The value as APIM renders it into an attribute, header or body (.NET ToString, invariant culture); null for null. */
      readonly text: string | null;
    })
  | (ExpressionEffects & {
      readonly ok: false;
      /** The .NET exception the expression threw (map to APIM's on-error with context.LastError). */
      readonly error: { readonly type: string; readonly message: string };
    });

/** Why an expression could not be compiled. */
export interface ExpressionFailure {
  readonly expression: string;
  /** `syntax`: not `@(...)`/`@{...}`; `compile`: C# compiler errors; `refused`: uses types outside APIM's allow-list. */
  readonly reason: "syntax" | "compile" | "refused";
  readonly messages: readonly string[];
}
