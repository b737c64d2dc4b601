/**
 * cors: preflights answered in inbound; the headers for an allowed cross-origin request are decided
 * in inbound and added to whatever response ends the request (applyCors, called by the server).
 */
import { PolicyLoadError, ReturnResponseSignal } from "../errors.js";
import { emptyResponse, type ResponseMessage } from "../messages.js";
import { elementChildren, optionalLiteral, text, where, type CorsDecision } from "../pipeline.js";
import type { PolicyElement } from "../policy-xml.js";
import { defineElement } from "./registry.js";

function list(c: PolicyElement): string[] {
  return elementChildren(c).map((x) => {
    const v = text(x);
    if (!v || v.kind !== "literal") throw new PolicyLoadError(`${where(x)}: <${x.name}> must hold a literal value`);
    return v.text.trim();
  });
}

export const cors = defineElement({
  name: "cors",
  parts: { "allowed-origins": [], origin: [], "allowed-methods": ["preflight-result-max-age"], method: [], "allowed-headers": [], header: [], "expose-headers": [] },
  compile(el) {
    const allowCredentials = (optionalLiteral(el, "allow-credentials") ?? "false") === "true";
    const terminate = (optionalLiteral(el, "terminate-unmatched-request") ?? "true") === "true";
    let origins: string[] = [];
    let methods: string[] | undefined;
    let maxAge: string | undefined;
    let headers: string[] = [];
    let expose: string[] = [];
    for (const c of elementChildren(el)) {
      if (c.name === "allowed-origins") origins = list(c);
      else if (c.name === "allowed-methods") {
        maxAge = optionalLiteral(c, "preflight-result-max-age");
        methods = list(c).map((m) => m.toUpperCase());
      } else if (c.name === "allowed-headers") headers = list(c).map((h) => h.toLowerCase());
      else expose = list(c);
    }
    if (origins.length === 0) throw new PolicyLoadError(`${where(el)}: <cors> needs <allowed-origins> with at least one <origin>`);
    if (allowCredentials && origins.includes("*")) throw new PolicyLoadError(`${where(el)}: allow-credentials="true" cannot be combined with origin "*"`);
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
  },
});

/** Adds the CORS headers decided in inbound to the final response. */
export function applyCors(resp: ResponseMessage, decision: CorsDecision | undefined): void {
  if (!decision) return;
  resp.headers.set("Access-Control-Allow-Origin", [decision.origin]);
  if (decision.allowCredentials) resp.headers.set("Access-Control-Allow-Credentials", ["true"]);
  if (decision.exposeHeaders.length) resp.headers.set("Access-Control-Expose-Headers", [decision.exposeHeaders.join(",")]);
  if (decision.origin !== "*") resp.headers.append("Vary", "Origin");
}
