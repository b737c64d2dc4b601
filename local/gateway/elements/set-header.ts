/** set-header and set-query-parameter: exists-action override (default), skip, append or delete, with one or more <value>s. */
import { PolicyLoadError, PolicyRuntimeError } from "../errors.js";
import type { RequestMessage } from "../messages.js";
import { elementChildren, literalAttr, optionalLiteral, text, where, type PolicyValue } from "../pipeline.js";
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

function headerOrQuery(name: "set-header" | "set-query-parameter"): ElementImpl {
  const isQuery = name === "set-query-parameter";
  return defineElement({
    name,
    parts: { value: [] },
    compile(el, target, _cx, compiler) {
      const item = literalAttr(el, "name");
      const action = optionalLiteral(el, "exists-action") ?? "override";
      if (!["override", "skip", "append", "delete"].includes(action)) throw new PolicyLoadError(`${where(el)}: exists-action "${action}" is not one of override, skip, append, delete`);
      const values: { v: PolicyValue; el: PolicyElement }[] = elementChildren(el).map((c) => ({ v: text(c) ?? { kind: "literal", text: "" }, el: c }));
      if (action !== "delete" && values.length === 0) throw new PolicyLoadError(`${where(el)}: <${name}> with exists-action="${action}" needs at least one <value>`);
      if (isQuery && (target === "response" || target === "return-response")) throw new PolicyLoadError(`${where(el)}: set-query-parameter applies to requests only`);
      return async (s, t) => {
        const evaluated: string[] = [];
        for (const { v, el: vel } of values) {
          const r = await compiler.evalValue(v, s, vel);
          if (r.text !== null) evaluated.push(r.text);
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
