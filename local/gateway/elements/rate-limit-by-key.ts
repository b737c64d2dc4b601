/**
 * rate-limit-by-key: a fixed window of `calls` per `renewal-period` seconds per counter key. Beyond
 * it the policy fails as API Management documents ("Error handling in API Management policies",
 * predefined errors for policies: rate limit exceeded, Reason RateLimitExceeded, Message "Rate limit
 * is exceeded"): control jumps to on-error with context.LastError set and context.Response the 429
 * with Retry-After, which the caller gets unless on-error answers otherwise; outbound does not run.
 */
import { PolicyLoadError, PolicyRuntimeError } from "../errors.js";
import { resultToBool } from "../expressions.js";
import { jsonErrorResponse } from "../messages.js";
import { attr, literalAttr, noChildren, optionalLiteral, where } from "../pipeline.js";
import { defineElement } from "./registry.js";

export const rateLimitByKey = defineElement({
  name: "rate-limit-by-key",
  compile(el, _target, cx, compiler) {
    noChildren(el);
    const calls = Number(literalAttr(el, "calls"));
    const period = Number(literalAttr(el, "renewal-period"));
    if (!(calls > 0) || !(period > 0)) throw new PolicyLoadError(`${where(el)}: calls and renewal-period must be positive numbers`);
    const counterKey = attr(el, "counter-key")!;
    const cond = attr(el, "increment-condition");
    const count = attr(el, "increment-count");
    const retryHeader = optionalLiteral(el, "retry-after-header-name") ?? "Retry-After";
    const retryVar = optionalLiteral(el, "retry-after-variable-name");
    const remainingHeader = optionalLiteral(el, "remaining-calls-header-name");
    const remainingVar = optionalLiteral(el, "remaining-calls-variable-name");
    const totalHeader = optionalLiteral(el, "total-calls-header-name");
    const scope = `${cx.scopeKey}:${where(el)}`;
    return async (s) => {
      const key = await compiler.evalText(counterKey, s, el);
      const inc = cond ? resultToBool(await compiler.evalValue(cond, s, el), where(el)) : true;
      const n = count ? Number(await compiler.evalText(count, s, el)) : 1;
      const r = compiler.rateLimiter.hit(scope, key, calls, period, inc ? n : 0);
      if (remainingVar) s.variables.set(remainingVar, { type: "int", value: r.remaining });
      if (!r.allowed) {
        if (retryVar) s.variables.set(retryVar, { type: "int", value: r.retryAfter });
        const resp = jsonErrorResponse(429, `Rate limit is exceeded. Try again in ${r.retryAfter} seconds.`);
        resp.headers.set(retryHeader, [String(r.retryAfter)]);
        if (remainingHeader) resp.headers.set(remainingHeader, ["0"]);
        if (totalHeader) resp.headers.set(totalHeader, [String(calls)]);
        throw new PolicyRuntimeError(el.name, "RateLimitExceeded", "Rate limit is exceeded", resp);
      }
    };
  },
});
