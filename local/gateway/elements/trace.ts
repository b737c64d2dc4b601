/**
 * trace: locally, a trace is logged at debug without its values (a trace must never carry tokens,
 * and the local run never shows them) - except the audit events (source `mcp-audit`), whose
 * message is one JSON object without secrets: it goes to the logger's audit channel, as API
 * Management sends it to Application Insights.
 */
import { PolicyLoadError } from "../errors.js";
import { literalAttr, text, where } from "../pipeline.js";
import { defineElement } from "./registry.js";

export const AUDIT_SOURCE = "mcp-audit";

export const trace = defineElement({
  name: "trace",
  parts: { message: [], metadata: ["name", "value"] },
  compile(el, _target, _cx, compiler) {
    const source = literalAttr(el, "source");
    const message = el.children.find((c): c is typeof el => c.kind === "element" && c.name === "message");
    if (!message) throw new PolicyLoadError(`${where(el)}: trace needs a <message>`);
    const value = text(message) ?? { kind: "literal" as const, text: "" };
    return async (s) => {
      if (source === AUDIT_SOURCE && compiler.logger.audit) {
        compiler.logger.audit((await compiler.evalValue(value, s, el)).text ?? "");
        return;
      }
      compiler.logger.debug(`trace from ${source}`);
    };
  },
});
