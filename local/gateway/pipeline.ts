/**
 * What compiled policy elements are made of: a Step runs one element against the request state;
 * the Compiler is what an element's implementation (elements/) may use while compiling (the other
 * elements, expression evaluation, the gateway's services). Helpers read attributes and texts as
 * literals or expressions (apim-policy/values.ts).
 */
import type { Section } from "../../apim-policy/sections.js";
import { policyValue, PolicyValueError, textValue, type PolicyValue } from "../../apim-policy/values.js";
import type { ApiConfig, GatewayConfig, OperationConfig } from "./config.js";
import { PolicyLoadError } from "./errors.js";
import type { LastErrorSnapshot, PolicyResult, TypedValue } from "./expressions.js";
import type { RequestMessage, ResponseMessage } from "./messages.js";
import { where, type PolicyElement } from "./policy-xml.js";
import type { RateLimiter, ValueCache } from "./runtime-services.js";

export type { Section } from "../../apim-policy/sections.js";
export type { PolicyValue } from "../../apim-policy/values.js";

export interface CorsDecision {
  readonly origin: string;
  readonly allowCredentials: boolean;
  readonly exposeHeaders: readonly string[];
}

export interface Logger {
  debug(message: string): void;
  warn(message: string): void;
  /**
   * An audit event: the message of a `trace` with source `mcp-audit` (one JSON object, no secrets).
   * API Management sends such traces to Application Insights; `npm run local` prints them.
   */
  audit?(event: string): void;
}

/** The state of one request as its pipeline runs. */
export interface ExecState {
  readonly requestId: string;
  readonly api: ApiConfig;
  readonly operation: OperationConfig | undefined;
  readonly originalUrl: URL;
  readonly ipAddress: string;
  readonly matchedParameters: Record<string, string>;
  /** ISO time the request arrived (context.Timestamp). */
  readonly receivedAt: string;
  request: RequestMessage;
  response: ResponseMessage;
  responseReady: boolean;
  variables: Map<string, TypedValue>;
  lastError: LastErrorSnapshot | null;
  section: Section;
  cors?: CorsDecision;
  readonly signal?: AbortSignal;
}

/**
 * What a statement acts on: a section's request or response (`request-or-response`: the request
 * in inbound and backend, the response in outbound and on-error), the response being built by a
 * return-response, or the request being built by a send-request.
 */
export type Target = "request" | "response" | "return-response" | "send-request" | "request-or-response";

export type Step = (state: ExecState, target: RequestMessage | ResponseMessage) => Promise<void>;

export interface CompileContext {
  readonly section: Section;
  /** The scope the statement was written in (`global`, the API name, `<api>/<operation>`): keys rate-limit counters. */
  readonly scopeKey: string;
}

/** What an element implementation may use while compiling. */
export interface Compiler {
  readonly config: GatewayConfig;
  readonly cache: ValueCache;
  readonly rateLimiter: RateLimiter;
  readonly logger: Logger;
  /** Compiles child statements (each through the element registry). */
  compileStatements(elements: readonly PolicyElement[], target: Target, cx: CompileContext): Step[];
  /** Evaluates a value: literals as strings, expressions through the evaluator. */
  evalValue(v: PolicyValue, s: ExecState, el: PolicyElement): Promise<PolicyResult>;
  /** Evaluates a value to its text ("" for null). */
  evalText(v: PolicyValue, s: ExecState, el: PolicyElement): Promise<string>;
  /** A token from the managed-identity endpoint (the Entra stand-in's). */
  managedIdentityToken(resource: string, clientId: string | undefined): Promise<string>;
}

export async function runSteps(steps: readonly Step[], s: ExecState, t: RequestMessage | ResponseMessage): Promise<void> {
  for (const step of steps) await step(s, t);
}

function valueOf(raw: string, context: string): PolicyValue {
  try {
    return policyValue(raw, context);
  } catch (e) {
    if (e instanceof PolicyValueError) throw new PolicyLoadError(e.message);
    throw e;
  }
}

/** An attribute as a literal or an expression; undefined when absent. */
export function attr(el: PolicyElement, name: string): PolicyValue | undefined {
  const raw = el.attributes[name];
  return raw === undefined ? undefined : valueOf(raw, `${where(el)} attribute ${name}`);
}

/** An attribute that must be present and a literal. */
export function literalAttr(el: PolicyElement, name: string): string {
  const v = attr(el, name);
  if (!v) throw new PolicyLoadError(`${where(el)}: attribute ${name} is required`);
  if (v.kind !== "literal") throw new PolicyLoadError(`${where(el)}: attribute ${name} must be a literal, not a policy expression`);
  return v.text;
}

export function optionalLiteral(el: PolicyElement, name: string): string | undefined {
  return el.attributes[name] !== undefined ? literalAttr(el, name) : undefined;
}

/** The element's text as a literal or an expression; undefined when it holds only whitespace. */
export function text(el: PolicyElement): PolicyValue | undefined {
  try {
    return textValue(el, `${where(el)} text`);
  } catch (e) {
    if (e instanceof PolicyValueError) throw new PolicyLoadError(e.message);
    throw e;
  }
}

/** The element children of an element. */
export function elementChildren(el: PolicyElement): PolicyElement[] {
  return el.children.filter((c): c is PolicyElement => c.kind === "element");
}

export function noChildren(el: PolicyElement): void {
  const first = elementChildren(el)[0];
  if (first) throw new PolicyLoadError(`${where(first)}: <${el.name}> takes no child elements`);
}

export function parseBool(value: string, at: string): boolean {
  const t = value.trim().toLowerCase();
  if (t === "true") return true;
  if (t === "false") return false;
  throw new PolicyLoadError(`${at}: condition ${JSON.stringify(value)} is neither a policy expression nor true/false`);
}

export { where } from "./policy-xml.js";
