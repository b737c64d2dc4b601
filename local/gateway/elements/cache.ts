/** cache-store-value, cache-lookup-value and cache-remove-value on the gateway's in-memory cache (caching-type accepted, ignored). */
import { PolicyRuntimeError } from "../errors.js";
import { nullValue } from "../expressions.js";
import { attr, literalAttr, noChildren, where } from "../pipeline.js";
import { defineElement } from "./registry.js";

export const cacheStoreValue = defineElement({
  name: "cache-store-value",
  compile(el, _target, _cx, compiler) {
    noChildren(el);
    const [key, value, duration] = [attr(el, "key")!, attr(el, "value")!, attr(el, "duration")!];
    return async (s) => {
      const k = await compiler.evalText(key, s, el);
      const v = (await compiler.evalValue(value, s, el)).value;
      const d = Number(await compiler.evalText(duration, s, el));
      if (!(d > 0)) throw new PolicyRuntimeError("cache-store-value", "InvalidDuration", `${where(el)}: duration ${d} is not a positive number of seconds`);
      compiler.cache.store(k, v, d);
    };
  },
});

export const cacheLookupValue = defineElement({
  name: "cache-lookup-value",
  compile(el, _target, _cx, compiler) {
    noChildren(el);
    const key = attr(el, "key")!;
    const varName = literalAttr(el, "variable-name");
    const def = attr(el, "default-value");
    return async (s) => {
      const k = await compiler.evalText(key, s, el);
      const hit = compiler.cache.lookup(k);
      if (hit) s.variables.set(varName, hit);
      else s.variables.set(varName, def ? (await compiler.evalValue(def, s, el)).value : nullValue);
    };
  },
});

export const cacheRemoveValue = defineElement({
  name: "cache-remove-value",
  compile(el, _target, _cx, compiler) {
    noChildren(el);
    const key = attr(el, "key")!;
    return async (s) => {
      compiler.cache.remove(await compiler.evalText(key, s, el));
    };
  },
});
