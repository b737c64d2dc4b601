/**
 * The policy interpreter: compiles the global, API and operation policies (with `<base/>` and
 * include-fragment resolved) of every operation into steps once, at load time, and runs them per
 * request over inbound, backend, outbound and on-error, following Microsoft's policy reference.
 * Any element or attribute it does not implement fails at load time, naming where it is.
 */
import http from "node:http";
import https from "node:https";
import type { Readable } from "node:stream";
import type { ApiConfig, GatewayConfig, OperationConfig } from "./config.js";
import { substituteNamedValues } from "./config.js";
import {
  ExpressionError,
  nullValue,
  resultToBool,
  stringValue,
  type BodySnapshot,
  type ExpressionContext,
  type ExpressionEvaluator,
  type LastErrorSnapshot,
  type PolicyResult,
  type TypedValue,
} from "./expressions.js";
import { HeaderBag } from "./headers.js";
import { collectExpressions, parsePolicyDocument, type PolicyElement, type PolicyValue } from "./policy-xml.js";
import { RateLimiter, ValueCache } from "./runtime-services.js";

export type Section = "inbound" | "backend" | "outbound" | "on-error";
const SECTIONS: readonly Section[] = ["inbound", "backend", "outbound", "on-error"];

/** APIM's default global policy, used when the config defines none. */
const DEFAULT_GLOBAL_POLICY = "<policies><inbound/><backend><forward-request/></backend><outbound/><on-error/></policies>";

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

export class PolicyLoadError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "PolicyLoadError";
  }
}

/** A runtime failure of a policy, as APIM reports it in context.LastError. */
export class PolicyRuntimeError extends Error {
  constructor(
    readonly source: string,
    readonly reason: string,
    message: string,
  ) {
    super(message);
    this.name = "PolicyRuntimeError";
  }
}

class ReturnResponseSignal {
  constructor(readonly response: ResponseMessage) {}
}

export interface CorsDecision {
  readonly origin: string;
  readonly allowCredentials: boolean;
  readonly exposeHeaders: readonly string[];
}

export interface Logger {
  debug(message: string): void;
  warn(message: string): void;
}

export interface InterpreterServices {
  readonly evaluator: ExpressionEvaluator;
  readonly cache?: ValueCache;
  readonly rateLimiter?: RateLimiter;
  /**
   * Managed-identity token endpoint (the Entra stand-in's), called as
   * `GET <url>?resource=<resource>&client_id=<id>`, answering `{access_token}`.
   */
  readonly managedIdentityTokenUrl?: string;
  readonly logger?: Logger;
  /** Region reported in context.Deployment.Region. @default "local" */
  readonly region?: string;
}

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

type Target = "request" | "response" | "return-response" | "send-request";
type Step = (state: ExecState, target: RequestMessage | ResponseMessage) => Promise<void>;

interface CompileContext {
  readonly fragments: ReadonlyMap<string, PolicyElement>;
  readonly section: Section;
  readonly base: Step[] | undefined;
  readonly fragmentStack: readonly string[];
  readonly apiScopeKey: string;
  /** False inside control flow (choose/when), where <base/> is not allowed. */
  readonly topLevel: boolean;
}

const HOP_BY_HOP = new Set(["connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade", "te", "trailer", "host"]);

function bodySnapshot(b: Body): BodySnapshot {
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

function responseFromValue(v: TypedValue, where: string): ResponseMessage {
  if (v.type !== "response") throw new PolicyRuntimeError("return-response", "ResponseVariableInvalid", `${where}: response-variable-name holds ${v.type}, expected a response (IResponse)`);
  const r = v.value;
  return {
    status: r.statusCode,
    reason: r.statusReason ?? defaultReason(r.statusCode),
    headers: HeaderBag.from(Object.entries(r.headers ?? {}).map(([k, x]): [string, string[]] => [k, typeof x === "string" ? [x] : [...x]])),
    body: bodyBuffer(r.body),
  };
}

const REASONS: Record<number, string> = { 200: "OK", 201: "Created", 204: "No Content", 302: "Found", 400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found", 429: "Too Many Requests", 500: "Internal Server Error" };

export function defaultReason(status: number): string {
  return REASONS[status] ?? http.STATUS_CODES[status] ?? "";
}

function emptyResponse(status = 200): ResponseMessage {
  return { status, reason: defaultReason(status), headers: new HeaderBag(), body: null };
}

function jsonErrorResponse(status: number, message: string): ResponseMessage {
  const headers = new HeaderBag();
  headers.set("Content-Type", ["application/json"]);
  return { status, reason: defaultReason(status), headers, body: Buffer.from(JSON.stringify({ statusCode: status, message }), "utf8") };
}

/** The compiled pipeline of one operation (or of an API alone, for CORS preflight). */
export interface CompiledPipeline {
  readonly api: ApiConfig;
  readonly operation: OperationConfig | undefined;
  readonly sections: Readonly<Record<Section, Step[]>>;
}

export class PolicyInterpreter {
  private readonly pipelines = new Map<string, CompiledPipeline>();
  private readonly expressions = new Set<string>();
  private readonly cache: ValueCache;
  private readonly rateLimiter: RateLimiter;
  private readonly logger: Logger;

  private constructor(
    readonly config: GatewayConfig,
    private readonly services: InterpreterServices,
  ) {
    this.cache = services.cache ?? new ValueCache();
    this.rateLimiter = services.rateLimiter ?? new RateLimiter();
    this.logger = services.logger ?? { debug: () => undefined, warn: (m) => console.warn(m) };
  }

  /** Parses, validates and compiles every policy, then compiles all expressions in one batch. */
  static async create(config: GatewayConfig, services: InterpreterServices): Promise<PolicyInterpreter> {
    const interp = new PolicyInterpreter(config, services);
    interp.compileAll();
    await services.evaluator.compile([...interp.expressions]);
    return interp;
  }

  /** Every policy expression used, as compiled. */
  get allExpressions(): readonly string[] {
    return [...this.expressions];
  }

  pipeline(api: ApiConfig, operation: OperationConfig | undefined): CompiledPipeline {
    const p = this.pipelines.get(pipelineKey(api, operation));
    if (!p) throw new Error(`no compiled pipeline for ${api.name}/${operation?.operationId ?? "*"}`);
    return p;
  }

  private parse(xml: string, document: string): PolicyElement {
    const substituted = substituteNamedValues(xml, this.config.namedValues, document);
    const root = parsePolicyDocument(substituted, document);
    collectExpressions(root, this.expressions);
    return root;
  }

  private compileAll(): void {
    const fragments = new Map<string, PolicyElement>();
    for (const [id, xml] of this.config.fragments) {
      const root = this.parse(xml, `fragment ${id}`);
      if (root.name !== "fragment") throw new PolicyLoadError(`${root.where}: a policy fragment's root must be <fragment>`);
      fragments.set(id, root);
    }
    const sectionsOf = (xml: string | undefined, document: string): Map<Section, PolicyElement> | undefined => {
      if (xml === undefined) return undefined;
      const root = this.parse(xml, document);
      if (root.name !== "policies") throw new PolicyLoadError(`${root.where}: a policy document's root must be <policies>`);
      checkAttributes(root, []);
      const map = new Map<Section, PolicyElement>();
      for (const c of root.children) {
        if (!(SECTIONS as readonly string[]).includes(c.name)) throw new PolicyLoadError(`${c.where}: unknown section <${c.name}>; expected inbound, backend, outbound or on-error`);
        if (map.has(c.name as Section)) throw new PolicyLoadError(`${c.where}: section <${c.name}> appears twice`);
        checkAttributes(c, []);
        map.set(c.name as Section, c);
      }
      return map;
    };
    const global = sectionsOf(this.config.globalPolicyXml ?? DEFAULT_GLOBAL_POLICY, "global")!;
    const compileScope = (doc: Map<Section, PolicyElement> | undefined, section: Section, base: Step[] | undefined, apiScopeKey: string): Step[] => {
      const el = doc?.get(section);
      if (!el) return base ?? [];
      return this.compileStatements(el.children, "request-or-response", { fragments, section, base, fragmentStack: [], apiScopeKey, topLevel: true });
    };
    const globalSteps = Object.fromEntries(SECTIONS.map((s) => [s, compileScope(global, s, undefined, "global")])) as Record<Section, Step[]>;
    for (const api of this.config.apis) {
      const apiDoc = sectionsOf(api.policyXml, `api ${api.name}`);
      const apiSteps = Object.fromEntries(SECTIONS.map((s) => [s, compileScope(apiDoc, s, globalSteps[s], api.name)])) as Record<Section, Step[]>;
      this.pipelines.set(pipelineKey(api, undefined), { api, operation: undefined, sections: apiSteps });
      for (const op of api.operations) {
        const opDoc = sectionsOf(op.policyXml, `operation ${api.name}/${op.operationId}`);
        const opSteps = Object.fromEntries(SECTIONS.map((s) => [s, compileScope(opDoc, s, apiSteps[s], `${api.name}/${op.operationId}`)])) as Record<Section, Step[]>;
        this.pipelines.set(pipelineKey(api, op), { api, operation: op, sections: opSteps });
      }
    }
  }

  // ---------------------------------------------------------------- compilation of statements

  private compileStatements(elements: readonly PolicyElement[], target: Target | "request-or-response", cx: CompileContext): Step[] {
    const steps: Step[] = [];
    for (const el of elements) {
      if (el.name === "base") {
        checkAttributes(el, []);
        if (target !== "request-or-response" || !cx.topLevel) throw new PolicyLoadError(`${el.where}: <base/> may only appear directly in a section`);
        steps.push(...(cx.base ?? []));
        continue;
      }
      if (el.name === "include-fragment") {
        checkAttributes(el, ["fragment-id"], ["fragment-id"]);
        const id = literalAttr(el, "fragment-id");
        const frag = cx.fragments.get(id);
        if (!frag) throw new PolicyLoadError(`${el.where}: fragment "${id}" is not defined`);
        if (cx.fragmentStack.includes(id)) throw new PolicyLoadError(`${el.where}: fragment "${id}" includes itself (${[...cx.fragmentStack, id].join(" -> ")})`);
        steps.push(...this.compileStatements(frag.children, target, { ...cx, base: undefined, topLevel: false, fragmentStack: [...cx.fragmentStack, id] }));
        continue;
      }
      steps.push(this.compileStatement(el, target, cx));
    }
    return steps;
  }

  private compileStatement(el: PolicyElement, target: Target | "request-or-response", cx: CompileContext): Step {
    const isSection = target === "request-or-response";
    switch (el.name) {
      case "set-variable": {
        checkAttributes(el, ["name", "value"], ["name", "value"]);
        noChildren(el);
        const name = literalAttr(el, "name");
        const value = attr(el, "value")!;
        return async (s) => {
          const v = (await this.evalValue(value, s, el)).value;
          if (v.type === "unsupported") {
            throw new PolicyRuntimeError("set-variable", "UnsupportedVariableType", `${el.where}: a ${v.clrType} cannot be stored in a context variable (APIM allows only its listed types)`);
          }
          s.variables.set(name, v);
        };
      }
      case "choose": {
        checkAttributes(el, []);
        const whens: { condition: PolicyValue; steps: Step[]; el: PolicyElement }[] = [];
        let otherwise: Step[] | undefined;
        for (const c of el.children) {
          if (c.name === "when") {
            if (otherwise) throw new PolicyLoadError(`${c.where}: <when> after <otherwise>`);
            checkAttributes(c, ["condition"], ["condition"]);
            whens.push({ condition: attr(c, "condition")!, steps: this.compileStatements(c.children, target, { ...cx, topLevel: false }), el: c });
          } else if (c.name === "otherwise") {
            if (otherwise) throw new PolicyLoadError(`${c.where}: a second <otherwise>`);
            checkAttributes(c, []);
            otherwise = this.compileStatements(c.children, target, { ...cx, topLevel: false });
          } else throw new PolicyLoadError(`${c.where}: unexpected <${c.name}> in <choose>; expected <when> or <otherwise>`);
        }
        if (whens.length === 0) throw new PolicyLoadError(`${el.where}: <choose> needs at least one <when>`);
        return async (s, t) => {
          for (const w of whens) {
            const cond = w.condition.kind === "literal" ? parseBool(w.condition.text, w.el.where) : resultToBool(await this.evalValue(w.condition, s, w.el), w.el.where);
            if (cond) return runSteps(w.steps, s, t);
          }
          if (otherwise) await runSteps(otherwise, s, t);
        };
      }
      case "return-response": {
        checkAttributes(el, ["response-variable-name"]);
        const varName = optionalLiteral(el, "response-variable-name");
        for (const c of el.children) {
          if (!["set-status", "set-header", "set-body"].includes(c.name)) throw new PolicyLoadError(`${c.where}: unexpected <${c.name}> in <return-response>; expected set-status, set-header or set-body`);
        }
        const inner = this.compileStatements(el.children, "return-response", cx);
        return async (s) => {
          let resp = emptyResponse(200);
          if (varName !== undefined) {
            const v = s.variables.get(varName);
            if (!v) throw new PolicyRuntimeError("return-response", "VariableNotFound", `${el.where}: variable "${varName}" is not set`);
            resp = responseFromValue(v, el.where);
          }
          await runSteps(inner, s, resp);
          throw new ReturnResponseSignal(resp);
        };
      }
      case "set-header":
      case "set-query-parameter": {
        checkAttributes(el, ["name", "exists-action"], ["name"]);
        const name = literalAttr(el, "name");
        const action = optionalLiteral(el, "exists-action") ?? "override";
        if (!["override", "skip", "append", "delete"].includes(action)) throw new PolicyLoadError(`${el.where}: exists-action "${action}" is not one of override, skip, append, delete`);
        const values = el.children.map((c) => {
          if (c.name !== "value") throw new PolicyLoadError(`${c.where}: unexpected <${c.name}> in <${el.name}>; expected <value>`);
          checkAttributes(c, []);
          return { v: c.text ?? ({ kind: "literal", text: "" } as PolicyValue), el: c };
        });
        if (action !== "delete" && values.length === 0) throw new PolicyLoadError(`${el.where}: <${el.name}> with exists-action="${action}" needs at least one <value>`);
        if (el.name === "set-query-parameter" && (target === "response" || target === "return-response")) {
          throw new PolicyLoadError(`${el.where}: set-query-parameter applies to requests only`);
        }
        const isQuery = el.name === "set-query-parameter";
        return async (s, t) => {
          const evaluated: string[] = [];
          for (const { v, el: vel } of values) {
            const r = await this.evalValue(v, s, vel);
            if (r.text !== null) evaluated.push(r.text);
          }
          if (isQuery) {
            const req = t as RequestMessage;
            if (!req.url) throw new PolicyRuntimeError(el.name, "NoUrl", `${el.where}: the request has no URL yet`);
            const sp = req.url.searchParams;
            applyMulti(action, sp.has(name), () => sp.getAll(name), (vals) => replaceQuery(req.url!, name, vals), () => sp.delete(name), evaluated);
          } else {
            const h = t.headers;
            applyMulti(action, h.has(name), () => h.get(name) ?? [], (vals) => (vals.length === 0 ? h.delete(name) : h.set(name, vals)), () => h.delete(name), evaluated);
          }
        };
      }
      case "set-body": {
        checkAttributes(el, ["template", "xsi-nil", "parse-date"]);
        noChildren(el);
        const template = optionalLiteral(el, "template") ?? "none";
        if (template !== "none") throw new PolicyLoadError(`${el.where}: set-body template="${template}" is not implemented by the local gateway (only plain and expression bodies)`);
        const nil = optionalLiteral(el, "xsi-nil");
        if (nil !== undefined && nil !== "blank" && nil !== "null") throw new PolicyLoadError(`${el.where}: xsi-nil "${nil}" is not blank or null`);
        const value = el.text ?? ({ kind: "literal", text: "" } as PolicyValue);
        return async (s, t) => {
          const r = await this.evalValue(value, s, el);
          t.body = r.text === null ? null : Buffer.from(r.text, "utf8");
        };
      }
      case "set-status": {
        checkAttributes(el, ["code", "reason"], ["code"]);
        noChildren(el);
        if (target === "request" || target === "send-request") throw new PolicyLoadError(`${el.where}: set-status applies to responses only`);
        if (isSection && (cx.section === "inbound" || cx.section === "backend")) throw new PolicyLoadError(`${el.where}: set-status in <${cx.section}> has no response to change; use it in outbound, on-error or return-response`);
        const code = attr(el, "code")!;
        const reason = attr(el, "reason");
        return async (s, t) => {
          const n = Number(await this.evalText(code, s, el));
          if (!Number.isInteger(n) || n < 100 || n > 599) throw new PolicyRuntimeError("set-status", "InvalidStatusCode", `${el.where}: status code ${n} is not 100-599`);
          const r = t as ResponseMessage;
          r.status = n;
          r.reason = reason ? await this.evalText(reason, s, el) : defaultReason(n);
        };
      }
      case "set-method": {
        checkAttributes(el, []);
        noChildren(el);
        if (target === "response" || target === "return-response" || (isSection && cx.section !== "inbound" && cx.section !== "backend")) {
          throw new PolicyLoadError(`${el.where}: set-method applies to requests only`);
        }
        const value = el.text;
        if (!value) throw new PolicyLoadError(`${el.where}: set-method needs a method`);
        return async (s, t) => {
          (t as RequestMessage).method = (await this.evalText(value, s, el)).toUpperCase();
        };
      }
      case "rewrite-uri": {
        checkAttributes(el, ["template", "copy-unmatched-params"], ["template"]);
        noChildren(el);
        if (!isSection || cx.section !== "inbound") throw new PolicyLoadError(`${el.where}: rewrite-uri is supported in inbound only`);
        const tpl = attr(el, "template")!;
        const copy = (optionalLiteral(el, "copy-unmatched-params") ?? "true") === "true";
        return async (s) => {
          const text = await this.evalText(tpl, s, el);
          s.request.url = rewriteUri(s, text, copy, el.where);
        };
      }
      case "set-backend-service": {
        checkAttributes(el, ["base-url", "backend-id"]);
        noChildren(el);
        const baseUrl = attr(el, "base-url");
        const backendId = attr(el, "backend-id");
        if (!baseUrl === !backendId) throw new PolicyLoadError(`${el.where}: set-backend-service needs exactly one of base-url or backend-id`);
        return async (s) => {
          let base: string;
          if (baseUrl) base = await this.evalText(baseUrl, s, el);
          else {
            const id = await this.evalText(backendId!, s, el);
            const b = this.config.backends.get(id);
            if (!b) throw new PolicyRuntimeError("set-backend-service", "BackendNotFound", `${el.where}: backend "${id}" is not defined`);
            base = b.url;
          }
          s.request.url = rebase(s, base, el.where);
        };
      }
      case "cache-store-value": {
        checkAttributes(el, ["key", "value", "duration", "caching-type"], ["key", "value", "duration"]);
        noChildren(el);
        const [key, value, duration] = [attr(el, "key")!, attr(el, "value")!, attr(el, "duration")!];
        return async (s) => {
          const k = await this.evalText(key, s, el);
          const v = (await this.evalValue(value, s, el)).value;
          const d = Number(await this.evalText(duration, s, el));
          if (!(d > 0)) throw new PolicyRuntimeError("cache-store-value", "InvalidDuration", `${el.where}: duration ${d} is not a positive number of seconds`);
          this.cache.store(k, v, d);
        };
      }
      case "cache-lookup-value": {
        checkAttributes(el, ["key", "variable-name", "default-value", "caching-type"], ["key", "variable-name"]);
        noChildren(el);
        const key = attr(el, "key")!;
        const varName = literalAttr(el, "variable-name");
        const def = attr(el, "default-value");
        return async (s) => {
          const k = await this.evalText(key, s, el);
          const hit = this.cache.lookup(k);
          if (hit) s.variables.set(varName, hit);
          else s.variables.set(varName, def ? (await this.evalValue(def, s, el)).value : nullValue);
        };
      }
      case "cache-remove-value": {
        checkAttributes(el, ["key", "caching-type"], ["key"]);
        noChildren(el);
        const key = attr(el, "key")!;
        return async (s) => {
          this.cache.remove(await this.evalText(key, s, el));
        };
      }
      case "send-request":
        return this.compileSendRequest(el, cx);
      case "set-url": {
        checkAttributes(el, []);
        noChildren(el);
        if (target !== "send-request") throw new PolicyLoadError(`${el.where}: <set-url> belongs inside <send-request>`);
        const value = el.text;
        if (!value) throw new PolicyLoadError(`${el.where}: set-url needs a URL`);
        return async (s, t) => {
          const text = await this.evalText(value, s, el);
          try {
            (t as RequestMessage).url = new URL(applyRewrites(text, this.config.urlRewrites));
          } catch {
            throw new PolicyRuntimeError("send-request", "InvalidUrl", `${el.where}: ${JSON.stringify(text)} is not an absolute URL`);
          }
        };
      }
      case "forward-request": {
        checkAttributes(el, ["timeout", "timeout-ms", "follow-redirects", "buffer-request-body", "buffer-response", "fail-on-error-status-code", "http-version", "continue-timeout"]);
        noChildren(el);
        if (!isSection || cx.section !== "backend") throw new PolicyLoadError(`${el.where}: forward-request belongs in <backend>`);
        const timeoutS = Number(optionalLiteral(el, "timeout") ?? "300");
        const timeoutMs = optionalLiteral(el, "timeout-ms");
        const bufferResponse = (optionalLiteral(el, "buffer-response") ?? "true") === "true";
        const followRedirects = (optionalLiteral(el, "follow-redirects") ?? "false") === "true";
        const failOnError = (optionalLiteral(el, "fail-on-error-status-code") ?? "false") === "true";
        if (followRedirects) throw new PolicyLoadError(`${el.where}: follow-redirects="true" is not implemented by the local gateway`);
        const ms = timeoutMs !== undefined ? Number(timeoutMs) : timeoutS * 1000;
        if (!(ms > 0)) throw new PolicyLoadError(`${el.where}: timeout must be a positive number`);
        return async (s) => {
          await forwardRequest(s, { timeoutMs: ms, bufferResponse });
          if (failOnError && s.response.status >= 400) {
            throw new PolicyRuntimeError("forward-request", "BackendError", `backend answered ${s.response.status}`);
          }
        };
      }
      case "authentication-managed-identity": {
        checkAttributes(el, ["resource", "client-id", "output-token-variable-name", "ignore-error"], ["resource"]);
        noChildren(el);
        if (target === "response" || target === "return-response") throw new PolicyLoadError(`${el.where}: authentication-managed-identity applies to requests only`);
        const resource = attr(el, "resource")!;
        const clientId = attr(el, "client-id");
        const outVar = optionalLiteral(el, "output-token-variable-name");
        const ignoreError = (optionalLiteral(el, "ignore-error") ?? "false") === "true";
        return async (s, t) => {
          const res = await this.evalText(resource, s, el);
          const cid = clientId ? await this.evalText(clientId, s, el) : undefined;
          let token: string;
          try {
            token = await this.managedIdentityToken(res, cid);
          } catch (e) {
            if (ignoreError) return;
            throw new PolicyRuntimeError("authentication-managed-identity", "TokenAcquisitionFailure", `${el.where}: ${(e as Error).message}`);
          }
          if (outVar !== undefined) s.variables.set(outVar, stringValue(token));
          else (t as RequestMessage).headers.set("Authorization", [`Bearer ${token}`]);
        };
      }
      case "rate-limit-by-key": {
        checkAttributes(
          el,
          ["calls", "renewal-period", "counter-key", "increment-condition", "increment-count", "retry-after-header-name", "retry-after-variable-name", "remaining-calls-header-name", "remaining-calls-variable-name", "total-calls-header-name"],
          ["calls", "renewal-period", "counter-key"],
        );
        noChildren(el);
        if (!isSection || cx.section !== "inbound") throw new PolicyLoadError(`${el.where}: rate-limit-by-key belongs in <inbound>`);
        const calls = Number(literalAttr(el, "calls"));
        const period = Number(literalAttr(el, "renewal-period"));
        if (!(calls > 0) || !(period > 0)) throw new PolicyLoadError(`${el.where}: calls and renewal-period must be positive numbers`);
        const counterKey = attr(el, "counter-key")!;
        const cond = attr(el, "increment-condition");
        const count = attr(el, "increment-count");
        const retryHeader = optionalLiteral(el, "retry-after-header-name") ?? "Retry-After";
        const retryVar = optionalLiteral(el, "retry-after-variable-name");
        const remainingHeader = optionalLiteral(el, "remaining-calls-header-name");
        const remainingVar = optionalLiteral(el, "remaining-calls-variable-name");
        const totalHeader = optionalLiteral(el, "total-calls-header-name");
        const scope = `${cx.apiScopeKey}:${el.where}`;
        return async (s) => {
          const key = await this.evalText(counterKey, s, el);
          const inc = cond ? resultToBool(await this.evalValue(cond, s, el), el.where) : true;
          const n = count ? Number(await this.evalText(count, s, el)) : 1;
          const r = this.rateLimiter.hit(scope, key, calls, period, inc ? n : 0);
          if (remainingVar) s.variables.set(remainingVar, { type: "int", value: r.remaining });
          if (!r.allowed) {
            if (retryVar) s.variables.set(retryVar, { type: "int", value: r.retryAfter });
            const resp = jsonErrorResponse(429, `Rate limit is exceeded. Try again in ${r.retryAfter} seconds.`);
            resp.headers.set(retryHeader, [String(r.retryAfter)]);
            if (remainingHeader) resp.headers.set(remainingHeader, ["0"]);
            if (totalHeader) resp.headers.set(totalHeader, [String(calls)]);
            throw new ReturnResponseSignal(resp);
          }
        };
      }
      case "cors":
        if (!isSection || cx.section !== "inbound") throw new PolicyLoadError(`${el.where}: cors belongs in <inbound>`);
        return compileCors(el);
      case "trace": {
        checkAttributes(el, ["source", "severity"], ["source"]);
        const source = literalAttr(el, "source");
        for (const c of el.children) {
          if (c.name === "message") checkAttributes(c, []);
          else if (c.name === "metadata") checkAttributes(c, ["name", "value"], ["name", "value"]);
          else throw new PolicyLoadError(`${c.where}: unexpected <${c.name}> in <trace>; expected message or metadata`);
        }
        return async () => {
          // Logged without values: a trace may carry tokens (and must not, but the local run never shows them).
          this.logger.debug(`trace from ${source}`);
        };
      }
      default:
        throw new PolicyLoadError(`${el.where}: policy element <${el.name}> is not implemented by the local gateway${isSection ? "" : ` (inside ${target})`}`);
    }
  }

  private compileSendRequest(el: PolicyElement, cx: CompileContext): Step {
    checkAttributes(el, ["mode", "response-variable-name", "timeout", "ignore-error"], ["response-variable-name"]);
    const mode = optionalLiteral(el, "mode") ?? "new";
    if (mode !== "new" && mode !== "copy") throw new PolicyLoadError(`${el.where}: mode "${mode}" is not new or copy`);
    const varName = literalAttr(el, "response-variable-name");
    const timeoutS = Number(optionalLiteral(el, "timeout") ?? "60");
    if (!(timeoutS > 0)) throw new PolicyLoadError(`${el.where}: timeout must be a positive number of seconds`);
    const ignoreError = (optionalLiteral(el, "ignore-error") ?? "false") === "true";
    for (const c of el.children) {
      if (!["set-url", "set-method", "set-header", "set-body", "authentication-managed-identity"].includes(c.name)) {
        throw new PolicyLoadError(`${c.where}: unexpected <${c.name}> in <send-request>`);
      }
    }
    const inner = this.compileStatements(el.children, "send-request", cx);
    return async (s) => {
      const req: RequestMessage =
        mode === "copy"
          ? { method: s.request.method, url: s.request.url ? new URL(s.request.url) : undefined, headers: s.request.headers.clone(), body: Buffer.isBuffer(s.request.body) ? s.request.body : null }
          : { method: "GET", url: undefined, headers: new HeaderBag(), body: null };
      await runSteps(inner, s, req);
      if (!req.url) throw new PolicyRuntimeError("send-request", "NoUrl", `${el.where}: send-request has no <set-url>`);
      try {
        const headers = new Headers();
        for (const [k, vs] of req.headers.entries()) if (!HOP_BY_HOP.has(k.toLowerCase()) && k.toLowerCase() !== "content-length") for (const v of vs) headers.append(k, v);
        const res = await fetch(req.url, {
          method: req.method,
          headers,
          body: req.method === "GET" || req.method === "HEAD" ? undefined : Buffer.isBuffer(req.body) ? new Uint8Array(req.body) : undefined,
          redirect: "manual",
          signal: AbortSignal.timeout(timeoutS * 1000),
        });
        const body = Buffer.from(await res.arrayBuffer());
        s.variables.set(varName, responseValue({ status: res.status, reason: res.statusText || defaultReason(res.status), headers: headersFromFetch(res.headers), body }));
      } catch (e) {
        if (ignoreError) {
          s.variables.set(varName, nullValue);
          return;
        }
        const name = (e as Error).name;
        throw new PolicyRuntimeError("send-request", name === "TimeoutError" ? "Timeout" : "SendRequestFailure", `${el.where}: request to ${req.url.origin} failed: ${(e as Error).message}`);
      }
    };
  }

  private async managedIdentityToken(resource: string, clientId: string | undefined): Promise<string> {
    const base = this.services.managedIdentityTokenUrl;
    if (!base) throw new Error("no managed-identity token endpoint configured (the Entra stand-in's)");
    const u = new URL(base);
    u.searchParams.set("resource", resource);
    if (clientId) u.searchParams.set("client_id", clientId);
    const res = await fetch(u, { headers: { Metadata: "true" }, signal: AbortSignal.timeout(10_000) });
    if (!res.ok) throw new Error(`managed-identity endpoint answered ${res.status}`);
    const json = (await res.json()) as { access_token?: unknown };
    if (typeof json.access_token !== "string") throw new Error("managed-identity endpoint returned no access_token");
    return json.access_token;
  }

  // ---------------------------------------------------------------- expression evaluation

  snapshot(s: ExecState): ExpressionContext {
    const reqUrl = s.request.url ?? s.originalUrl;
    const showResponse = s.section === "outbound" || s.section === "on-error" || s.responseReady;
    return {
      request: {
        method: s.request.method,
        url: reqUrl.toString(),
        originalUrl: s.originalUrl.toString(),
        headers: s.request.headers.toRecord(),
        body: bodySnapshot(s.request.body),
        ipAddress: s.ipAddress,
        matchedParameters: s.matchedParameters,
      },
      response: showResponse
        ? { statusCode: s.response.status, statusReason: s.response.reason, headers: s.response.headers.toRecord(), body: bodySnapshot(s.response.body) }
        : undefined,
      variables: Object.fromEntries(s.variables),
      api: { id: s.api.name, name: s.api.displayName, path: s.api.path, serviceUrl: s.api.serviceUrl, revision: "1", isCurrentRevision: true },
      operation: s.operation ? { id: s.operation.operationId, name: s.operation.displayName, method: s.operation.method, urlTemplate: s.operation.urlTemplate } : undefined,
      deployment: { serviceName: this.config.serviceName, serviceId: `/local/${this.config.serviceName}`, region: this.services.region ?? "local", gatewayId: "managed" },
      requestId: s.requestId,
      timestamp: s.receivedAt,
      lastError: s.lastError ?? undefined,
    };
  }

  /** Evaluates a policy value: literals as strings, expressions through the evaluator. */
  async evalValue(v: PolicyValue, s: ExecState, el: PolicyElement): Promise<PolicyResult> {
    if (v.kind === "literal") return { value: stringValue(v.text), text: v.text };
    let result;
    try {
      result = await this.services.evaluator.evaluate(v.code, this.snapshot(s));
    } catch (e) {
      throw new PolicyRuntimeError(el.name, "ExpressionValueEvaluationFailure", `${el.where}: expression could not be evaluated: ${(e as Error).message}`);
    }
    if (result.requestBodyConsumed && Buffer.isBuffer(s.request.body)) s.request.body = Buffer.alloc(0);
    if (result.responseBodyConsumed && Buffer.isBuffer(s.response.body)) s.response.body = Buffer.alloc(0);
    for (const name of result.variableBodiesConsumed) {
      const v2 = s.variables.get(name);
      if (v2?.type === "response") s.variables.set(name, { type: "response", value: { ...v2.value, body: "" } });
    }
    if (result.traces.length) this.logger.debug(`${el.where}: ${result.traces.length} context.Trace message(s) (values not logged)`);
    if (!result.ok) {
      throw new PolicyRuntimeError(el.name, "ExpressionValueEvaluationFailure", `${el.where}: expression threw ${result.error.type}: ${result.error.message}`);
    }
    return { value: result.value, text: result.text };
  }

  /** Evaluates a policy value to its text ("" for null). */
  async evalText(v: PolicyValue, s: ExecState, el: PolicyElement): Promise<string> {
    return (await this.evalValue(v, s, el)).text ?? "";
  }

  // ---------------------------------------------------------------- execution

  /**
   * Runs the pipeline for one request. Returns the response to send and the CORS decision to
   * apply to it (headers added by the server).
   */
  async execute(state: ExecState): Promise<ResponseMessage> {
    const p = this.pipeline(state.api, state.operation);
    try {
      for (const section of ["inbound", "backend", "outbound"] as const) {
        state.section = section;
        await runSteps(p.sections[section], state, section === "outbound" ? state.response : state.request);
        if (section === "backend") state.responseReady = true;
      }
      return state.response;
    } catch (e) {
      if (e instanceof ReturnResponseSignal) return e.response;
      state.lastError = this.lastErrorOf(e, state);
      if (!(e instanceof PolicyRuntimeError)) this.logger.warn(`unexpected error in ${state.section}: ${(e as Error).stack ?? String(e)}`);
      else this.logger.debug(`policy error in ${state.section} (${state.api.name}/${state.operation?.operationId ?? "*"}): ${e.source} ${e.reason}: ${e.message}`);
      state.response = jsonErrorResponse(500, "Internal server error");
      state.section = "on-error";
      try {
        await runSteps(p.sections["on-error"], state, state.response);
        return state.response;
      } catch (e2) {
        if (e2 instanceof ReturnResponseSignal) return e2.response;
        this.logger.warn(`error in on-error: ${(e2 as Error).message}`);
        return jsonErrorResponse(500, "Internal server error");
      }
    }
  }

  private lastErrorOf(e: unknown, s: ExecState): LastErrorSnapshot {
    const scope = s.operation ? "operation" : "api";
    if (e instanceof PolicyRuntimeError) {
      return { source: e.source, reason: e.reason, message: e.message, scope, section: s.section, path: "", policyId: "" };
    }
    if (e instanceof ExpressionError) {
      return { source: "expression", reason: "ExpressionValueEvaluationFailure", message: e.message, scope, section: s.section, path: "", policyId: "" };
    }
    return { source: "gateway", reason: "InternalError", message: (e as Error).message ?? String(e), scope, section: s.section, path: "", policyId: "" };
  }
}

function pipelineKey(api: ApiConfig, op: OperationConfig | undefined): string {
  return `${api.name}\u0000${op?.operationId ?? ""}`;
}

function headersFromFetch(h: Headers): HeaderBag {
  const bag = new HeaderBag();
  h.forEach((v, k) => bag.append(k, v));
  return bag;
}

async function runSteps(steps: readonly Step[], s: ExecState, t: RequestMessage | ResponseMessage): Promise<void> {
  for (const step of steps) await step(s, t);
}

// ------------------------------------------------------------------ element helpers

function attr(el: PolicyElement, name: string): PolicyValue | undefined {
  return el.attributes.get(name);
}

function literalAttr(el: PolicyElement, name: string): string {
  const v = el.attributes.get(name);
  if (!v) throw new PolicyLoadError(`${el.where}: attribute ${name} is required`);
  if (v.kind !== "literal") throw new PolicyLoadError(`${el.where}: attribute ${name} must be a literal, not a policy expression`);
  return v.text;
}

function optionalLiteral(el: PolicyElement, name: string): string | undefined {
  return el.attributes.has(name) ? literalAttr(el, name) : undefined;
}

function checkAttributes(el: PolicyElement, allowed: readonly string[], required: readonly string[] = []): void {
  for (const k of el.attributes.keys()) {
    if (!allowed.includes(k)) {
      throw new PolicyLoadError(`${el.where}: attribute "${k}" is not implemented by the local gateway; expected ${allowed.length ? allowed.join(", ") : "no attributes"}`);
    }
  }
  for (const r of required) if (!el.attributes.has(r)) throw new PolicyLoadError(`${el.where}: attribute ${r} is required`);
}

function noChildren(el: PolicyElement): void {
  if (el.children.length) throw new PolicyLoadError(`${el.children[0]!.where}: <${el.name}> takes no child elements`);
}

function parseBool(text: string, where: string): boolean {
  const t = text.trim().toLowerCase();
  if (t === "true") return true;
  if (t === "false") return false;
  throw new PolicyLoadError(`${where}: condition ${JSON.stringify(text)} is neither a policy expression nor true/false`);
}

/** Applies an exists-action to a multi-valued item (header or query parameter). */
function applyMulti(action: string, exists: boolean, get: () => string[], set: (v: string[]) => void, del: () => void, values: string[]): void {
  switch (action) {
    case "delete":
      del();
      return;
    case "skip":
      if (!exists && values.length) set(values);
      return;
    case "append":
      set([...get(), ...values]);
      return;
    default:
      set(values);
  }
}

function applyRewrites(text: string, rewrites: Readonly<Record<string, string>>): string {
  for (const [from, to] of Object.entries(rewrites).sort((a, b) => b[0].length - a[0].length)) {
    if (text.startsWith(from)) return to + text.slice(from.length);
  }
  return text;
}

/** Sets a query parameter's values, keeping its position when it exists. */
function replaceQuery(url: URL, name: string, values: string[]): void {
  const out = new URLSearchParams();
  let placed = false;
  for (const [k, v] of url.searchParams) {
    if (k !== name) out.append(k, v);
    else if (!placed) {
      for (const x of values) out.append(name, x);
      placed = true;
    }
  }
  if (!placed) for (const x of values) out.append(name, x);
  url.search = out.toString();
}

function rewriteUri(s: ExecState, template: string, copyUnmatched: boolean, where: string): URL {
  const [pathTpl, queryTpl] = template.split("?", 2) as [string, string | undefined];
  const used = new Set<string>();
  const fill = (t: string): string =>
    t.replace(/\{([^{}]+)\}/g, (_m, name: string) => {
      const v = s.matchedParameters[name] ?? s.originalUrl.searchParams.get(name);
      if (v === undefined || v === null) throw new PolicyRuntimeError("rewrite-uri", "TemplateParameterNotFound", `${where}: template parameter {${name}} has no value`);
      used.add(name);
      return encodeURIComponent(v);
    });
  const path = fill(pathTpl);
  const base = s.api.serviceUrl ? new URL(s.api.serviceUrl) : new URL(s.originalUrl.origin);
  const out = new URL(base.toString());
  out.pathname = (base.pathname.replace(/\/$/, "") + (path.startsWith("/") ? path : `/${path}`)).replace(/\/{2,}/g, "/");
  out.search = "";
  if (queryTpl) for (const [k, v] of new URLSearchParams(fill(queryTpl))) out.searchParams.append(k, v);
  if (copyUnmatched) {
    for (const [k, v] of s.originalUrl.searchParams) if (!used.has(k) && !out.searchParams.has(k)) out.searchParams.append(k, v);
  }
  return out;
}

function rebase(s: ExecState, base: string, where: string): URL {
  let b: URL;
  try {
    b = new URL(base);
  } catch {
    throw new PolicyRuntimeError("set-backend-service", "InvalidUrl", `${where}: ${JSON.stringify(base)} is not an absolute URL`);
  }
  const current = s.request.url ?? new URL(s.originalUrl);
  const oldBase = s.api.serviceUrl ? new URL(s.api.serviceUrl).pathname.replace(/\/$/, "") : "";
  const rest = current.pathname.startsWith(oldBase) ? current.pathname.slice(oldBase.length) : current.pathname;
  const out = new URL(b.toString());
  out.pathname = (b.pathname.replace(/\/$/, "") + rest).replace(/\/{2,}/g, "/") || "/";
  out.search = current.search;
  return out;
}

// ------------------------------------------------------------------ CORS

function compileCors(el: PolicyElement): Step {
  checkAttributes(el, ["allow-credentials", "terminate-unmatched-request"]);
  const allowCredentials = (optionalLiteral(el, "allow-credentials") ?? "false") === "true";
  const terminate = (optionalLiteral(el, "terminate-unmatched-request") ?? "true") === "true";
  let origins: string[] = [];
  let methods: string[] | undefined;
  let maxAge: string | undefined;
  let headers: string[] = [];
  let expose: string[] = [];
  const list = (c: PolicyElement, item: string): string[] =>
    c.children.map((x) => {
      if (x.name !== item) throw new PolicyLoadError(`${x.where}: unexpected <${x.name}> in <${c.name}>; expected <${item}>`);
      checkAttributes(x, []);
      if (!x.text || x.text.kind !== "literal") throw new PolicyLoadError(`${x.where}: <${item}> must hold a literal value`);
      return x.text.text.trim();
    });
  for (const c of el.children) {
    switch (c.name) {
      case "allowed-origins":
        checkAttributes(c, []);
        origins = list(c, "origin");
        break;
      case "allowed-methods":
        checkAttributes(c, ["preflight-result-max-age"]);
        maxAge = optionalLiteral(c, "preflight-result-max-age");
        methods = list(c, "method").map((m) => m.toUpperCase());
        break;
      case "allowed-headers":
        checkAttributes(c, []);
        headers = list(c, "header").map((h) => h.toLowerCase());
        break;
      case "expose-headers":
        checkAttributes(c, []);
        expose = list(c, "header");
        break;
      default:
        throw new PolicyLoadError(`${c.where}: unexpected <${c.name}> in <cors>`);
    }
  }
  if (origins.length === 0) throw new PolicyLoadError(`${el.where}: <cors> needs <allowed-origins> with at least one <origin>`);
  if (allowCredentials && origins.includes("*")) throw new PolicyLoadError(`${el.where}: allow-credentials="true" cannot be combined with origin "*"`);
  const allowedMethods = methods ?? ["GET", "POST"];
  return async (s) => {
    const origin = s.request.headers.first("Origin");
    if (!origin) return;
    const originOk = origins.includes("*") || origins.some((o) => o.toLowerCase() === origin.toLowerCase());
    const requestedMethod = s.request.headers.first("Access-Control-Request-Method");
    const preflight = s.request.method === "OPTIONS" && requestedMethod !== undefined;
    const allowOrigin = allowCredentials || !origins.includes("*") ? origin : "*";
    if (preflight) {
      const requestedHeaders = (s.request.headers.first("Access-Control-Request-Headers") ?? "")
        .split(",")
        .map((h) => h.trim().toLowerCase())
        .filter(Boolean);
      const methodOk = allowedMethods.includes("*") || allowedMethods.includes(requestedMethod.toUpperCase());
      const headersOk = headers.includes("*") || requestedHeaders.every((h) => headers.includes(h));
      if (originOk && methodOk && headersOk) {
        const r = emptyResponse(200);
        r.headers.set("Access-Control-Allow-Origin", [allowOrigin]);
        if (allowCredentials) r.headers.set("Access-Control-Allow-Credentials", ["true"]);
        r.headers.set("Access-Control-Allow-Methods", [allowedMethods.includes("*") ? requestedMethod : allowedMethods.join(",")]);
        if (requestedHeaders.length) r.headers.set("Access-Control-Allow-Headers", [requestedHeaders.join(",")]);
        if (maxAge !== undefined) r.headers.set("Access-Control-Max-Age", [maxAge]);
        if (allowOrigin !== "*") r.headers.set("Vary", ["Origin"]);
        throw new ReturnResponseSignal(r);
      }
      if (terminate) throw new ReturnResponseSignal(emptyResponse(200));
      return;
    }
    if (originOk) {
      s.cors = { origin: allowOrigin, allowCredentials, exposeHeaders: expose };
      return;
    }
    if (terminate && (s.request.method === "GET" || s.request.method === "HEAD")) throw new ReturnResponseSignal(emptyResponse(200));
  };
}

/** Adds the CORS headers decided in inbound to the final response. */
export function applyCors(resp: ResponseMessage, cors: CorsDecision | undefined): void {
  if (!cors) return;
  resp.headers.set("Access-Control-Allow-Origin", [cors.origin]);
  if (cors.allowCredentials) resp.headers.set("Access-Control-Allow-Credentials", ["true"]);
  if (cors.exposeHeaders.length) resp.headers.set("Access-Control-Expose-Headers", [cors.exposeHeaders.join(",")]);
  if (cors.origin !== "*") resp.headers.append("Vary", "Origin");
}

// ------------------------------------------------------------------ forward-request

async function forwardRequest(s: ExecState, opts: { timeoutMs: number; bufferResponse: boolean }): Promise<void> {
  const url = s.request.url;
  if (!url) throw new PolicyRuntimeError("forward-request", "BackendUrlMissing", "the API has no service URL and no set-backend-service set one");
  const mod = url.protocol === "https:" ? https : http;
  const headers: Record<string, string[]> = {};
  for (const [k, vs] of s.request.headers.entries()) {
    if (HOP_BY_HOP.has(k.toLowerCase()) || k.toLowerCase() === "content-length") continue;
    headers[k] = vs;
  }
  const body = Buffer.isBuffer(s.request.body) ? s.request.body : null;
  if (body && body.length) headers["Content-Length"] = [String(body.length)];
  const xff = s.request.headers.first("X-Forwarded-For");
  headers["X-Forwarded-For"] = [xff ? `${xff}, ${s.ipAddress}` : s.ipAddress];
  const res = await new Promise<http.IncomingMessage>((resolve, reject) => {
    const req = mod.request(url, { method: s.request.method, headers, signal: s.signal }, resolve);
    const timer = setTimeout(() => req.destroy(Object.assign(new Error(`backend did not answer within ${opts.timeoutMs} ms`), { code: "ETIMEDOUT" })), opts.timeoutMs);
    req.on("response", () => clearTimeout(timer));
    req.on("error", (e) => {
      clearTimeout(timer);
      const code = (e as NodeJS.ErrnoException).code;
      reject(new PolicyRuntimeError("forward-request", code === "ETIMEDOUT" ? "Timeout" : "BackendConnectionFailure", `backend ${url.origin}: ${e.message}`));
    });
    req.end(body ?? undefined);
  });
  const respHeaders = new HeaderBag();
  for (let i = 0; i < res.rawHeaders.length; i += 2) {
    const k = res.rawHeaders[i]!;
    if (HOP_BY_HOP.has(k.toLowerCase())) continue;
    respHeaders.append(k, res.rawHeaders[i + 1]!);
  }
  let respBody: Body;
  if (opts.bufferResponse) {
    const chunks: Buffer[] = [];
    for await (const c of res) chunks.push(c as Buffer);
    respBody = Buffer.concat(chunks);
    respHeaders.delete("Content-Length");
  } else respBody = res;
  s.response = { status: res.statusCode ?? 502, reason: res.statusMessage || defaultReason(res.statusCode ?? 502), headers: respHeaders, body: respBody };
}

