/** set-header and set-query-parameter: exists-action override (default), skip, append or delete, with one or more <value>s; name and exists-action may be policy expressions. */
import { PolicyLoadError, PolicyRuntimeError } from "../errors.js";
import type { RequestMessage } from "../messages.js";
import { attr, elementChildren, text, where, type PolicyValue } from "../pipeline.js";
import type { PolicyElement } from "../policy-xml.js";
import { defineElement, type ElementImpl } from "./registry.js";

/** Applies an exists-action to a multi-valued item (header or query parameter). */
function applyMulti(action: string, exists: boolean, get: () => string[], set: (v: string[]) => void, del: () => void, values: string[]): void {
  switch (action) {
    case "delete":
      del();
      return;
    case "skip":
      if (!exists && values.length) set(values);
      return;
    case "append":
      set([...get(), ...values]);
      return;
    default:
      set(values);
  }
}

/** Sets a query parameter's values, keeping its position when it exists. */
function replaceQuery(url: URL, name: string, values: string[]): void {
  const out = new URLSearchParams();
  let placed = false;
  for (const [k, v] of url.searchParams) {
    if (k !== name) out.append(k, v);
    else if (!placed) {
      for (const x of values) out.append(name, x);
      placed = true;
    }
  }
  if (!placed) for (const x of values) out.append(name, x);
  url.search = out.toString();
}

const ACTIONS = ["override", "skip", "append", "delete"];
/** An HTTP field name (RFC 9110 token); query parameter names only need to be non-empty. */
const FIELD_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/**
 * name and exists-action are literals or policy expressions (both policies' pages: "Policy expressions are
 * allowed"): a literal is checked when the policy loads, an expression's result when it runs.
 */
function headerOrQuery(name: "set-header" | "set-query-parameter"): ElementImpl {
  const isQuery = name === "set-query-parameter";
  const checkName = (item: string, at: string): string => {
    if (item.length === 0 || (!isQuery && !FIELD_NAME.test(item))) throw new PolicyRuntimeError(name, "InvalidName", `${at}: name ${JSON.stringify(item)} is not ${isQuery ? "a query parameter name" : "an HTTP header name (a token)"}`);
    return item;
  };
  const checkAction = (action: string, at: string): string => {
    if (!ACTIONS.includes(action)) throw new PolicyRuntimeError(name, "InvalidExistsAction", `${at}: exists-action "${action}" is not one of ${ACTIONS.join(", ")}`);
    return action;
  };
  return defineElement({
    name,
    parts: { value: [] },
    compile(el, target, _cx, compiler) {
      const nameValue = attr(el, "name");
      if (!nameValue) throw new PolicyLoadError(`${where(el)}: attribute name is required`);
      const actionValue: PolicyValue = attr(el, "exists-action") ?? { kind: "literal", text: "override" };
      if (actionValue.kind === "literal" && !ACTIONS.includes(actionValue.text)) throw new PolicyLoadError(`${where(el)}: exists-action "${actionValue.text}" is not one of ${ACTIONS.join(", ")}`);
      if (nameValue.kind === "literal" && (nameValue.text.length === 0 || (!isQuery && !FIELD_NAME.test(nameValue.text)))) throw new PolicyLoadError(`${where(el)}: name ${JSON.stringify(nameValue.text)} is not ${isQuery ? "a query parameter name" : "an HTTP header name (a token)"}`);
      const values: { v: PolicyValue; el: PolicyElement }[] = elementChildren(el).map((c) => ({ v: text(c) ?? { kind: "literal", text: "" }, el: c }));
      if (actionValue.kind === "literal" && actionValue.text !== "delete" && values.length === 0) throw new PolicyLoadError(`${where(el)}: <${name}> with exists-action="${actionValue.text}" needs at least one <value>`);
      if (isQuery && (target === "response" || target === "return-response")) throw new PolicyLoadError(`${where(el)}: set-query-parameter applies to requests only`);
      return async (s, t) => {
        const item = checkName(await compiler.evalText(nameValue, s, el), where(el));
        const action = checkAction(await compiler.evalText(actionValue, s, el), where(el));
        const evaluated: string[] = [];
        if (action !== "delete") {
          for (const { v, el: vel } of values) {
            const r = await compiler.evalValue(v, s, vel);
            if (r.text !== null) evaluated.push(r.text);
          }
        }
        if (isQuery) {
          const req = t as RequestMessage;
          if (!req.url) throw new PolicyRuntimeError(name, "NoUrl", `${where(el)}: the request has no URL yet`);
          const sp = req.url.searchParams;
          applyMulti(action, sp.has(item), () => sp.getAll(item), (vals) => replaceQuery(req.url!, item, vals), () => sp.delete(item), evaluated);
        } else {
          const h = t.headers;
          applyMulti(action, h.has(item), () => h.get(item) ?? [], (vals) => (vals.length === 0 ? h.delete(item) : h.set(item, vals)), () => h.delete(item), evaluated);
        }
      };
    },
  });
}

export const setHeader = headerOrQuery("set-header");
export const setQueryParameter = headerOrQuery("set-query-parameter");
