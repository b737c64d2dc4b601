/** send-request: a request of its own (new, or a copy of the current one), its response stored in a variable (IResponse). */
import { PolicyLoadError, PolicyRuntimeError } from "../errors.js";
import { nullValue } from "../expressions.js";
import { HeaderBag } from "../headers.js";
import { defaultReason, headersFromFetch, HOP_BY_HOP, responseValue, type RequestMessage } from "../messages.js";
import { elementChildren, literalAttr, noChildren, optionalLiteral, runSteps, text, where, type Step } from "../pipeline.js";
import { defineElement } from "./registry.js";

/** The set-url target with its longest matching URL prefix rewritten (local stand-ins for Azure hosts). */
function rewriteTarget(url: string, rewrites: Readonly<Record<string, string>>): string {
  for (const [from, to] of Object.entries(rewrites).sort((a, b) => b[0].length - a[0].length)) {
    if (url.startsWith(from)) return to + url.slice(from.length);
  }
  return url;
}

/** Children compiled as the request's parts (the policy statements of that name, aimed at this request). */
const REQUEST_PARTS = new Set(["set-method", "set-header", "set-body", "authentication-managed-identity"]);

export const sendRequest = defineElement({
  name: "send-request",
  parts: { "set-url": [] },
  compile(el, _target, cx, compiler) {
    const mode = optionalLiteral(el, "mode") ?? "new";
    if (mode !== "new" && mode !== "copy") throw new PolicyLoadError(`${where(el)}: mode "${mode}" is not new or copy`);
    const varName = literalAttr(el, "response-variable-name");
    const timeoutS = Number(optionalLiteral(el, "timeout") ?? "60");
    if (!(timeoutS > 0)) throw new PolicyLoadError(`${where(el)}: timeout must be a positive number of seconds`);
    const ignoreError = (optionalLiteral(el, "ignore-error") ?? "false") === "true";
    const inner: Step[] = [];
    for (const c of elementChildren(el)) {
      if (c.name === "set-url") {
        noChildren(c);
        const value = text(c);
        if (!value) throw new PolicyLoadError(`${where(c)}: set-url needs a URL`);
        inner.push(async (s, t) => {
          const url = await compiler.evalText(value, s, c);
          try {
            (t as RequestMessage).url = new URL(rewriteTarget(url, compiler.config.urlRewrites));
          } catch {
            throw new PolicyRuntimeError("send-request", "InvalidUrl", `${where(c)}: ${JSON.stringify(url)} is not an absolute URL`);
          }
        });
      } else if (REQUEST_PARTS.has(c.name)) {
        inner.push(...compiler.compileStatements([c], "send-request", cx));
      } else {
        throw new PolicyLoadError(`${where(c)}: <${c.name}> in <send-request> is not implemented by the local gateway`);
      }
    }
    return async (s) => {
      const req: RequestMessage =
        mode === "copy"
          ? { method: s.request.method, url: s.request.url ? new URL(s.request.url) : undefined, headers: s.request.headers.clone(), body: Buffer.isBuffer(s.request.body) ? s.request.body : null }
          : { method: "GET", url: undefined, headers: new HeaderBag(), body: null };
      await runSteps(inner, s, req);
      if (!req.url) throw new PolicyRuntimeError("send-request", "NoUrl", `${where(el)}: send-request has no <set-url>`);
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
        throw new PolicyRuntimeError("send-request", name === "TimeoutError" ? "Timeout" : "SendRequestFailure", `${where(el)}: request to ${req.url.origin} failed: ${(e as Error).message}`);
      }
    };
  },
});
