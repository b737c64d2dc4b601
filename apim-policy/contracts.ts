/**
 * Fragment contracts: what a fragment reads, sets and may answer, declared in its opening comment
 * and compared with what its policies really do.
 *
 * The header is the comment before `<fragment>`: a description, then three lines, each starting
 * with its keyword (a value may continue on the following lines until the next keyword):
 *
 *   <!-- /token, step 2: checks the grant type and the client.
 *        Reads: form, oauth-error
 *        Sets: tk-grant-type, tk-client-id, oauth-error (invalid_request, unsupported_grant_type)
 *        Answers: nothing -->
 *
 * `Reads:` and `Sets:` list context variables, comma-separated; text in parentheses after a name
 * says more and is not part of it, and so are the fields of a JSON value in braces or brackets
 * (`grant-base {cid, res, scope, uid, old}`; rule record-field-lists checks a record's). `Reads:` may also list the named values the fragment uses, as
 * written in it (`{{gateway-url}}`), and the parts of the context other than its variables that it
 * reads, by their path (`context.Request.Headers (Authorization)`, `context.LastError`).
 * `Answers:` lists the responses the fragment may end the request with, each starting with its
 * status code (`401 with the RFC 9728 challenge`), or `nothing`. `none` (or `nothing`), with an
 * optional `itself` and a note in parentheses, stands for an empty list in all three.
 */
import type { PolicyElement } from "./parse.js";
import { variableUses } from "./variables.js";

export const CONTRACT_KEYWORDS = ["Reads", "Sets", "Answers"] as const;
export type ContractKeyword = (typeof CONTRACT_KEYWORDS)[number];

export interface ContractLine {
  /** The items as written (names for Reads/Sets, responses for Answers); empty for `none`/`nothing`. */
  readonly items: readonly string[];
  /** 1-based line of the keyword in the document. */
  readonly line: number;
}

export interface FragmentContract {
  /** The header's lines, by keyword; a keyword missing from the header is absent here. */
  readonly lines: Partial<Record<ContractKeyword, ContractLine>>;
  /** Reads and Sets items reduced to their variable names (Reads without its named values and context paths). */
  readonly reads?: readonly string[];
  /** The named values Reads lists (`{{name}}`), by name. */
  readonly namedValues?: readonly string[];
  /** The context paths Reads lists (`context.Request.Headers`), without their notes. */
  readonly contextReads?: readonly string[];
  readonly sets?: readonly string[];
  /** The status codes Answers names. */
  readonly answers?: readonly number[];
}

const EMPTY = /^(none|nothing)(\s+itself)?\.?(\s*\(.*\))?\.?$/is;
const NAME = /^[A-Za-z0-9_.-]+/;
const NAMED_VALUE_ITEM = /^\{\{([^{}]+)\}\}/;
const CONTEXT_ITEM = /^context\.[A-Za-z][A-Za-z0-9.]*/;

function splitItems(value: string): string[] {
  // Commas inside parentheses, braces or brackets belong to the item's note.
  const items: string[] = [];
  let depth = 0;
  let current = "";
  for (const c of value) {
    if (c === "(" || c === "{" || c === "[") depth++;
    if (c === ")" || c === "}" || c === "]") depth = Math.max(0, depth - 1);
    if (c === "," && depth === 0) {
      items.push(current);
      current = "";
    } else current += c;
  }
  items.push(current);
  const trimmed = items.map((i) => i.trim().replace(/\.$/, "")).filter((i) => i.length > 0);
  return trimmed.length === 1 && EMPTY.test(trimmed[0]!) ? [] : trimmed;
}

/**
 * The opening comment of a document, with the line it starts on; undefined when there is none. It
 * is the comment before the root element, or, when there is none, the comment that opens the root
 * element's content before any element or text: where synth puts a fragment's header, since API
 * Management takes nothing outside `<fragment>` (constructs/policy-shape.ts, shapeFragmentXml).
 */
export function openingComment(xml: string): { text: string; line: number } | undefined {
  const root = xml.search(/<(?!!--|\?)[A-Za-z]/);
  const start = xml.indexOf("<!--");
  if (start === -1) return undefined;
  if (root !== -1 && start > root) {
    const openEnd = xml.indexOf(">", root);
    if (openEnd === -1 || xml[openEnd - 1] === "/" || !/^\s*$/.test(xml.slice(openEnd + 1, start))) return undefined;
  }
  const end = xml.indexOf("-->", start + 4);
  if (end === -1) return undefined;
  return { text: xml.slice(start + 4, end), line: xml.slice(0, start).split("\n").length };
}

/** Parses the contract lines of a document's opening comment. */
export function parseContract(xml: string): FragmentContract {
  const comment = openingComment(xml);
  const lines: Partial<Record<ContractKeyword, ContractLine>> = {};
  if (!comment) return { lines };
  let open: { keyword: ContractKeyword; value: string; line: number } | undefined;
  const close = () => {
    if (open) lines[open.keyword] = { items: splitItems(open.value), line: open.line };
    open = undefined;
  };
  comment.text.split("\n").forEach((text, i) => {
    const m = /^\s*(Reads|Sets|Answers):(.*)$/.exec(text);
    if (m) {
      close();
      open = { keyword: m[1] as ContractKeyword, value: m[2]!, line: comment.line + i };
    } else if (open) open.value += ` ${text.trim()}`;
  });
  close();
  const names = (l: ContractLine | undefined) => l?.items.map((item) => NAME.exec(item)?.[0] ?? item);
  const readItems = lines.Reads?.items;
  const variableItems = readItems && { ...lines.Reads!, items: readItems.filter((i) => !NAMED_VALUE_ITEM.test(i) && !CONTEXT_ITEM.test(i)) };
  const codes = (l: ContractLine | undefined) => l?.items.flatMap((item) => {
    const m = /^([1-5]\d\d)\b/.exec(item);
    return m ? [Number(m[1])] : [];
  });
  return {
    lines,
    reads: names(variableItems),
    namedValues: readItems?.flatMap((i) => NAMED_VALUE_ITEM.exec(i)?.[1]?.trim() ?? []),
    contextReads: readItems?.flatMap((i) => CONTEXT_ITEM.exec(i)?.[0] ?? []),
    sets: names(lines.Sets),
    answers: codes(lines.Answers),
  };
}

/** What a fragment really does, from its policies. */
export interface ObservedContract {
  /** Variables it reads (guarded or not) before it sets them itself: its inputs, in order of first use. */
  readonly reads: readonly string[];
  readonly sets: readonly string[];
  /** The literal status codes of its return-response policies. */
  readonly answers: readonly number[];
  /** True when a return-response's status is computed (a policy expression), so Answers cannot be compared. */
  readonly computedAnswer: boolean;
  /** True when it has a return-response at all. */
  readonly answersAtAll: boolean;
}

export function observedContract(root: PolicyElement): ObservedContract {
  const uses = root.children.flatMap((c) => (c.kind === "element" ? variableUses(c) : []));
  const ownSoFar = new Set<string>();
  const reads = new Set<string>();
  for (const u of uses) {
    if (u.kind === "set") ownSoFar.add(u.name);
    else if (!ownSoFar.has(u.name)) reads.add(u.name);
  }
  const sets = [...new Set(uses.filter((u) => u.kind === "set").map((u) => u.name))];
  const answers = new Set<number>();
  let computedAnswer = false;
  let answersAtAll = false;
  const walk = (el: PolicyElement, inResponse: boolean): void => {
    if (el.name === "return-response") {
      answersAtAll = true;
      if (el.attributes["response-variable-name"] !== undefined) computedAnswer = true;
    }
    if (inResponse && el.name === "set-status") {
      const code = el.attributes["code"] ?? "";
      if (/^\d{3}$/.test(code.trim())) answers.add(Number(code));
      else computedAnswer = true;
    }
    for (const c of el.children) if (c.kind === "element") walk(c, inResponse || el.name === "return-response");
  };
  walk(root, false);
  return { reads: [...reads], sets, answers: [...answers].sort((a, b) => a - b), computedAnswer, answersAtAll };
}
