/**
 * Checks of a policy tree against the element table (elements.ts): which elements may appear
 * where, their attributes, the sections each policy may run in and the gateways that support it.
 * The static checks report these problems as findings; the local gateway refuses to load a policy
 * that has any, so neither can accept what the other refuses.
 */
import { childElements, type PolicyElement } from "./parse.js";
import { childSpec, expectedChildren, KNOWN_ELEMENT_NAMES, POLICY_STATEMENTS, type ElementSpec, type Tier } from "./elements.js";
import type { Section } from "./sections.js";

export type ProblemKind = "unknown-element" | "misplaced-element" | "unknown-attribute" | "missing-attribute" | "empty-element" | "section" | "tier";

/** One problem of an element. `describe(where)` words it, `where` saying where the element is. */
export interface ElementProblem {
  readonly kind: ProblemKind;
  readonly element: PolicyElement;
  /** The element holding it (for placement problems). */
  readonly parent?: PolicyElement;
  /** The problem in words, with `where` (e.g. "at line 3, column 5") after the element's name. */
  describe(where?: string): string;
}

const place = (where: string | undefined): string => (where ? ` ${where}` : "");

function misplaced(child: PolicyElement, parent: PolicyElement, parentSpec: ElementSpec): ElementProblem {
  if (!KNOWN_ELEMENT_NAMES.has(child.name)) {
    return {
      kind: "unknown-element",
      element: child,
      parent,
      describe: (where) => `unknown policy element <${child.name}>${place(where)} inside <${parent.name}>; API Management has no such policy or child element`,
    };
  }
  const expected = expectedChildren(parentSpec);
  return {
    kind: "misplaced-element",
    element: child,
    parent,
    describe: (where) => `<${child.name}>${place(where)} may not appear inside <${parent.name}>; expected ${expected.join(", ") || "no child elements"}`,
  };
}

/** Problems of one element's attributes: names its spec does not list, required ones missing. */
export function attributeProblems(element: PolicyElement, spec: ElementSpec): ElementProblem[] {
  const out: ElementProblem[] = [];
  const known = Object.keys(spec.attributes);
  for (const name of Object.keys(element.attributes)) {
    if (Object.prototype.hasOwnProperty.call(spec.attributes, name)) continue;
    out.push({
      kind: "unknown-attribute",
      element,
      describe: (where) =>
        `attribute "${name}" of <${element.name}>${place(where)} is not one API Management knows for it; expected ${known.length ? known.join(", ") : "no attributes"}`,
    });
  }
  for (const [name, attr] of Object.entries(spec.attributes)) {
    if (attr.required && element.attributes[name] === undefined) {
      out.push({ kind: "missing-attribute", element, describe: (where) => `<${element.name}>${place(where)} has no attribute "${name}", which API Management requires` });
    }
  }
  return out;
}

/** An element found in a tree, with its spec and whether it stands as a policy statement. */
export interface CheckedElement {
  readonly element: PolicyElement;
  readonly spec: ElementSpec;
  /** True for a policy statement of a statement container (see ResolvedChild.statement). */
  readonly statement: boolean;
}

/**
 * Walks the content of `container` (whose spec is `spec`) and returns the placement and attribute
 * problems of every descendant, calling `visit` for each element that may stand where it is.
 * Free-form content (`anyContent`) is not looked into.
 */
export function checkContent(container: PolicyElement, spec: ElementSpec, visit?: (found: CheckedElement) => void): ElementProblem[] {
  const out: ElementProblem[] = [];
  const walk = (parent: PolicyElement, parentSpec: ElementSpec): void => {
    if (parentSpec.anyContent) return;
    for (const child of childElements(parent)) {
      const resolved = childSpec(parentSpec, child.name);
      if (!resolved) {
        out.push(misplaced(child, parent, parentSpec));
        continue;
      }
      out.push(...attributeProblems(child, resolved.spec));
      if (resolved.spec.statementRequired && !childElements(child).some((c) => childSpec(resolved.spec, c.name)?.statement)) {
        out.push({
          kind: "empty-element",
          element: child,
          parent,
          describe: (where) =>
            `<${child.name}>${place(where)} inside <${parent.name}> holds no policy statement; API Management expects one or more in each <${child.name}>, so restructure the <${parent.name}> (negate the condition into the branches that follow, or nest them) instead of leaving a branch empty`,
        });
      }
      visit?.({ element: child, spec: resolved.spec, statement: resolved.statement });
      walk(child, resolved.spec);
    }
  };
  walk(container, spec);
  return out;
}

/** The problem of a policy statement standing in `section`, when its policy may not run there. */
export function sectionProblem(element: PolicyElement, section: Section): ElementProblem | undefined {
  const spec = POLICY_STATEMENTS[element.name];
  if (!spec || spec.sections.includes(section)) return undefined;
  return {
    kind: "section",
    element,
    describe: (where) => `<${element.name}>${place(where)} may not appear in <${section}>; API Management allows it in ${spec.sections.join(", ")}`,
  };
}

/** The gateways this product deploys to: classic tiers (an existing instance) and v2 tiers (the default BasicV2). */
export const PRODUCT_TIERS: readonly Tier[] = ["classic", "v2"];

/** The problem of a policy that some of `tiers` do not support. */
export function tierProblem(element: PolicyElement, tiers: readonly Tier[] = PRODUCT_TIERS): ElementProblem | undefined {
  const spec = POLICY_STATEMENTS[element.name];
  if (!spec) return undefined;
  const missing = tiers.filter((t) => !spec.tiers.includes(t));
  if (missing.length === 0) return undefined;
  return {
    kind: "tier",
    element,
    describe: (where) => `<${element.name}>${place(where)} is not supported on the ${missing.join(" and ")} gateway${missing.length > 1 ? "s" : ""}; API Management supports it on ${spec.tiers.join(", ")}`,
  };
}
