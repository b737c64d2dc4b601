import type { PolicyViolation } from "./rule.js";
import { walkElements } from "../parse.js";
import { at, violation, wellFormedDocuments, type PolicyRule } from "./rule.js";

const ID = "cache-values";

/** A duration API Management documents: whole seconds (an integer), literally, by named value or as an int expression. */
const INT_DURATION = /^(?:\d+|\{\{[A-Za-z0-9._-]+\}\}|@\(\(int\)[\s\S]*\))$/;

/**
 * Every `cache-lookup-value` names a `default-value`: the built-in cache is volatile and
 * asynchronous and a failed lookup reads as empty, so every miss must be an explicit value the
 * policy then checks. Every `cache-store-value` duration is whole seconds of type int, as API
 * Management documents it (a `long` expression is not).
 *
 * How many cache policies a section may hold is not limited: Microsoft Learn's "can be used only
 * once in a policy section" note on cache-store-value is the one of response caching
 * (cache-store), and Microsoft's own MCP authorization sample runs several cache-lookup-value and
 * cache-store-value in one section (docs/oauth-flow.md, "Cache access").
 */
export const cacheValues: PolicyRule = {
  id: ID,
  description: "cache-lookup-value always names a default-value (a miss is an explicit value the policy checks); cache-store-value durations are int seconds.",
  check(set) {
    const out: PolicyViolation[] = [];
    for (const { doc, root } of wellFormedDocuments(set)) {
      for (const { element } of walkElements(root)) {
        if (element.name === "cache-lookup-value" && element.attributes["default-value"] === undefined) {
          out.push(violation(ID, doc.name, `<cache-lookup-value> at ${at(element)} has no default-value; a miss must read as an explicit value the policy checks`));
        }
        const duration = element.attributes.duration;
        if (element.name === "cache-store-value" && duration !== undefined && !INT_DURATION.test(duration)) {
          out.push(violation(ID, doc.name, `<cache-store-value> at ${at(element)} has duration ${JSON.stringify(duration)}; expected whole seconds, a {{named-value}} or an expression of type int such as @((int)...)`));
        }
      }
    }
    return out;
  },
};
