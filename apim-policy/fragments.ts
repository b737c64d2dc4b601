/**
 * Fragment inlining: API Management inserts a fragment's content where `<include-fragment>` names it.
 */
import type { PolicyDocument, PolicySet } from "./policy-set.js";
import { parsePolicy, type PolicyElement, type PolicyNode } from "./parse.js";

export interface InlineProblem {
  readonly kind: "unknown-fragment" | "fragment-cycle";
  /** The include-fragment element, left in place. */
  readonly element: PolicyElement;
  readonly message: string;
}

export interface InlineOptions {
  /** Fragment ids being inlined around these nodes (outermost first). @default none */
  readonly stack?: readonly string[];
  /** Called for an include-fragment that names no fragment, or a fragment already being inlined (left in place). */
  readonly onProblem?: (problem: InlineProblem) => void;
  /** Called for every element kept (not an inlined include-fragment), before its children. */
  readonly onElement?: (element: PolicyElement) => void;
}

/**
 * The nodes with every `<include-fragment>` replaced by the fragment's statements (the fragment
 * root's children, themselves inlined), as API Management inserts them; `lookup` gives a
 * fragment's root by id. An unknown fragment, or one including itself (fragments cannot nest, but
 * a faulty cycle must not loop), is left as the include-fragment element. Unchanged subtrees are
 * shared, not copied.
 */
export function inlineFragments(nodes: readonly PolicyNode[], lookup: (id: string) => PolicyElement | undefined, options: InlineOptions = {}): PolicyNode[] {
  const stack = options.stack ?? [];
  const out: PolicyNode[] = [];
  for (const node of nodes) {
    if (node.kind !== "element") {
      out.push(node);
      continue;
    }
    if (node.name === "include-fragment") {
      const id = node.attributes["fragment-id"] ?? "";
      const fragment = lookup(id);
      if (!fragment) options.onProblem?.({ kind: "unknown-fragment", element: node, message: `fragment "${id}" is not defined` });
      else if (stack.includes(id)) options.onProblem?.({ kind: "fragment-cycle", element: node, message: `fragment "${id}" includes itself (${[...stack, id].join(" -> ")})` });
      else {
        out.push(...inlineFragments(fragment.children, lookup, { ...options, stack: [...stack, id] }));
        continue;
      }
    }
    options.onElement?.(node);
    const children = node.children.some((c) => c.kind === "element") ? inlineFragments(node.children, lookup, options) : node.children;
    out.push(children.length === node.children.length && children.every((c, i) => c === node.children[i]) ? node : { ...node, children });
  }
  return out;
}

/** The element with its fragments inlined (inlineFragments), fragments given as documents; ones that do not parse are left in place. */
export function expandFragments(element: PolicyElement, fragments: ReadonlyMap<string, PolicyDocument>): PolicyElement {
  const lookup = (id: string) => {
    const doc = fragments.get(id);
    const parsed = doc ? parsePolicy(doc) : undefined;
    return parsed?.ok ? parsed.root : undefined;
  };
  return { ...element, children: inlineFragments(element.children, lookup) };
}

/** Fragment documents by name (the fragment id `include-fragment fragment-id` refers to). */
export function fragmentsByName(set: PolicySet): Map<string, PolicyDocument> {
  return new Map(set.documents.filter((d) => d.scope === "fragment").map((d) => [d.name, d]));
}
