import { openingComment } from "../contracts.js";
import { fieldAccesses } from "../json-fields.js";
import { walkElements } from "../parse.js";
import { policyValue } from "../values.js";
import type { CacheRecordLayout } from "./cache-records.js";
import { violation, wellFormedDocuments, type PolicyRule, type PolicyViolation } from "./rule.js";

const ID = "record-field-lists";

/** A field list in braces (`{cid, res, scope}`), not a `{{named value}}`. */
const BRACES = /(?<!\{)\{(?!\{)([^{}]*)\}(?!\})/g;
/** An item of a field list: the field's name, optionally with a note after a colon (`n: client_name`). */
const FIELD_ITEM = /^([A-Za-z_][A-Za-z0-9_]*)(?:\s*:.*)?$/s;
/** `the code record ` right before the braces. */
const RECORD_PHRASE = /\bthe\s+([A-Za-z][A-Za-z\s-]*?)\s+record\s*$/;
/** A context variable's name right before the braces (`grant-base `). */
const VARIABLE_BEFORE = /([A-Za-z0-9_.-]+)\s*$/;

/** The layout a record phrase names: by its name, or by the last segment of its key prefix (`code` for `oauth:code:`). */
function layoutNamed(layouts: readonly CacheRecordLayout[], name: string): CacheRecordLayout | undefined {
  const wanted = name.toLowerCase();
  return layouts.find((l) => l.fields && (l.name.toLowerCase() === wanted || l.prefix.split(":").filter(Boolean).at(-1)?.toLowerCase() === wanted));
}

const sameFields = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((f) => b.includes(f));
const braces = (fields: readonly string[]) => `{${fields.join(", ")}}`;

/**
 * The field lists in braces that policy headers give for records (`Sets: grant-base {cid, res,
 * scope, uid, old}`, `Reads: token-record-json (the code record {cid, ...})`, `Prepares the grant
 * record {...}`) say what the records hold:
 *
 * - a list after `the <record> record` names a record layout (by its name or the last segment of its
 *   key prefix) and lists exactly its fields;
 * - a list after a context variable lists exactly the JSON fields the document writes into that
 *   variable's value (`new JProperty("f", ...)`, `record["f"] = ...`), or, when the document writes
 *   none (the value is a record read or copied whole), exactly the fields of the record layout that
 *   carries the variable.
 *
 * Lists of anything else (a variable that is neither built here nor a record's, a JSON example) are
 * not records and are left alone.
 */
export function recordFieldListsRule(options: { readonly layouts: readonly CacheRecordLayout[]; /** Where the layouts are defined (a file), for messages. */ readonly definedIn: string }): PolicyRule {
  const { layouts, definedIn } = options;
  return {
    id: ID,
    description: `Field lists in braces in policy headers match the record layouts of ${definedIn} and the fields the policies write.`,
    check(set) {
      const out: PolicyViolation[] = [];
      for (const { doc, root } of wellFormedDocuments(set)) {
        const comment = openingComment(doc.xml);
        if (!comment) continue;
        /** Fields each variable's value is built with in this document (set-variable values). */
        const written = new Map<string, string[]>();
        for (const { element } of walkElements(root)) {
          const name = element.name === "set-variable" ? element.attributes["name"] : undefined;
          const raw = element.attributes["value"];
          if (name === undefined || raw === undefined) continue;
          let code: string | undefined;
          try {
            const v = policyValue(raw, "value");
            code = v.kind === "expression" ? v.code : undefined;
          } catch {
            code = undefined;
          }
          for (const access of code === undefined ? [] : fieldAccesses(code)) {
            if (!access.write || access.variable !== undefined) continue;
            const fields = written.get(name) ?? [];
            if (!fields.includes(access.field)) fields.push(access.field);
            written.set(name, fields);
          }
        }
        const text = comment.text;
        for (const m of text.matchAll(BRACES)) {
          const items = m[1]!.split(",").map((i) => i.trim());
          const fields = items.map((i) => FIELD_ITEM.exec(i)?.[1]);
          if (fields.some((f) => f === undefined)) continue;
          const listed = fields as string[];
          const before = text.slice(0, m.index);
          // The header's line, by its keyword: a fragment's header moves when it is shaped, so its line number would not be the file's.
          const keyword = [...before.matchAll(/^\s*(Reads|Sets|Answers):/gm)].at(-1)?.[1];
          const header = keyword ? `the header's ${keyword}: line` : "the header";
          const say = (message: string) => out.push(violation(ID, doc.name, `${doc.file}: ${message}`));
          const phrase = RECORD_PHRASE.exec(before);
          if (phrase) {
            const named = phrase[1]!.replace(/\s+/g, " ");
            const layout = layoutNamed(layouts, named);
            if (!layout) {
              say(`${header} lists ${braces(listed)} for "the ${named} record", which names no record layout of ${definedIn} (${layouts.filter((l) => l.fields).map((l) => l.name).join(", ")})`);
              continue;
            }
            const expected = Object.keys(layout.fields!);
            if (!sameFields(listed, expected)) say(`${header} lists ${braces(listed)} for the ${layout.name} record; ${definedIn} gives it ${braces(expected)}`);
            continue;
          }
          const variable = VARIABLE_BEFORE.exec(before)?.[1];
          if (variable === undefined) continue;
          const built = written.get(variable);
          if (built) {
            if (!sameFields(listed, built)) say(`${header} lists ${braces(listed)} for variable "${variable}", but the document builds its value with ${braces(built)}`);
            continue;
          }
          const carriers = layouts.filter((l) => l.fields && l.variables.includes(variable));
          if (carriers.length === 0) continue;
          if (!carriers.some((l) => sameFields(listed, Object.keys(l.fields!)))) {
            const expected = carriers.map((l) => `the ${l.name} record's ${braces(Object.keys(l.fields!))}`).join(" or ");
            say(`${header} lists ${braces(listed)} for variable "${variable}", which carries ${carriers.map((l) => `the ${l.name} record`).join(" or ")}; expected ${expected} (${definedIn})`);
          }
        }
      }
      return out;
    },
  };
}
