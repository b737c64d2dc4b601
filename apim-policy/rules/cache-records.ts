import { expressionTokens } from "../csharp-lexer.js";
import { fieldAccesses } from "../json-fields.js";
import { walkElements, type PolicyElement } from "../parse.js";
import { policyValue, textValue, type PolicyValue } from "../values.js";
import { expressionVariableReads } from "../variables.js";
import type { PolicyViolation } from "./rule.js";
import { documentOf, place as where, violation, wellFormedDocuments, type PolicyRule } from "./rule.js";

/** A record the policies keep in API Management's cache, as a product's policy contract defines it. */
export interface CacheRecordLayout {
  /** A short name for messages. */
  readonly name: string;
  /** The key's prefix, e.g. `oauth:grant:`. */
  readonly prefix: string;
  /** What follows the prefix. */
  readonly key: string;
  /** What the record is for and how long it lives. */
  readonly description: string;
  /** The JSON value's fields and their meaning; absent when the value is not a record of ours (a marker, a client's document). */
  readonly fields?: Readonly<Record<string, string>>;
  /** Context variables holding the record's JSON on its way in or out of the cache. */
  readonly variables: readonly string[];
}


const CACHE_POLICIES = new Set(["cache-store-value", "cache-lookup-value", "cache-remove-value"]);

function value(raw: string | undefined): PolicyValue | undefined {
  if (raw === undefined) return undefined;
  try {
    return policyValue(raw, "value");
  } catch {
    return undefined;
  }
}

const literalCache = new Map<string, string[]>();

/** The string literals of an expression. */
function literals(code: string): string[] {
  let found = literalCache.get(code);
  if (!found) {
    found = scanLiterals(code);
    if (literalCache.size > 2000) literalCache.clear();
    literalCache.set(code, found);
  }
  return found;
}

function scanLiterals(code: string): string[] {
  return expressionTokens(code)
    .filter((t) => t.kind === "string" && t.text.startsWith('"'))
    .flatMap((t) => {
      try {
        return [JSON.parse(t.text) as string];
      } catch {
        return [];
      }
    });
}


/**
 * The cache records of the layouts are what the policies write and read: every cache key
 * starts with a declared prefix (traced through the variables that build it), the values stored
 * and looked up travel in the record's declared variables, every JSON field read or written on
 * them is a declared field; and of the records the set uses, each is stored and each declared
 * field is written and read.
 */
export function cacheRecordsRule(options: { readonly layouts: readonly CacheRecordLayout[]; /** Where the layouts are defined (a file), for messages. */ readonly definedIn: string }): PolicyRule {
  const { layouts, definedIn: home } = options;
  const id = "cache-records";
  return {
    id,
    description: `Cache keys, values and record fields match the record layouts defined once in ${home}.`,
    check(set) {
      const documentName = documentOf(set);
      const out: PolicyViolation[] = [];
      const say = (el: PolicyElement | undefined, message: string) => out.push(violation(id, documentName(el), message));
      const elements = wellFormedDocuments(set).flatMap(({ root }) => [...walkElements(root)].map((w) => w.element));
      const setters = new Map<string, PolicyElement[]>();
      for (const el of elements) {
        const name = el.name === "set-variable" ? el.attributes["name"] : undefined;
        if (name !== undefined) setters.set(name, [...(setters.get(name) ?? []), el]);
      }
      /** The literals an expression's key may start with: its own, and those of the variables it reads (three hops). */
      const keyLiterals = (v: PolicyValue | undefined, depth = 0, seen = new Set<string>()): string[] => {
        if (!v) return [];
        if (v.kind === "literal") return [v.text];
        const own = literals(v.code);
        if (depth >= 3) return own;
        const via = expressionVariableReads(v.code).flatMap((r) => {
          if (seen.has(r.name)) return [];
          seen.add(r.name);
          return (setters.get(r.name) ?? []).flatMap((s) => keyLiterals(value(s.attributes["value"]), depth + 1, seen));
        });
        return [...own, ...via];
      };
      const stored = new Set<CacheRecordLayout>();
      const used = new Set<CacheRecordLayout>();
      for (const el of elements.filter((e) => CACHE_POLICIES.has(e.name))) {
        const candidates = keyLiterals(value(el.attributes["key"]));
        const matched = layouts.filter((l) => candidates.some((c) => c.startsWith(l.prefix)));
        if (matched.length === 0) {
          const prefixes = candidates.filter((c) => /^[A-Za-z0-9-]+:/.test(c));
          say(el, prefixes.length
            ? `the cache key at ${where(el)} starts with ${prefixes.map((p) => JSON.stringify(p)).join(" or ")}, which no record layout of ${home} declares`
            : `the cache key at ${where(el)} cannot be traced to the prefix of a record layout of ${home}`);
          continue;
        }
        const carried = el.name === "cache-store-value" ? (() => {
          const v = value(el.attributes["value"]);
          return v?.kind === "expression" ? expressionVariableReads(v.code).map((r) => r.name) : [];
        })() : el.name === "cache-lookup-value" ? [el.attributes["variable-name"] ?? ""] : [];
        for (const name of carried) {
          if (!matched.some((l) => l.variables.includes(name))) {
            say(el, `${where(el)} ${el.name === "cache-store-value" ? "stores" : "looks up"} the ${matched.map((l) => l.name).join(" / ")} record through variable "${name}", which ${home} does not list among its variables`);
          }
        }
        for (const l of matched) used.add(l);
        if (el.name === "cache-store-value") for (const l of matched) stored.add(l);
      }
      const written = new Map<CacheRecordLayout, Set<string>>();
      const read = new Map<CacheRecordLayout, Set<string>>();
      const mark = (map: Map<CacheRecordLayout, Set<string>>, l: CacheRecordLayout, f: string) => map.set(l, new Set([...(map.get(l) ?? []), f]));
      for (const el of elements) {
        const building = el.name === "set-variable" ? el.attributes["name"] : undefined;
        const text = (() => {
          try {
            return textValue(el, "text");
          } catch {
            return undefined;
          }
        })();
        const codes = [...Object.values(el.attributes).map(value), text].flatMap((v) => (v?.kind === "expression" ? [v.code] : []));
        for (const code of codes) {
          for (const access of fieldAccesses(code)) {
            const variable = access.variable ?? building;
            if (variable === undefined) continue;
            const owners = layouts.filter((l) => l.fields && used.has(l) && l.variables.includes(variable));
            if (owners.length === 0) continue;
            const declaring = owners.filter((l) => Object.prototype.hasOwnProperty.call(l.fields, access.field));
            if (declaring.length === 0) {
              const known = [...new Set(owners.flatMap((l) => Object.keys(l.fields!)))].join(", ");
              say(el, `field "${access.field}" of variable "${variable}" at ${where(el)} is not a field of the ${owners.map((l) => l.name).join(" / ")} record (${home}: ${known})`);
            }
            for (const l of declaring) mark(access.write ? written : read, l, access.field);
          }
        }
      }
      // Records the set does not use at all are not its business (a gateway without the OAuth policies).
      for (const l of layouts.filter((x) => used.has(x))) {
        if (!stored.has(l)) say(undefined, `the ${l.name} record (prefix "${l.prefix}") is looked up or removed, but no policy stores it`);
        for (const f of Object.keys(l.fields ?? {})) {
          if (!written.get(l)?.has(f)) say(undefined, `field "${f}" of the ${l.name} record (${home}) is never written by a policy`);
          else if (!read.get(l)?.has(f)) say(undefined, `field "${f}" of the ${l.name} record (${home}) is written but never read by a policy`);
        }
      }
      return out;
    },
  };
}
