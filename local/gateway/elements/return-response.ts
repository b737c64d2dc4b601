/** return-response: stops the pipeline with a response built by its set-status, set-header and set-body (or held in a variable). */
import { PolicyRuntimeError, ReturnResponseSignal } from "../errors.js";
import { emptyResponse, responseFromValue } from "../messages.js";
import { elementChildren, optionalLiteral, runSteps, where } from "../pipeline.js";
import { defineElement } from "./registry.js";

export const returnResponse = defineElement({
  name: "return-response",
  compile(el, _target, cx, compiler) {
    const varName = optionalLiteral(el, "response-variable-name");
    const inner = compiler.compileStatements(elementChildren(el), "return-response", cx);
    return async (s) => {
      let resp = emptyResponse(200);
      if (varName !== undefined) {
        const v = s.variables.get(varName);
        if (!v) throw new PolicyRuntimeError("return-response", "VariableNotFound", `${where(el)}: variable "${varName}" is not set`);
        resp = responseFromValue(v, where(el));
      }
      await runSteps(inner, s, resp);
      throw new ReturnResponseSignal(resp);
    };
  },
});
