/**
 * Named-value references, `{{name}}`, as API Management substitutes them into a policy before it
 * is compiled: one syntax for the static checks, the gateway construct (dependencies) and the
 * local gateway (substitution).
 *
 * Microsoft Learn, "Use named values in Azure API Management policies": a policy uses a named
 * value by placing its display name "inside a double pair of braces like {{ContosoHeader}}", and a
 * display name "may contain only letters, digits, period, dash, and underscore characters" (also
 * the REST API's NamedValue.displayName). Nothing documents whitespace inside the braces, so
 * `{{ name }}` is not a reference to `name`: the text between the braces is the name, exactly,
 * and a name with spaces (or any other character) is refused by every user of this module.
 */

/** Every `{{...}}` in a text; group 1 is the name exactly as written (no trimming). */
export const NAMED_VALUE_REFERENCE = /\{\{([^{}]*)\}\}/g;

/** A valid named-value (display) name: letters, digits, '.', '-', '_'; 1-256 characters. */
export const NAMED_VALUE_NAME = /^[A-Za-z0-9._-]{1,256}$/;

export interface NamedValueReference {
  /** The name as written between the braces. */
  readonly name: string;
  /** Offset of the opening `{{` in the text. */
  readonly offset: number;
}

/** Every reference in a text, in order, duplicates included. */
export function namedValueReferences(text: string): NamedValueReference[] {
  return [...text.matchAll(NAMED_VALUE_REFERENCE)].map((m) => ({ name: m[1]!, offset: m.index }));
}

/** The distinct names a text references, in order of first use. */
export function referencedNames(text: string): string[] {
  return [...new Set(namedValueReferences(text).map((r) => r.name))];
}

/** Whether a name is a valid named-value name. */
export function isValidNamedValueName(name: string): boolean {
  return NAMED_VALUE_NAME.test(name);
}

/** Why a reference cannot be substituted. */
export class NamedValueError extends Error {
  constructor(
    /** The reference as written, braces included. */
    readonly reference: string,
    /** `malformed`: not a valid name; `undefined`: the lookup does not know it. */
    readonly problem: "malformed" | "undefined",
  ) {
    super(problem === "malformed" ? `${reference} is not a named value reference: ${MALFORMED}` : `named value ${reference} is not defined`);
    this.name = "NamedValueError";
  }
}

const MALFORMED = "a name uses only letters, digits, '.', '-' and '_' (1-256 characters), written between the braces without spaces";

/**
 * Replaces every `{{name}}` by `lookup(name)`. A reference whose name is not a valid named-value
 * name, or that `lookup` does not know (undefined), throws a NamedValueError naming it.
 */
export function substituteNamedValues(text: string, lookup: (name: string) => string | undefined): string {
  return text.replace(NAMED_VALUE_REFERENCE, (whole, name: string) => {
    if (!isValidNamedValueName(name)) throw new NamedValueError(whole, "malformed");
    const value = lookup(name);
    if (value === undefined) throw new NamedValueError(whole, "undefined");
    return value;
  });
}
