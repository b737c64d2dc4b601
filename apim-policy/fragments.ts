/**
 * Fragment inlining: API Management inserts a fragment's content where `<include-fragment>` names it.
 */
import type { PolicyDocument, PolicySet } from "./policy-set.js";
import { parsePolicy, type PolicyElement, type PolicyNode } from "./parse.js";

/**
 * The element with every `<include-fragment>` replaced by the fragment's content (the fragment
 * root's children), as API Management inserts it. Unknown fragments and fragments that do not
 * parse are left as the `include-fragment` element. Fragments cannot nest, but a nested include is
 * expanded once at most per path, so a faulty cycle cannot loop.
 */
export function expandFragments(
  element: PolicyElement,
  fragments: Map<string, PolicyDocument>,
  seen: ReadonlySet<string> = new Set(),
): PolicyElement {
  const children: PolicyNode[] = [];
  for (const child of element.children) {
    if (child.kind !== "element") {
      children.push(child);
      continue;
    }
    if (child.name === "include-fragment") {
      const id = child.attributes["fragment-id"] ?? "";
      const fragment = fragments.get(id);
      const parsed = fragment ? parsePolicy(fragment) : undefined;
      if (parsed?.ok && !seen.has(id)) {
        const expanded = expandFragments(parsed.root, fragments, new Set([...seen, id]));
        children.push(...expanded.children);
        continue;
      }
    }
    children.push(expandFragments(child, fragments, seen));
  }
  return { ...element, children };
}

/** Fragment documents by name (the fragment id `include-fragment fragment-id` refers to). */
export function fragmentsByName(set: PolicySet): Map<string, PolicyDocument> {
  return new Map(set.documents.filter((d) => d.scope === "fragment").map((d) => [d.name, d]));
}
