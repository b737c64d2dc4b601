/** choose / when / otherwise: the first <when> whose condition is true runs, else <otherwise>. */
import { PolicyLoadError } from "../errors.js";
import { resultToBool } from "../expressions.js";
import { attr, elementChildren, parseBool, runSteps, where, type PolicyValue, type Step } from "../pipeline.js";
import type { PolicyElement } from "../policy-xml.js";
import { defineElement } from "./registry.js";

export const choose = defineElement({
  name: "choose",
  parts: { when: ["condition"], otherwise: [] },
  compile(el, target, cx, compiler) {
    const whens: { condition: PolicyValue; steps: Step[]; el: PolicyElement }[] = [];
    let otherwise: Step[] | undefined;
    for (const c of elementChildren(el)) {
      if (c.name === "when") {
        if (otherwise) throw new PolicyLoadError(`${where(c)}: <when> after <otherwise>`);
        whens.push({ condition: attr(c, "condition")!, steps: compiler.compileStatements(elementChildren(c), target, cx), el: c });
      } else {
        if (otherwise) throw new PolicyLoadError(`${where(c)}: a second <otherwise>`);
        otherwise = compiler.compileStatements(elementChildren(c), target, cx);
      }
    }
    if (whens.length === 0) throw new PolicyLoadError(`${where(el)}: <choose> needs at least one <when>`);
    return async (s, t) => {
      for (const w of whens) {
        const cond = w.condition.kind === "literal" ? parseBool(w.condition.text, where(w.el)) : resultToBool(await compiler.evalValue(w.condition, s, w.el), where(w.el));
        if (cond) return runSteps(w.steps, s, t);
      }
      if (otherwise) await runSteps(otherwise, s, t);
    };
  },
});
