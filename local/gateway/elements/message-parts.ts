/** set-body, set-status and set-method: the body, status line and method of the message the statement targets. */
import { PolicyLoadError, PolicyRuntimeError } from "../errors.js";
import { defaultReason, type RequestMessage, type ResponseMessage } from "../messages.js";
import { attr, noChildren, optionalLiteral, text, where } from "../pipeline.js";
import { defineElement } from "./registry.js";

export const setBody = defineElement({
  name: "set-body",
  compile(el, _target, _cx, compiler) {
    noChildren(el);
    const template = optionalLiteral(el, "template") ?? "none";
    if (template !== "none") throw new PolicyLoadError(`${where(el)}: set-body template="${template}" is not implemented by the local gateway (only plain and expression bodies)`);
    const nil = optionalLiteral(el, "xsi-nil");
    if (nil !== undefined && nil !== "blank" && nil !== "null") throw new PolicyLoadError(`${where(el)}: xsi-nil "${nil}" is not blank or null`);
    const value = text(el) ?? { kind: "literal", text: "" };
    return async (s, t) => {
      const r = await compiler.evalValue(value, s, el);
      t.body = r.text === null ? null : Buffer.from(r.text, "utf8");
    };
  },
});

export const setStatus = defineElement({
  name: "set-status",
  compile(el, target, cx, compiler) {
    noChildren(el);
    if (target === "request" || target === "send-request") throw new PolicyLoadError(`${where(el)}: set-status applies to responses only`);
    if (target === "request-or-response" && (cx.section === "inbound" || cx.section === "backend")) {
      throw new PolicyLoadError(`${where(el)}: set-status in <${cx.section}> has no response to change; use it in outbound, on-error or return-response`);
    }
    const code = attr(el, "code")!;
    const reason = attr(el, "reason");
    return async (s, t) => {
      const n = Number(await compiler.evalText(code, s, el));
      if (!Number.isInteger(n) || n < 100 || n > 599) throw new PolicyRuntimeError("set-status", "InvalidStatusCode", `${where(el)}: status code ${n} is not 100-599`);
      const r = t as ResponseMessage;
      r.status = n;
      r.reason = reason ? await compiler.evalText(reason, s, el) : defaultReason(n);
    };
  },
});

export const setMethod = defineElement({
  name: "set-method",
  compile(el, target, cx, compiler) {
    noChildren(el);
    if (target === "response" || target === "return-response" || (target === "request-or-response" && cx.section !== "inbound" && cx.section !== "backend")) {
      throw new PolicyLoadError(`${where(el)}: set-method applies to requests only`);
    }
    const value = text(el);
    if (!value) throw new PolicyLoadError(`${where(el)}: set-method needs a method`);
    return async (s, t) => {
      (t as RequestMessage).method = (await compiler.evalText(value, s, el)).toUpperCase();
    };
  },
});
