/** set-variable: stores a typed value in context.Variables (only the types APIM allows there). */
import { PolicyRuntimeError } from "../errors.js";
import { attr, literalAttr, noChildren, where } from "../pipeline.js";
import { defineElement } from "./registry.js";

export const setVariable = defineElement({
  name: "set-variable",
  compile(el, _target, _cx, compiler) {
    noChildren(el);
    const name = literalAttr(el, "name");
    const value = attr(el, "value")!;
    return async (s) => {
      const v = (await compiler.evalValue(value, s, el)).value;
      if (v.type === "unsupported") {
        throw new PolicyRuntimeError("set-variable", "UnsupportedVariableType", `${where(el)}: a ${v.clrType} cannot be stored in a context variable (APIM allows only its listed types)`);
      }
      s.variables.set(name, v);
    };
  },
});
