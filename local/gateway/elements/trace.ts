/** trace: a no-op locally, logged at debug without its values (a trace must never carry tokens, and the local run never shows them). */
import { literalAttr } from "../pipeline.js";
import { defineElement } from "./registry.js";

export const trace = defineElement({
  name: "trace",
  parts: { message: [], metadata: ["name", "value"] },
  compile(el, _target, _cx, compiler) {
    const source = literalAttr(el, "source");
    return async () => {
      compiler.logger.debug(`trace from ${source}`);
    };
  },
});
