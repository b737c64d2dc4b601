import type { PolicyDocument, PolicySet } from "../policy-set.js";
import { parsePolicy, walkElements } from "../parse.js";
import { fragmentsByName } from "../fragments.js";
import { violation, type PolicyRule } from "./rule.js";

/**
 * Microsoft Learn, "API Management limits" (gateway runtime limits): policy document size 256 KiB
 * (the Consumption tier's 16 KiB does not apply: the gateway construct refuses Consumption; Learn
 * has since raised it to 512 KiB, the stricter figure is kept).
 */
export const POLICY_DOCUMENT_LIMIT_BYTES = 256 * 1024;
/**
 * Microsoft Learn, "Reuse policy configurations in your API Management policy definitions":
 * "The maximum size of a policy fragment is 32 KB". Read as 32,000 bytes, the stricter reading.
 */
export const POLICY_FRAGMENT_LIMIT_BYTES = 32_000;
/**
 * Microsoft Learn, "API Management limits": "Length of named value", 4,096 characters. (The policy
 * language imports nothing of the repository; vocabulary/limits.ts states the same figures for the
 * configuration and the constructs, and a test keeps them equal.)
 */
export const NAMED_VALUE_LIMIT_CHARACTERS = 4096;

export interface SizeLimits {
  /** @default POLICY_DOCUMENT_LIMIT_BYTES */
  readonly documentBytes?: number;
  /** @default POLICY_FRAGMENT_LIMIT_BYTES */
  readonly fragmentBytes?: number;
  /** @default NAMED_VALUE_LIMIT_CHARACTERS */
  readonly namedValueCharacters?: number;
}

const bytes = (s: string): number => Buffer.byteLength(s, "utf8");

/** The fragment ids a document includes, once per include-fragment (a fragment included twice is inserted twice). */
function inclusions(doc: PolicyDocument): string[] {
  const parsed = parsePolicy(doc);
  if (!parsed.ok) return [];
  const ids: string[] = [];
  for (const { element } of walkElements(parsed.root)) {
    if (element.name === "include-fragment") ids.push(element.attributes["fragment-id"] ?? "");
  }
  return ids;
}

/** `a, b (2 times)`: the fragments of a list of inclusions, in order of first inclusion. */
function describe(ids: readonly string[]): string {
  const counts = new Map<string, number>();
  for (const id of ids) counts.set(id, (counts.get(id) ?? 0) + 1);
  return [...counts].map(([id, n]) => (n === 1 ? id : `${id} (${n} times)`)).join(", ");
}

/**
 * Size limits: each fragment (bytes), each policy document (bytes), each named value (characters,
 * at the most its value can resolve to: NamedValueInfo.maxLength), and each effective policy.
 *
 * Learn does not say how the document limit counts fragments and inherited scopes; a fragment "is
 * inserted as-is in a policy definition", and `<base/>` inserts the enclosing scope's policy. So the
 * strictest reading is checked: a document counted with every scope above it (an operation with its
 * API's policy and the global one, an API with the global one) and, for every include-fragment in
 * any of them, the whole fragment again. Named value references are counted as written (`{{name}}`):
 * API Management stores and limits the document with them; each value is limited on its own.
 */
export function sizeLimitsRule(limits: SizeLimits = {}): PolicyRule {
  const documentBytes = limits.documentBytes ?? POLICY_DOCUMENT_LIMIT_BYTES;
  const fragmentBytes = limits.fragmentBytes ?? POLICY_FRAGMENT_LIMIT_BYTES;
  const namedValueCharacters = limits.namedValueCharacters ?? NAMED_VALUE_LIMIT_CHARACTERS;
  return {
    id: "size-limits",
    description: `Policy documents stay within ${documentBytes} bytes (with the scopes above them and every fragment they include), fragments within ${fragmentBytes} bytes, named values within ${namedValueCharacters} characters.`,
    check(set: PolicySet) {
      const fragments = fragmentsByName(set);
      const out = [];
      const global = set.documents.find((d) => d.scope === "global");
      const apiPolicies = new Map(set.documents.filter((d) => d.scope === "api").map((d) => [d.apiName ?? d.name, d]));
      const included = new Map<PolicyDocument, string[]>();
      const inclusionsOf = (doc: PolicyDocument): string[] => {
        let ids = included.get(doc);
        if (!ids) included.set(doc, (ids = inclusions(doc)));
        return ids;
      };
      const oversized = new Set<PolicyDocument>();
      for (const doc of set.documents) {
        const size = bytes(doc.xml);
        const limit = doc.scope === "fragment" ? fragmentBytes : documentBytes;
        if (size > limit) {
          oversized.add(doc);
          out.push(violation("size-limits", doc.name, `${doc.file} is ${size} bytes; the ${doc.scope === "fragment" ? "policy fragment" : "policy document"} limit is ${limit} bytes`));
        }
      }
      for (const doc of set.documents) {
        if (doc.scope === "fragment" || oversized.has(doc)) continue;
        const above = doc.scope === "operation" ? [apiPolicies.get(doc.apiName ?? ""), global] : doc.scope === "api" ? [global] : [];
        const chain = [...above.filter((d): d is PolicyDocument => d !== undefined && d !== doc).reverse(), doc];
        // A scope above that is too large on its own is reported once, as itself.
        if (chain.some((d) => oversized.has(d))) continue;
        const ids = chain.flatMap(inclusionsOf);
        const total = chain.reduce((sum, d) => sum + bytes(d.xml), 0) + ids.reduce((sum, id) => sum + bytes(fragments.get(id)?.xml ?? ""), 0);
        if (total > documentBytes) {
          const counted = [
            ...(chain.length > 1 ? [`the scopes above it (${chain.slice(0, -1).map((d) => d.file).join(", ")})`] : []),
            ...(ids.length > 0 ? [`its included fragments (${describe(ids)})`] : []),
          ];
          out.push(violation("size-limits", doc.name, `${doc.file} with ${counted.join(" and ")} is ${total} bytes; the policy document limit is ${documentBytes} bytes`));
        }
      }
      for (const nv of set.namedValues) {
        if (nv.maxLength !== undefined && nv.maxLength > namedValueCharacters) {
          out.push(violation("size-limits", "*", `named value "${nv.name}" can be ${nv.maxLength} characters long; the named value limit is ${namedValueCharacters} characters`));
        }
      }
      return out;
    },
  };
}

export const sizeLimits: PolicyRule = sizeLimitsRule();
