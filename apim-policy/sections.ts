/**
 * The sections of a policy document.
 */
import { childElements, type PolicyElement } from "./parse.js";

/** The policy sections, in the order API Management requires. */
export const SECTIONS = ["inbound", "backend", "outbound", "on-error"] as const;

export type Section = (typeof SECTIONS)[number];

/** The section elements of a `<policies>` root, by name (first occurrence). */
export function sections(root: PolicyElement): Map<string, PolicyElement> {
  const map = new Map<string, PolicyElement>();
  if (root.name !== "policies") return map;
  for (const el of childElements(root)) if (!map.has(el.name)) map.set(el.name, el);
  return map;
}
