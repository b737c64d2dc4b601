import type { PolicyViolation } from "./rule.js";
import { childElements, type PolicyElement } from "../parse.js";
import { POLICY_STATEMENTS, STATEMENT_CONTAINER } from "../elements.js";
import { setPipelines } from "../effective.js";
import { SECTIONS } from "../sections.js";
import { attributeProblems, checkContent, sectionProblem, tierProblem, type CheckedElement, type ElementProblem } from "../validate.js";
import { at, documentOf, violation, wellFormedDocuments, type PolicyRule, type WellFormedDocument } from "./rule.js";

const SECTION_SET: ReadonlySet<string> = new Set(SECTIONS);

/** The statement containers of a document: its sections, or a fragment's root. */
function containers(root: PolicyElement): PolicyElement[] {
  if (root.name === "policies") return childElements(root).filter((s) => SECTION_SET.has(s.name));
  return root.name === "fragment" ? [root] : [];
}

const checked = new WeakMap<PolicyElement, { problems: ElementProblem[]; found: CheckedElement[] }>();

/** A document checked against the element table (apim-policy/validate.ts), once for the three rules that use it. */
export function tableCheck(doc: WellFormedDocument): { problems: ElementProblem[]; found: CheckedElement[] } {
  let result = checked.get(doc.root);
  if (!result) {
    const found: CheckedElement[] = [];
    const problems = containers(doc.root).flatMap((container) => checkContent(container, STATEMENT_CONTAINER, (f) => found.push(f)));
    result = { problems, found };
    checked.set(doc.root, result);
  }
  return result;
}

/**
 * A rule reporting, in every well-formed document, the element-table problems of `kinds` (found by
 * `problemsOf`, by default {@link tableCheck}), one violation each at the element, naming the file
 * too when `withFile`.
 */
export function tableProblemRule(
  id: string,
  description: string,
  kinds: readonly ElementProblem["kind"][],
  options: { problemsOf?: (doc: WellFormedDocument) => ElementProblem[]; withFile?: boolean } = {},
): PolicyRule {
  const problemsOf = options.problemsOf ?? ((doc: WellFormedDocument) => tableCheck(doc).problems);
  return {
    id,
    description,
    check(set) {
      const out: PolicyViolation[] = [];
      for (const doc of wellFormedDocuments(set)) {
        for (const p of problemsOf(doc)) {
          if (kinds.includes(p.kind)) out.push(violation(id, doc.doc.name, `${p.describe(`at ${at(p.element)}`)}${options.withFile ? ` (${doc.doc.file})` : ""}`));
        }
      }
      return out;
    },
  };
}

/**
 * Only policy elements API Management knows, each in a place it may appear: policy statements in
 * sections, fragments and policy containers (`when`, `otherwise`, `retry`, `wait`,
 * `limit-concurrency`); each policy's own child elements inside it (apim-policy/elements.ts).
 */
export const knownPolicyElements = tableProblemRule("known-policy-elements", "Only policy elements API Management knows, each where it may appear.", ["unknown-element", "misplaced-element"]);

/**
 * Every attribute is one API Management knows for its element, and every attribute its page marks
 * required is there; the roots and sections carry none (apim-policy/elements.ts).
 */
export const policyAttributes = tableProblemRule(
  "policy-attributes",
  "Each policy element carries only attributes API Management knows for it, and the ones it requires.",
  ["unknown-attribute", "missing-attribute"],
  {
    problemsOf: (doc) => [
      ...[doc.root, ...(doc.root.name === "policies" ? childElements(doc.root).filter((s) => SECTION_SET.has(s.name)) : [])].flatMap((el) => attributeProblems(el, { attributes: {} })),
      ...tableCheck(doc).problems,
    ],
  },
);

/**
 * Each policy runs only in the sections its page allows (forward-request in backend, rewrite-uri
 * in inbound...), counted in the effective sections of every pipeline: a fragment is checked in
 * each section that includes it, an API's statements in each operation that inherits them.
 */
export const policySections: PolicyRule = {
  id: "policy-sections",
  description: "Each policy appears only in the sections API Management allows it in, fragments and <base/> inlined.",
  check(set) {
    const documentName = documentOf(set);
    const out: PolicyViolation[] = [];
    const reported = new Set<string>();
    for (const { pipeline } of setPipelines(set)) {
      for (const section of SECTIONS) {
        for (const { element } of pipeline.sections[section]) {
          const statements = [element];
          checkContent(element, POLICY_STATEMENTS[element.name] ?? STATEMENT_CONTAINER, (found) => {
            if (found.statement) statements.push(found.element);
          });
          for (const statement of statements) {
            const p = sectionProblem(statement, section);
            const key = `${statement.source}:${statement.line}:${statement.column}:${section}`;
            if (!p || reported.has(key)) continue;
            reported.add(key);
            out.push(violation(this.id, documentName(statement), `${p.describe(`at ${at(statement)}`)}${statement.source ? ` (${statement.source})` : ""}`));
          }
        }
      }
    }
    return out;
  },
};

/** Each policy is supported on the gateways this product deploys to: classic and v2 tiers (Consumption is refused). */
export const policyTiers: PolicyRule = {
  id: "policy-tiers",
  description: "Each policy is supported on API Management's classic and v2 gateways, where this product deploys.",
  check(set) {
    const out: PolicyViolation[] = [];
    for (const doc of wellFormedDocuments(set)) {
      for (const found of tableCheck(doc).found) {
        if (found.spec !== POLICY_STATEMENTS[found.element.name]) continue;
        const p = tierProblem(found.element);
        if (p) out.push(violation(this.id, doc.doc.name, p.describe(`at ${at(found.element)}`)));
      }
    }
    return out;
  },
};
