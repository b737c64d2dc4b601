/** rewrite-uri, set-backend-service and forward-request: where the request goes, and sending it there. */
import http from "node:http";
import https from "node:https";
import { PolicyLoadError, PolicyRuntimeError } from "../errors.js";
import { HeaderBag } from "../headers.js";
import { defaultReason, HOP_BY_HOP, type Body } from "../messages.js";
import { attr, noChildren, optionalLiteral, where, type ExecState } from "../pipeline.js";
import { defineElement } from "./registry.js";

function rewriteUri(s: ExecState, template: string, copyUnmatched: boolean, at: string): URL {
  const [pathTpl, queryTpl] = template.split("?", 2) as [string, string | undefined];
  const used = new Set<string>();
  const fill = (t: string): string =>
    t.replace(/\{([^{}]+)\}/g, (_m, name: string) => {
      const v = s.matchedParameters[name] ?? s.originalUrl.searchParams.get(name);
      if (v === undefined || v === null) throw new PolicyRuntimeError("rewrite-uri", "TemplateParameterNotFound", `${at}: template parameter {${name}} has no value`);
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

function rebase(s: ExecState, base: string, at: string): URL {
  let b: URL;
  try {
    b = new URL(base);
  } catch {
    throw new PolicyRuntimeError("set-backend-service", "InvalidUrl", `${at}: ${JSON.stringify(base)} is not an absolute URL`);
  }
  const current = s.request.url ?? new URL(s.originalUrl);
  const oldBase = s.api.serviceUrl ? new URL(s.api.serviceUrl).pathname.replace(/\/$/, "") : "";
  const rest = current.pathname.startsWith(oldBase) ? current.pathname.slice(oldBase.length) : current.pathname;
  const out = new URL(b.toString());
  out.pathname = (b.pathname.replace(/\/$/, "") + rest).replace(/\/{2,}/g, "/") || "/";
  out.search = current.search;
  return out;
}

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

export const rewriteUriElement = defineElement({
  name: "rewrite-uri",
  compile(el, _target, _cx, compiler) {
    noChildren(el);
    const tpl = attr(el, "template")!;
    const copy = (optionalLiteral(el, "copy-unmatched-params") ?? "true") === "true";
    return async (s) => {
      const text = await compiler.evalText(tpl, s, el);
      s.request.url = rewriteUri(s, text, copy, where(el));
    };
  },
});

export const setBackendService = defineElement({
  name: "set-backend-service",
  attributes: ["base-url", "backend-id"],
  compile(el, _target, _cx, compiler) {
    noChildren(el);
    const baseUrl = attr(el, "base-url");
    const backendId = attr(el, "backend-id");
    if (!baseUrl === !backendId) throw new PolicyLoadError(`${where(el)}: set-backend-service needs exactly one of base-url or backend-id`);
    return async (s) => {
      let base: string;
      if (baseUrl) base = await compiler.evalText(baseUrl, s, el);
      else {
        const id = await compiler.evalText(backendId!, s, el);
        const b = compiler.config.backends.get(id);
        if (!b) throw new PolicyRuntimeError("set-backend-service", "BackendNotFound", `${where(el)}: backend "${id}" is not defined`);
        base = b.url;
      }
      s.request.url = rebase(s, base, where(el));
    };
  },
});

export const forwardRequestElement = defineElement({
  name: "forward-request",
  compile(el) {
    noChildren(el);
    const timeoutS = Number(optionalLiteral(el, "timeout") ?? "300");
    const timeoutMs = optionalLiteral(el, "timeout-ms");
    const bufferResponse = (optionalLiteral(el, "buffer-response") ?? "true") === "true";
    const followRedirects = (optionalLiteral(el, "follow-redirects") ?? "false") === "true";
    const failOnError = (optionalLiteral(el, "fail-on-error-status-code") ?? "false") === "true";
    if (followRedirects) throw new PolicyLoadError(`${where(el)}: follow-redirects="true" is not implemented by the local gateway`);
    const ms = timeoutMs !== undefined ? Number(timeoutMs) : timeoutS * 1000;
    if (!(ms > 0)) throw new PolicyLoadError(`${where(el)}: timeout must be a positive number`);
    return async (s) => {
      await forwardRequest(s, { timeoutMs: ms, bufferResponse });
      if (failOnError && s.response.status >= 400) {
        throw new PolicyRuntimeError("forward-request", "BackendError", `backend answered ${s.response.status}`);
      }
    };
  },
});
