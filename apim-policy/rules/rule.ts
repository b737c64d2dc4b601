/**
 * The rule shape and the helpers rules share. A rule is a small pure function over a PolicySet;
 * the runner in index.ts runs them all.
 */
import type { PolicyDocument, PolicySet } from "../policy-set.js";
import { parsePolicy, type PolicyElement, type PolicyExpression } from "../parse.js";

/** One finding of a rule. */
export interface PolicyViolation {
  /** The rule's id, e.g. `named-values-defined`. */
  readonly rule: string;
  /** The document's name (see PolicyDocument.name), or `*` for set-wide findings. */
  readonly document: string;
  /** What is wrong, naming the offending value, and what is expected. */
  readonly message: string;
}

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

/** `policies/x.xml line N (<el>)`: where an element of any document (fragments and `<base/>` inlined) was written. */
export function place(el: PolicyElement): string {
  return `${el.source ?? "?"} line ${el.line} (<${el.name}>)`;
}

/** The name of the document an element was written in (by its source file), `*` when none of the set's. */
export function documentOf(set: PolicySet): (el: PolicyElement | undefined) => string {
  const byFile = new Map(set.documents.map((d) => [d.file, d.name]));
  return (el) => (el ? (byFile.get(el.source ?? "") ?? "*") : "*");
}

/** `line L` for messages. */
export function at(element: { line: number; column: number }): string {
  return `line ${element.line}, column ${element.column}`;
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
