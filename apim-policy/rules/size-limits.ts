import type { PolicySet } from "../policy-set.js";
import { parsePolicy, walkElements } from "../parse.js";
import { fragmentsByName } from "../fragments.js";
import { violation, type PolicyRule } from "./rule.js";

/**
 * Microsoft Learn, "API Management service limits" (classic and v2 tiers): policy document size
 * 256 KiB (the Consumption tier's 16 KiB does not apply: the gateway construct refuses Consumption).
 */
export const POLICY_DOCUMENT_LIMIT_BYTES = 256 * 1024;
/**
 * Microsoft Learn, "Reuse policy configurations in your API Management policy definitions":
 * "The maximum size of a policy fragment is 32 KB". Read as 32,000 bytes, the stricter reading.
 */
export const POLICY_FRAGMENT_LIMIT_BYTES = 32_000;

export interface SizeLimits {
  /** @default POLICY_DOCUMENT_LIMIT_BYTES */
  readonly documentBytes?: number;
  /** @default POLICY_FRAGMENT_LIMIT_BYTES */
  readonly fragmentBytes?: number;
}

const bytes = (s: string): number => Buffer.byteLength(s, "utf8");

/**
 * Size limits, in UTF-8 bytes: each fragment, each policy document, and each policy document
 * with its included fragments counted in (what the gateway ends up holding).
 */
export function sizeLimitsRule(limits: SizeLimits = {}): PolicyRule {
  const documentBytes = limits.documentBytes ?? POLICY_DOCUMENT_LIMIT_BYTES;
  const fragmentBytes = limits.fragmentBytes ?? POLICY_FRAGMENT_LIMIT_BYTES;
  return {
    id: "size-limits",
    description: `Policy documents stay within ${documentBytes} bytes (with included fragments), fragments within ${fragmentBytes} bytes.`,
    check(set: PolicySet) {
      const fragments = fragmentsByName(set);
      const out = [];
      for (const doc of set.documents) {
        const size = bytes(doc.xml);
        const limit = doc.scope === "fragment" ? fragmentBytes : documentBytes;
        if (size > limit) {
          out.push(violation("size-limits", doc.name, `${doc.file} is ${size} bytes; the ${doc.scope === "fragment" ? "policy fragment" : "policy document"} limit is ${limit} bytes`));
          continue;
        }
        if (doc.scope === "fragment") continue;
        const parsed = parsePolicy(doc);
        if (!parsed.ok) continue;
        const included = new Set<string>();
        for (const { element } of walkElements(parsed.root)) {
          if (element.name === "include-fragment") included.add(element.attributes["fragment-id"] ?? "");
        }
        const total = size + [...included].reduce((sum, id) => sum + bytes(fragments.get(id)?.xml ?? ""), 0);
        if (total > documentBytes) {
          out.push(violation("size-limits", doc.name, `${doc.file} with its included fragments (${[...included].join(", ")}) is ${total} bytes; the policy document limit is ${documentBytes} bytes`));
        }
      }
      return out;
    },
  };
}

export const sizeLimits: PolicyRule = sizeLimitsRule();
