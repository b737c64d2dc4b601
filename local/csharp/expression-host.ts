/**
 * Evaluates APIM policy expressions (`@(...)`, `@{...}`) with Mono's real C# compiler, in one long-lived Mono
 * process. Expressions are compiled in batches (one `mcs` run per batch, cached on disk by content hash), checked
 * against APIM's allow-list on their compiled IL, and evaluated over JSON lines on the child's stdin/stdout.
 */
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdtemp, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { APIM_ALLOW_LIST, type CSharpAllowList } from "./allowlist.js";
import { ExpressionCompileError, ExpressionHostError } from "./errors.js";
import { abbreviate, dedupeFailures, parseExpression, unreferencedForbidden, wrap, type ParsedExpression } from "./expression-source.js";
import { FRAMEWORK_REFERENCES, prepareToolchain, runCompiler } from "./toolchain.js";
import type { ExpressionContext, ExpressionFailure, ExpressionResult, TypedValue } from "./types.js";

export type * from "./types.js";
export { ExpressionCompileError, ExpressionHostError, MonoNotInstalledError } from "./errors.js";

export interface ExpressionHostOptions {
  /** Types and members expressions may use. @default APIM_ALLOW_LIST */
  readonly allowList?: CSharpAllowList;
  /** Where the compiled host and expression assemblies are cached. @default `<os tmpdir>/apim-expression-host` */
  readonly cacheDir?: string;
  /** Reuse expression assemblies compiled by earlier runs (keyed by content hash). @default true */
  readonly cacheCompiledExpressions?: boolean;
  /** Longest an evaluation may run before evaluate() rejects. @default 10000 */
  readonly evaluationTimeoutMs?: number;
  /** @default "mcs" (from PATH) */
  readonly mcsPath?: string;
  /** @default "mono" (from PATH) */
  readonly monoPath?: string;
  /** Newtonsoft.Json.dll to compile against. @default the Debian package's (libnewtonsoft-json5.0-cil) */
  readonly newtonsoftJsonPath?: string;
}

export interface ExpressionHostStats {
  /** `mcs` runs by this host (the host program itself on a cold cache, and each expression batch not cached). */
  readonly compilerRuns: number;
  /** Expressions compiled and loaded, ready to evaluate. */
  readonly compiledExpressions: number;
  readonly evaluations: number;
  /** Times the Mono process was replaced after it died or an evaluation timed out. */
  readonly restarts: number;
}

interface Pending {
  /** The process the request was written to. */
  readonly child: ChildProcessWithoutNullStreams;
  resolve(message: HostMessage): void;
  reject(error: Error): void;
  timer?: NodeJS.Timeout;
}

interface HostMessage {
  readonly id: number | null;
  readonly ok?: boolean;
  readonly ready?: boolean;
  readonly hostError?: string;
  readonly [key: string]: unknown;
}

const liveHosts = new Set<ChildProcessWithoutNullStreams>();
let exitHookInstalled = false;

/**
 * A running Mono expression host. Start with `ExpressionHost.start()`, always `close()`. If the Mono process dies
 * (or is killed because an evaluation ran past its timeout), the next call starts a new one and reloads every
 * compiled expression, without recompiling.
 */
export class ExpressionHost {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly compiled = new Set<string>();
  private readonly compiling = new Map<string, Promise<void>>();
  /** Expressions the compiler or the allow-list rejected: not compiled again (their text cannot change). */
  private readonly rejected = new Map<string, ExpressionFailure>();
  /** Every assembly loaded, with the expressions loaded from it, to reload after a restart. */
  private readonly loadedBatches: { path: string; items: { key: string; type: string }[] }[] = [];
  private child: ChildProcessWithoutNullStreams | undefined;
  /** Processes being killed (after a timeout): no new requests go to them. */
  private readonly retired = new WeakSet<ChildProcessWithoutNullStreams>();
  private launching: Promise<void> | undefined;
  private closed = false;
  private stderrTail = "";
  private counters = { compilerRuns: 0, evaluations: 0, restarts: 0 };

  private constructor(
    private readonly paths: {
      readonly mcs: string;
      readonly mono: string;
      readonly hostExe: string;
      readonly newtonsoft: string;
      readonly cacheDir: string;
    },
    private readonly options: {
      readonly cacheCompiledExpressions: boolean;
      readonly evaluationTimeoutMs: number;
      readonly allowList: CSharpAllowList;
    },
    hostCompilerRuns: number,
  ) {
    this.counters.compilerRuns = hostCompilerRuns;
  }

  /** Compiles (or reuses) the host program, starts it, and sends it the allow-list. */
  static async start(opts: ExpressionHostOptions = {}): Promise<ExpressionHost> {
    const { mcs, mono, hostExe, newtonsoft, cacheDir, compilerRuns } = await prepareToolchain(opts);
    installExitHook();
    const host = new ExpressionHost(
      { mcs, mono, hostExe, newtonsoft, cacheDir },
      {
        cacheCompiledExpressions: opts.cacheCompiledExpressions ?? true,
        evaluationTimeoutMs: opts.evaluationTimeoutMs ?? 10_000,
        allowList: opts.allowList ?? APIM_ALLOW_LIST,
      },
      compilerRuns,
    );
    try {
      await host.ensureRunning();
    } catch (e) {
      await host.close();
      throw e;
    }
    return host;
  }

  get stats(): ExpressionHostStats {
    return { ...this.counters, compiledExpressions: this.compiled.size };
  }

  /** The Mono process id (changes when the host restarts); undefined while none runs. */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Whether an expression is compiled and loaded. */
  isCompiled(expression: string): boolean {
    const parsed = parseExpression(expression);
    return "key" in parsed && this.compiled.has(parsed.key);
  }

  /**
   * Compiles every expression not yet compiled, in one compiler run. Rejects with ExpressionCompileError naming each
   * failing expression and the C# error or refused type; the others are compiled and usable all the same.
   */
  async compile(expressions: readonly string[]): Promise<void> {
    this.assertOpen();
    const failures: ExpressionFailure[] = [];
    const todo = new Map<string, ParsedExpression>();
    const waits: Promise<void>[] = [];
    for (const source of expressions) {
      const parsed = parseExpression(source);
      if ("failure" in parsed) {
        failures.push(parsed.failure);
        continue;
      }
      if (this.compiled.has(parsed.key) || todo.has(parsed.key)) continue;
      const known = this.rejected.get(parsed.key);
      if (known) {
        failures.push({ ...known, expression: source });
        continue;
      }
      const inFlight = this.compiling.get(parsed.key);
      if (inFlight) {
        waits.push(inFlight);
        continue;
      }
      todo.set(parsed.key, parsed);
    }
    if (todo.size > 0) {
      const batch = this.compileBatch([...todo.values()]);
      const settled = batch.then(
        () => undefined,
        () => undefined,
      );
      for (const key of todo.keys()) this.compiling.set(key, settled);
      try {
        failures.push(...(await batch));
      } finally {
        for (const key of todo.keys()) this.compiling.delete(key);
      }
    }
    await Promise.all(waits);
    const stillMissing = expressions.filter((e) => {
      const p = parseExpression(e);
      return "key" in p && !this.compiled.has(p.key) && !failures.some((f) => f.expression === e);
    });
    for (const e of stillMissing) {
      failures.push({ expression: e, reason: "compile", messages: ["failed to compile in a concurrent batch"] });
    }
    if (failures.length > 0) throw new ExpressionCompileError(dedupeFailures(failures));
  }

  /**
   * Evaluates an expression against a context snapshot (compiling it first, once, if needed). An exception thrown
   * by the expression is a result with `ok: false`; the promise rejects only for compile errors and host failures.
   */
  async evaluate(expression: string, ctx: ExpressionContext): Promise<ExpressionResult> {
    const parsed = parseExpression(expression);
    if ("failure" in parsed) throw new ExpressionCompileError([parsed.failure]);
    if (!this.compiled.has(parsed.key)) await this.compile([expression]);
    this.counters.evaluations++;
    const wire = ctx.timestamp instanceof Date ? { ...ctx, timestamp: ctx.timestamp.toISOString() } : ctx;
    const reply = await this.request({ op: "eval", key: parsed.key, ctx: wire }, this.options.evaluationTimeoutMs, expression);
    const effects = {
      requestBodyConsumed: reply.requestBodyConsumed === true,
      responseBodyConsumed: reply.responseBodyConsumed === true,
      variableBodiesConsumed: (reply.variableBodiesConsumed as string[] | undefined) ?? [],
      traces: (reply.traces as string[] | undefined) ?? [],
    };
    if (reply.error) {
      return { ok: false, error: reply.error as { type: string; message: string }, ...effects };
    }
    return { ok: true, value: reply.value as TypedValue, text: (reply.text as string | null | undefined) ?? null, ...effects };
  }

  /** Stops the host process (politely, then by force). Safe to call twice. */
  async close(): Promise<void> {
    this.closed = true;
    await this.launching?.catch(() => undefined);
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    try {
      child.stdin.end(`${JSON.stringify({ id: 0, op: "exit" })}\n`);
    } catch {
      /* already gone */
    }
    const timer = setTimeout(() => child.kill("SIGKILL"), 2000);
    await exited;
    clearTimeout(timer);
  }

  private async compileBatch(items: ParsedExpression[]): Promise<ExpressionFailure[]> {
    const failures: ExpressionFailure[] = [];
    let remaining = items;
    // Second pass only when the first had errors: compile the rest so they stay usable.
    for (let pass = 0; pass < 2 && remaining.length > 0; pass++) {
      const keys = remaining.map((i) => i.key).sort();
      const batchHash = createHash("sha256").update(keys.join(",")).digest("hex").slice(0, 20);
      const dll = join(this.paths.cacheDir, `expr_${batchHash}.dll`);
      if (!(this.options.cacheCompiledExpressions && existsSync(dll))) {
        const errors = await this.runMcs(remaining, dll);
        if (errors.size > 0) {
          for (const item of remaining) {
            const messages = errors.get(item.className);
            if (!messages) continue;
            const forbidden = unreferencedForbidden(messages);
            const failure: ExpressionFailure =
              forbidden.length > 0
                ? {
                    expression: item.source,
                    reason: "refused",
                    messages: forbidden.map((t) => `uses type ${t}, which is not allowed in API Management policy expressions`),
                  }
                : { expression: item.source, reason: "compile", messages };
            failures.push(failure);
            this.rejected.set(item.key, failure);
          }
          const unattributed = errors.get("");
          if (unattributed) {
            throw new ExpressionHostError(`the C# compiler failed on the batch:\n${unattributed.join("\n")}`);
          }
          remaining = remaining.filter((i) => !errors.has(i.className));
          continue;
        }
      }
      const reply = await this.request({
        op: "load",
        path: dll,
        items: remaining.map((i) => ({ key: i.key, type: `ApimPolicyExpressions.${i.className}` })),
      });
      const loaded = (reply.loaded as string[] | undefined) ?? [];
      for (const key of loaded) this.compiled.add(key);
      if (loaded.length > 0) {
        this.loadedBatches.push({
          path: dll,
          items: remaining.filter((i) => loaded.includes(i.key)).map((i) => ({ key: i.key, type: `ApimPolicyExpressions.${i.className}` })),
        });
      }
      for (const r of (reply.refused as { key: string; problems: string[] }[] | undefined) ?? []) {
        const item = remaining.find((i) => i.key === r.key);
        const failure: ExpressionFailure = { expression: item?.source ?? r.key, reason: "refused", messages: r.problems };
        failures.push(failure);
        this.rejected.set(r.key, failure);
      }
      break;
    }
    return failures;
  }

  /** Runs mcs on one batch; returns compiler errors by expression class name ("" for errors not in an expression). */
  private async runMcs(items: ParsedExpression[], dll: string): Promise<Map<string, string[]>> {
    const work = await mkdtemp(join(this.paths.cacheDir, "batch-"));
    try {
      const files: string[] = [];
      for (const item of items) {
        const file = join(work, `${item.className}.cs`);
        await writeFile(file, wrap(item));
        files.push(file);
      }
      const name = dll.slice(dll.lastIndexOf("/") + 1);
      const out = join(work, name);
      const result = await runCompiler(this.paths.mcs, [
        "-noconfig",
        "-nologo",
        "-target:library",
        "-optimize+",
        "-nowarn:1591,0162,0168,0219,0429",
        `-out:${out}`,
        ...FRAMEWORK_REFERENCES.map((r) => `-r:${r}`),
        `-r:${this.paths.newtonsoft}`,
        `-r:${this.paths.hostExe}`,
        ...files,
      ]);
      this.counters.compilerRuns++;
      const errors = new Map<string, string[]>();
      for (const line of result.output.split("\n")) {
        if (!/\berror\b/.test(line)) continue;
        // Positions inside an expression come from its `#line` name (E_<key>); the wrapper's own lines from E_<key>.cs.
        const m = /(?:^|\/)(E_[0-9a-f]+)(\.cs)?(\(\d+,\d+\)):\s*(.*)$/.exec(line.trim());
        const key = m ? m[1]! : "";
        const text = m ? (m[2] ? m[4]! : `${m[3]}: ${m[4]}`) : line.trim();
        if (/^Compilation failed/.test(text)) continue;
        errors.set(key, [...(errors.get(key) ?? []), text]);
      }
      if (result.code !== 0 && errors.size === 0) errors.set("", [result.output.trim() || `mcs exited with ${result.code}`]);
      if (errors.size === 0) await rename(out, dll);
      return errors;
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  }

  /** Starts the Mono process if none runs: allow-list first, then every assembly loaded so far. */
  private ensureRunning(): Promise<void> {
    this.assertOpen();
    const child = this.child;
    if (child && !this.retired.has(child) && child.exitCode === null && child.signalCode === null) return Promise.resolve();
    this.launching ??= this.launch().finally(() => {
      this.launching = undefined;
    });
    return this.launching;
  }

  private async launch(): Promise<void> {
    if (this.child) this.counters.restarts++;
    const child = spawn(this.paths.mono, [this.paths.hostExe], { stdio: ["pipe", "pipe", "pipe"] });
    liveHosts.add(child);
    this.child = child;
    let ready!: () => void;
    let failed!: (e: Error) => void;
    const readyPromise = new Promise<void>((resolve, reject) => {
      ready = resolve;
      failed = reject;
    });
    child.stderr.setEncoding("utf8");
    child.stderr.on("data", (chunk: string) => {
      this.stderrTail = (this.stderrTail + chunk).slice(-4000);
    });
    createInterface({ input: child.stdout }).on("line", (line) => this.onLine(line, ready));
    child.on("error", (e) => failed(new ExpressionHostError(`cannot start ${this.paths.mono}: ${e.message}`)));
    child.on("exit", (code, signal) => {
      liveHosts.delete(child);
      const error = new ExpressionHostError(
        `expression host exited (code ${code ?? "none"}, signal ${signal ?? "none"})${this.stderrTail ? `: ${this.stderrTail.trim()}` : ""}`,
      );
      failed(error);
      for (const [id, p] of this.pending) {
        if (p.child !== child) continue;
        if (p.timer) clearTimeout(p.timer);
        this.pending.delete(id);
        p.reject(error);
      }
    });
    child.stdin.on("error", () => {
      /* the exit handler reports it */
    });
    const timer = setTimeout(() => {
      failed(new ExpressionHostError(`expression host did not start within 30 s: ${this.stderrTail}`));
      child.kill("SIGKILL");
    }, 30_000);
    try {
      await readyPromise;
    } finally {
      clearTimeout(timer);
    }
    await this.send({ op: "config", allow: this.options.allowList });
    for (const batch of this.loadedBatches) {
      const reply = await this.send({ op: "load", path: batch.path, items: batch.items });
      const refused = (reply.refused as unknown[] | undefined) ?? [];
      if (refused.length > 0) throw new ExpressionHostError(`reloading ${batch.path} after a restart refused ${refused.length} expression(s)`);
    }
  }

  private async request(message: Record<string, unknown>, timeoutMs?: number, what?: string): Promise<HostMessage> {
    await this.ensureRunning();
    return this.send(message, timeoutMs, what);
  }

  private send(message: Record<string, unknown>, timeoutMs?: number, what?: string): Promise<HostMessage> {
    const child = this.child;
    if (!child) return Promise.reject(new ExpressionHostError("expression host is not running"));
    const id = this.nextId++;
    return new Promise<HostMessage>((resolve, reject) => {
      const entry: Pending = {
        child,
        resolve: (reply) => {
          if (reply.ok === false) reject(new ExpressionHostError(`expression host: ${reply.hostError ?? "request failed"}`));
          else resolve(reply);
        },
        reject,
      };
      if (timeoutMs !== undefined) {
        entry.timer = setTimeout(() => {
          this.pending.delete(id);
          reject(new ExpressionHostError(`evaluating ${abbreviate(what ?? "")} took longer than ${timeoutMs} ms; the expression host was restarted`));
          // A runaway expression cannot be stopped inside Mono: replace the process (the next call starts a new one).
          this.retired.add(child);
          child.kill("SIGKILL");
        }, timeoutMs);
      }
      this.pending.set(id, entry);
      child.stdin.write(`${JSON.stringify({ id, ...message })}\n`);
    });
  }

  private onLine(line: string, ready: () => void): void {
    let message: HostMessage;
    try {
      message = JSON.parse(line) as HostMessage;
    } catch {
      this.stderrTail = `${this.stderrTail}\n[non-protocol stdout] ${line}`.slice(-4000);
      return;
    }
    if (message.ready) {
      ready();
      return;
    }
    const id = message.id;
    if (id === null || id === undefined) {
      this.stderrTail = `${this.stderrTail}\n[host] ${message.hostError ?? line}`.slice(-4000);
      return;
    }
    const p = this.pending.get(id);
    if (!p) return;
    this.pending.delete(id);
    if (p.timer) clearTimeout(p.timer);
    p.resolve(message);
  }

  private assertOpen(): void {
    if (this.closed) throw new ExpressionHostError("the expression host is closed");
  }
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on("exit", () => {
    for (const child of liveHosts) child.kill("SIGKILL");
  });
}
