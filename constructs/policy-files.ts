/**
 * Reading policy XML from `policies/` and finding what a policy refers to: `{{NamedValue}}`
 * placeholders and `include-fragment` targets. Shared by the gateway construct (apply order)
 * and the static checks.
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { referencedNames } from "../apim-policy/named-values.js";

/** The repository's `policies/` folder. */
export const POLICIES_DIR = resolve(dirname(fileURLToPath(import.meta.url)), "..", "policies");

/** Reads `policies/<file>`; returns the XML and the repository-relative path used in messages. */
export function readPolicyFile(file: string, policiesDir: string = POLICIES_DIR): { xml: string; path: string } {
  const full = resolve(policiesDir, file);
  const rel = relative(policiesDir, full);
  if (rel.startsWith("..") || rel === "") {
    throw new Error(`Policy file ${JSON.stringify(file)} is outside policies/; expected a path under policies/, such as "mcp-api.xml"`);
  }
  if (!file.endsWith(".xml")) {
    throw new Error(`Policy file ${JSON.stringify(file)} is not an .xml file; expected policies/<name>.xml`);
  }
  if (!existsSync(full)) {
    throw new Error(`Policy file ${JSON.stringify(join("policies", rel))} does not exist; expected an XML file under policies/`);
  }
  return { xml: readFileSync(full, "utf8"), path: join("policies", rel).split("\\").join("/") };
}

/** Names of the named values a policy refers to as `{{name}}`, in order of first use (apim-policy/named-values.ts). */
export function namedValueReferences(xml: string): string[] {
  return referencedNames(xml);
}

/** Fragment ids a policy includes with `<include-fragment fragment-id="..."/>`. */
export function fragmentReferences(xml: string): string[] {
  const ids = new Set<string>();
  for (const match of xml.matchAll(/<include-fragment\b[^>]*\bfragment-id\s*=\s*("([^"]*)"|'([^']*)')/g)) {
    ids.add(match[2] ?? match[3]);
  }
  return [...ids];
}
