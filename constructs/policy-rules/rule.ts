/**
 * The rule shape and the helpers rules share. A rule is a small pure function over a PolicySet;
 * the runner in index.ts runs them all.
 */
import type { PolicyDocument, PolicySet, PolicyViolation } from "../policy-set.js";
import { childElements, parsePolicy, type PolicyElement, type PolicyExpression, type PolicyNode } from "./parse.js";

export interface PolicyRule {
  /** Stable id used in messages and in `PolicyViolation.rule` (kebab-case). */
  readonly id: string;
  /** One sentence: what the rule enforces and why. */
  readonly description: string;
  readonly check: (set: PolicySet) => PolicyViolation[];
}

/** A parsed, well-formed document (documents that are not well-formed are skipped by tree rules). */
export interface WellFormedDocument {
  readonly doc: PolicyDocument;
  readonly root: PolicyElement;
  /** Its policy expressions (`@(...)`, `@{...}`) in document order. */
  readonly expressions: readonly PolicyExpression[];
}

/** The documents of a set that parse, with their trees. */
export function wellFormedDocuments(set: PolicySet): WellFormedDocument[] {
  const out: WellFormedDocument[] = [];
  for (const doc of set.documents) {
    const parsed = parsePolicy(doc);
    if (parsed.ok) out.push({ doc, root: parsed.root, expressions: parsed.expressions });
  }
  return out;
}

/** Shorthand for a violation. */
export function violation(rule: string, document: string, message: string): PolicyViolation {
  return { rule, document, message };
}

/** `line L` for messages. */
export function at(element: { line: number; column: number }): string {
  return `line ${element.line}, column ${element.column}`;
}

/** Fragment documents by name (the fragment id `include-fragment fragment-id` refers to). */
export function fragmentsByName(set: PolicySet): Map<string, PolicyDocument> {
  return new Map(set.documents.filter((d) => d.scope === "fragment").map((d) => [d.name, d]));
}

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

/** The section elements of a `<policies>` root, by name (first occurrence). */
export function sections(root: PolicyElement): Map<string, PolicyElement> {
  const map = new Map<string, PolicyElement>();
  if (root.name !== "policies") return map;
  for (const el of childElements(root)) if (!map.has(el.name)) map.set(el.name, el);
  return map;
}

/** Splits identifiers and prose into lower-case words: `codeVerifier`, `code_verifier`, `Set-Cookie`. */
export function words(text: string): string[] {
  return text
    .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
    .replace(/([A-Z]+)([A-Z][a-z])/g, "$1 $2")
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((w) => w.length > 0);
}
