/**
 * The policy interpreter: at load time, parses every document, checks it against the element
 * table (apim-policy/validate.ts), assembles the effective pipeline of every operation (global,
 * API and operation policies with `<base/>` and include-fragment inlined, apim-policy/effective.ts)
 * and compiles it into steps through the element implementations (elements/); per request, runs
 * inbound, backend, outbound and on-error, following Microsoft's policy reference. Anything API
 * Management would refuse, or the local gateway does not implement, fails at load time, naming
 * where it is.
 */
import { assemblePipeline, type EffectivePipeline, type StatementScope } from "../../apim-policy/effective.js";
import { STATEMENT_CONTAINER } from "../../apim-policy/elements.js";
import { SECTIONS } from "../../apim-policy/sections.js";
import { attributeProblems, checkContent, sectionProblem } from "../../apim-policy/validate.js";
import { PolicyValueError, treeExpressions } from "../../apim-policy/values.js";
import type { ApiConfig, GatewayConfig, OperationConfig } from "./config.js";
import { substituteNamedValues } from "./config.js";
import { checkImplemented, ELEMENTS } from "./elements/index.js";
import { PolicyLoadError, PolicyRuntimeError, ReturnResponseSignal } from "./errors.js";
import { ExpressionError, stringValue, type ExpressionContext, type ExpressionEvaluator, type LastErrorSnapshot, type PolicyResult } from "./expressions.js";
import { bodySnapshot, jsonErrorResponse, type ResponseMessage } from "./messages.js";
import { elementChildren, runSteps, type CompileContext, type Compiler, type ExecState, type Logger, type PolicyValue, type Section, type Step, type Target } from "./pipeline.js";
import { parsePolicyDocument, where, type PolicyElement } from "./policy-xml.js";
import { RateLimiter, ValueCache } from "./runtime-services.js";

export { PolicyLoadError, PolicyRuntimeError } from "./errors.js";
export { applyCors } from "./elements/index.js";
export { defaultReason, responseValue, type Body, type RequestMessage, type ResponseMessage } from "./messages.js";
export type { CorsDecision, ExecState, Logger, Section } from "./pipeline.js";

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

/** The compiled pipeline of one operation (or of an API alone, for CORS preflight). */
export interface CompiledPipeline {
  readonly api: ApiConfig;
  readonly operation: OperationConfig | undefined;
  readonly sections: Readonly<Record<Section, Step[]>>;
}

function pipelineKey(api: ApiConfig, op: OperationConfig | undefined): string {
  return `${api.name}\u0000${op?.operationId ?? ""}`;
}

export class PolicyInterpreter {
  private readonly pipelines = new Map<string, CompiledPipeline>();
  private readonly expressions = new Set<string>();
  private readonly cache: ValueCache;
  private readonly rateLimiter: RateLimiter;
  private readonly logger: Logger;
  private readonly compiler: Compiler;

  private constructor(
    readonly config: GatewayConfig,
    private readonly services: InterpreterServices,
  ) {
    this.cache = services.cache ?? new ValueCache();
    this.rateLimiter = services.rateLimiter ?? new RateLimiter();
    this.logger = services.logger ?? { debug: () => undefined, warn: (m) => console.warn(m) };
    this.compiler = {
      config,
      cache: this.cache,
      rateLimiter: this.rateLimiter,
      logger: this.logger,
      compileStatements: (elements, target, cx) => this.compileStatements(elements, target, cx),
      evalValue: (v, s, el) => this.evalValue(v, s, el),
      evalText: (v, s, el) => this.evalText(v, s, el),
      managedIdentityToken: (resource, clientId) => this.managedIdentityToken(resource, clientId),
    };
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

  /** Parses a document (named values substituted), collects its expressions and checks it against the element table. */
  private parse(xml: string, document: string, root: "policies" | "fragment"): PolicyElement {
    const substituted = substituteNamedValues(xml, this.config.namedValues, document);
    const parsed = parsePolicyDocument(substituted, document);
    if (parsed.name !== root) {
      throw new PolicyLoadError(`${where(parsed)}: a ${root === "fragment" ? "policy fragment" : "policy document"}'s root must be <${root}>`);
    }
    try {
      treeExpressions(parsed, this.expressions);
    } catch (e) {
      if (e instanceof PolicyValueError) throw new PolicyLoadError(e.message);
      throw e;
    }
    const containers = root === "fragment" ? [parsed] : elementChildren(parsed);
    const bare = root === "fragment" ? [parsed] : [parsed, ...containers];
    const seen = new Set<string>();
    for (const section of root === "policies" ? containers : []) {
      if (!(SECTIONS as readonly string[]).includes(section.name)) throw new PolicyLoadError(`${where(section)}: unknown section <${section.name}>; expected inbound, backend, outbound or on-error`);
      if (seen.has(section.name)) throw new PolicyLoadError(`${where(section)}: section <${section.name}> appears twice`);
      seen.add(section.name);
    }
    const problems = [...bare.flatMap((el) => attributeProblems(el, { attributes: {} })), ...containers.flatMap((c) => checkContent(c, STATEMENT_CONTAINER))];
    if (problems[0]) throw new PolicyLoadError(`${where(problems[0].element)}: ${problems[0].describe()}`);
    return parsed;
  }

  private compileAll(): void {
    const fragments = new Map<string, PolicyElement>();
    for (const [id, xml] of this.config.fragments) fragments.set(id, this.parse(xml, `fragment ${id}`, "fragment"));
    const doc = (xml: string | undefined, document: string) => (xml === undefined ? undefined : this.parse(xml, document, "policies"));
    const global = doc(this.config.globalPolicyXml, "global");
    this.compilePipeline(assemblePipeline({ global, fragments }), { global: "global" });
    for (const api of this.config.apis) {
      const apiRoot = doc(api.policyXml, `api ${api.name}`);
      const apiSteps = this.compilePipeline(assemblePipeline({ global, api: apiRoot, fragments }), { global: "global", api: api.name });
      this.pipelines.set(pipelineKey(api, undefined), { api, operation: undefined, sections: apiSteps });
      for (const op of api.operations) {
        const opRoot = doc(op.policyXml, `operation ${api.name}/${op.operationId}`);
        const keys = { global: "global", api: api.name, operation: `${api.name}/${op.operationId}` };
        const opSteps = this.compilePipeline(assemblePipeline({ global, api: apiRoot, operation: opRoot, fragments }), keys);
        this.pipelines.set(pipelineKey(api, op), { api, operation: op, sections: opSteps });
      }
    }
  }

  /** Compiles the effective sections of a pipeline; `scopeKeys` keys rate-limit counters by the scope a statement was written in. */
  private compilePipeline(pipeline: EffectivePipeline, scopeKeys: Partial<Record<StatementScope, string>>): Record<Section, Step[]> {
    const problem = pipeline.problems[0];
    if (problem) throw new PolicyLoadError(`${where(problem.element)}: ${problem.message}`);
    const out = {} as Record<Section, Step[]>;
    for (const section of SECTIONS) {
      out[section] = pipeline.sections[section].flatMap(({ element, scope }) =>
        this.compileStatements([element], "request-or-response", { section, scopeKey: scopeKeys[scope] ?? scope }),
      );
    }
    return out;
  }

  // ---------------------------------------------------------------- compilation of statements

  private compileStatements(elements: readonly PolicyElement[], target: Target, cx: CompileContext): Step[] {
    return elements.map((el) => this.compileStatement(el, target, cx));
  }

  private compileStatement(el: PolicyElement, target: Target, cx: CompileContext): Step {
    if (target === "request-or-response") {
      const p = sectionProblem(el, cx.section);
      if (p) throw new PolicyLoadError(`${where(el)}: ${p.describe()}`);
    }
    const impl = ELEMENTS.get(el.name);
    if (!impl) {
      throw new PolicyLoadError(`${where(el)}: policy element <${el.name}> is not implemented by the local gateway${target === "request-or-response" ? "" : ` (inside ${target})`}`);
    }
    checkImplemented(el, impl);
    return impl.compile(el, target, cx, this.compiler);
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
      throw new PolicyRuntimeError(el.name, "ExpressionValueEvaluationFailure", `${where(el)}: expression could not be evaluated: ${(e as Error).message}`);
    }
    if (result.requestBodyConsumed && Buffer.isBuffer(s.request.body)) s.request.body = Buffer.alloc(0);
    if (result.responseBodyConsumed && Buffer.isBuffer(s.response.body)) s.response.body = Buffer.alloc(0);
    for (const name of result.variableBodiesConsumed) {
      const v2 = s.variables.get(name);
      if (v2?.type === "response") s.variables.set(name, { type: "response", value: { ...v2.value, body: "" } });
    }
    if (result.traces.length) this.logger.debug(`${where(el)}: ${result.traces.length} context.Trace message(s) (values not logged)`);
    if (!result.ok) {
      throw new PolicyRuntimeError(el.name, "ExpressionValueEvaluationFailure", `${where(el)}: expression threw ${result.error.type}: ${result.error.message}`);
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
      state.response = e instanceof PolicyRuntimeError && e.response ? e.response : jsonErrorResponse(500, "Internal server error");
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
