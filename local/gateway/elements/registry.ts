/**
 * The shape of one policy element's implementation in the local gateway, and the check that a
 * document uses only what the implementation covers. What API Management itself accepts
 * (elements, attributes, children, sections) is the element table's business
 * (apim-policy/elements.ts), checked before any implementation sees an element.
 */
import { childSpec, POLICY_STATEMENTS, type ElementSpec } from "../../../apim-policy/elements.js";
import { PolicyLoadError } from "../errors.js";
import type { CompileContext, Compiler, Step, Target } from "../pipeline.js";
import { elementChildren, where } from "../pipeline.js";
import type { PolicyElement } from "../policy-xml.js";

export interface ElementImpl {
  /** The element's name in the element table. */
  readonly name: string;
  /** The attributes implemented. @default every attribute the element table lists for it */
  readonly attributes?: readonly string[];
  /**
   * Its own parts implemented (child elements that are not policy statements, at any depth: `when`
   * of choose, `origin` of cors), each with the attributes implemented. @default none
   */
  readonly parts?: Readonly<Record<string, readonly string[]>>;
  /** Compiles the element (already checked against the table and this implementation). */
  compile(el: PolicyElement, target: Target, cx: CompileContext, compiler: Compiler): Step;
}

export function defineElement(impl: ElementImpl): ElementImpl {
  return impl;
}

function notImplemented(el: PolicyElement, name: string, implemented: readonly string[]): PolicyLoadError {
  return new PolicyLoadError(`${where(el)}: attribute "${name}" is not implemented by the local gateway; expected ${implemented.length ? implemented.join(", ") : "no attributes"}`);
}

/** Refuses attributes and parts the implementation does not cover. Policy statements inside are checked when they are compiled. */
export function checkImplemented(el: PolicyElement, impl: ElementImpl): void {
  const spec = POLICY_STATEMENTS[impl.name];
  const attributes = impl.attributes ?? Object.keys(spec?.attributes ?? {});
  for (const name of Object.keys(el.attributes)) if (!attributes.includes(name)) throw notImplemented(el, name, attributes);
  const walk = (parent: PolicyElement, parentSpec: ElementSpec): void => {
    for (const child of elementChildren(parent)) {
      const resolved = childSpec(parentSpec, child.name);
      if (!resolved || resolved.statement || parentSpec.children?.[child.name] === "policy") continue;
      const partAttributes = impl.parts?.[child.name];
      if (!partAttributes) throw new PolicyLoadError(`${where(child)}: <${child.name}> in <${parent.name}> is not implemented by the local gateway`);
      for (const name of Object.keys(child.attributes)) if (!partAttributes.includes(name)) throw notImplemented(child, name, partAttributes);
      walk(child, resolved.spec);
    }
  };
  if (spec) walk(el, spec);
}
