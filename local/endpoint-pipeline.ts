/**
 * What one endpoint of a synthesized gateway runs, as text (`npm run policy -- POST /token`): the
 * request is routed as API Management routes it (local/gateway/router.ts: the API by the longest
 * path prefix, then the operation by method and URL template), and its effective pipeline is
 * assembled as API Management combines the scopes (apim-policy/effective.ts: the operation's
 * policy, `<base/>` replaced by the API's, whose `<base/>` is the global policy's). Per section, each
 * statement is shown with the scope it was written in, and each `<include-fragment>` as the fragment
 * it inlines there, in order, with its header: what it does, its Threats, Cache, Reads, Sets and
 * Answers lines.
 *
 * The input is the gateway configuration read from cdk.tf.json (local/gateway/config.ts), so the
 * view is what would be deployed: named values stay `{{as written}}` (API Management substitutes
 * them at run time), and a stack without a global policy shows API Management's default one.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { openingComment } from "../apim-policy/contracts.js";
import { assemblePipeline, type StatementScope } from "../apim-policy/effective.js";
import { childSpec, STATEMENT_CONTAINER, type ElementSpec } from "../apim-policy/elements.js";
import { childElements, ownText, walkElements, type PolicyElement } from "../apim-policy/parse.js";
import { SECTIONS } from "../apim-policy/sections.js";
import type { ApiConfig, GatewayConfig, OperationConfig } from "./gateway/config.js";
import { parsePolicyDocument } from "./gateway/policy-xml.js";
import { route } from "./gateway/router.js";

/** A method and path that is no endpoint of the gateway; the message lists the endpoints that are. */
export class UnknownEndpointError extends Error {
  constructor(
    message: string,
    /** Every endpoint of the gateway, `METHOD /path`. */
    readonly endpoints: readonly string[],
  ) {
    super(message);
    this.name = "UnknownEndpointError";
  }
}

export interface ViewOptions {
  /**
   * Show every statement of each fragment under its header, not only the fragments it includes.
   * @default false
   */
  readonly statements?: boolean;
  /**
   * The repository folder whose `policies/` files are named as where a document was written (the
   * file whose opening comment the synthesized document carries).
   * @default none (no file names)
   */
  readonly policiesRoot?: string;
}

/** The keywords of a policy header shown with a document or fragment, in this order. */
const HEADER_KEYWORDS = ["Threats", "Cache", "Reads", "Sets", "Answers"] as const;
/** Every fragment must say these (rule fragment-contracts); a missing one is shown as missing. */
const CONTRACT = new Set<string>(["Reads", "Sets", "Answers"]);
const WIDTH = 100;
const VALUE_MAX = 110;
const TEXT_MAX = 60;
const LABEL = 11;

/** Text in quotes, every character but printable ASCII as `\u{hex}`, so that a control or bidirectional character cannot disguise a message. */
function quoted(text: string): string {
  return `"${[...text].map((c) => (c === '"' || c === "\\" ? `\\${c}` : /[\x20-\x7e]/.test(c) ? c : `\\u{${c.codePointAt(0)!.toString(16)}}`)).join("")}"`;
}

/** Text as given when it is printable ASCII without spaces, else quoted. */
const printable = (text: string) => (/^[\x21-\x7e]*$/.test(text) ? text : quoted(text));

/** `METHOD /path` of an operation: the API's path joined with the operation's URL template. */
function endpointOf(api: ApiConfig, op: OperationConfig): string {
  const path = [api.path, op.urlTemplate].map((p) => p.replace(/^\/+|\/+$/g, "")).filter((p) => p !== "").join("/");
  return `${op.method} /${path}`;
}

/** Every endpoint of the gateway, `METHOD /path`, by path and then method. */
export function gatewayEndpoints(config: GatewayConfig): string[] {
  const all = config.apis.flatMap((api) => api.operations.map((op) => endpointOf(api, op)));
  const key = (e: string) => e.slice(e.indexOf(" ") + 1) + " " + e.slice(0, e.indexOf(" "));
  return [...new Set(all)].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}

/** The pathname of a path or URL (`/token`, `https://gw.example/token?x=1`), without query or fragment. */
export function requestPath(target: string): string {
  if (/^https?:\/\//i.test(target)) return new URL(target).pathname;
  return target.replace(/[?#].*$/s, "");
}

/** Finds the API and operation that answer `method path`; throws UnknownEndpointError when none does. */
export function findEndpoint(config: GatewayConfig, method: string, target: string): { api: ApiConfig; operation: OperationConfig } {
  const endpoints = gatewayEndpoints(config);
  const list = `The endpoints of this gateway:\n${endpoints.map((e) => `  ${e}`).join("\n")}`;
  const wanted = `${printable(method.toUpperCase())} ${printable(target)}`;
  if (!target.startsWith("/") && !/^https?:\/\//i.test(target)) {
    throw new UnknownEndpointError(`${quoted(target)} is not a path: expected one starting with "/" (e.g. /token) or an https:// URL.\n${list}`, endpoints);
  }
  if (/^https?:\/\//i.test(target) && !URL.canParse(target)) throw new UnknownEndpointError(`${quoted(target)} is not a URL.\n${list}`, endpoints);
  const path = requestPath(target);
  const found = route<OperationConfig, ApiConfig>(config.apis, method.toUpperCase(), path);
  if (found.kind === "matched") return { api: found.api, operation: found.operation };
  if (found.kind === "no-operation" && found.pathMatches.length > 0) {
    const methods = [...new Set(found.pathMatches.map((o) => o.method))].join(", ");
    throw new UnknownEndpointError(`${wanted}: API "${found.api.name}" answers ${printable(path)} only to ${methods}, not to ${printable(method.toUpperCase())}.\n${list}`, endpoints);
  }
  throw new UnknownEndpointError(`${wanted}: no API of this gateway has an operation for ${printable(path)}.\n${list}`, endpoints);
}

const collapse = (text: string) => text.replace(/\s+/g, " ").trim();
const clip = (text: string, max: number) => (text.length > max ? `${text.slice(0, max - 1)}…` : text);

/** Words wrapped to lines of at most `width` characters (a longer word stays whole). */
function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = "";
  for (const word of collapse(text).split(" ")) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  return lines;
}

/** A header comment split into its description and its keyword lines (a keyword's value may go on over several lines). */
function headerParts(comment: string): { description: string; keywords: Map<string, string> } {
  const keywords = new Map<string, string>();
  const description: string[] = [];
  let open: string | undefined;
  for (const line of comment.split("\n")) {
    const m = new RegExp(`^\\s*(${HEADER_KEYWORDS.join("|")}):(.*)$`).exec(line);
    if (m) {
      open = m[1]!;
      keywords.set(open, collapse(m[2]!));
    } else if (open) keywords.set(open, collapse(`${keywords.get(open)} ${line}`));
    else description.push(line);
  }
  return { description: collapse(description.join(" ")), keywords };
}

/** The lines of a header (description wrapped, then its keyword lines), each indented. */
function headerLines(xml: string, indent: string, contract: boolean): string[] {
  const comment = openingComment(xml);
  if (!comment) return contract ? [`${indent}(no header comment)`] : [];
  const { description, keywords } = headerParts(comment.text);
  const out = description ? wrap(description, WIDTH - indent.length).map((l) => indent + l) : [];
  for (const keyword of HEADER_KEYWORDS) {
    const value = keywords.get(keyword);
    if (value !== undefined) out.push(...wrap(`${keyword}: ${value}`, WIDTH - indent.length).map((l, i) => indent + (i ? "  " : "") + l));
    else if (contract && CONTRACT.has(keyword)) out.push(`${indent}${keyword}: (missing from the header)`);
  }
  return out;
}

/** The repository files of policies/ by their opening comment (whitespace collapsed), to name where a synthesized document was written. */
function filesByHeader(root: string | undefined): Map<string, string> {
  const byHeader = new Map<string, string>();
  if (!root) return byHeader;
  for (const dir of ["policies", "policies/fragments"]) {
    let names: string[];
    try {
      names = readdirSync(join(root, dir)).filter((n) => n.endsWith(".xml")).sort();
    } catch {
      continue;
    }
    for (const name of names) {
      const comment = openingComment(readFileSync(join(root, dir, name), "utf8"));
      if (comment) byHeader.set(collapse(comment.text), `${dir}/${name}`);
    }
  }
  return byHeader;
}

/** A start tag on one line: attributes with their values collapsed and clipped, short text inline. */
function tag(el: PolicyElement, shownChildren: boolean): string {
  const attributes = Object.entries(el.attributes).map(([k, v]) => ` ${k}="${clip(collapse(v), VALUE_MAX)}"`).join("");
  const text = collapse(ownText(el));
  if (text) return `<${el.name}${attributes}>${text.length <= TEXT_MAX ? text : "…"}</${el.name}>`;
  return `<${el.name}${attributes}${shownChildren ? ">" : " />"}`;
}

interface RenderContext {
  readonly fragments: ReadonlyMap<string, string>;
  readonly statements: boolean;
  readonly files: ReadonlyMap<string, string>;
}

/** A fragment where it is included: its id, file, header, and its statements (or only the fragments it includes). */
function fragmentLines(id: string, indent: string, ctx: RenderContext, stack: readonly string[]): string[] {
  const xml = ctx.fragments.get(id);
  if (xml === undefined) return [`${indent}fragment ${id}: NOT DEFINED in the stack`];
  if (stack.includes(id)) return [`${indent}fragment ${id}: includes itself (${[...stack, id].join(" -> ")})`];
  const comment = openingComment(xml);
  const file = comment ? ctx.files.get(collapse(comment.text)) : undefined;
  const out = [`${indent}fragment ${id}${file ? ` (${file})` : ""}`, ...headerLines(xml, `${indent}  `, true)];
  const root = parsePolicyDocument(xml, `fragment ${id}`);
  if (ctx.statements) {
    for (const child of childElements(root)) out.push(...elementLines(child, STATEMENT_CONTAINER, `${indent}  `, ctx, [...stack, id]));
  } else {
    for (const { element } of walkElements(root)) {
      if (element !== root && element.name === "include-fragment") out.push(...fragmentLines(element.attributes["fragment-id"] ?? "", `${indent}  `, ctx, [...stack, id]));
    }
  }
  return out;
}

/** An element of a pipeline (a statement, or a part of one) and what it holds, indented below it. */
function elementLines(el: PolicyElement, parent: ElementSpec, indent: string, ctx: RenderContext, stack: readonly string[] = []): string[] {
  if (el.name === "include-fragment") return fragmentLines(el.attributes["fragment-id"] ?? "", indent, ctx, stack);
  const spec = childSpec(parent, el.name)?.spec;
  const children = spec ? childElements(el) : [];
  const nested = children.flatMap((child) => elementLines(child, spec!, `${indent}  `, ctx, stack));
  return [`${indent}${tag(el, nested.length > 0)}`, ...nested];
}

/**
 * The effective pipeline of `method path` on the gateway, as text: the endpoint, the API and
 * operation that answer it, the headers of the policies they are made of, then per section each
 * statement with the scope it was written in and each fragment where it is included, in order.
 * @throws UnknownEndpointError when no operation answers `method path`.
 */
export function endpointPipeline(config: GatewayConfig, method: string, path: string, options: ViewOptions = {}): string {
  const { api, operation } = findEndpoint(config, method, path);
  const ctx: RenderContext = { fragments: config.fragments, statements: options.statements ?? false, files: filesByHeader(options.policiesRoot) };
  const parse = (xml: string | undefined, document: string) => (xml === undefined ? undefined : parsePolicyDocument(xml, document));
  const pipeline = assemblePipeline(
    {
      global: parse(config.globalPolicyXml, "global"),
      api: parse(api.policyXml, `api ${api.name}`),
      operation: parse(operation.policyXml, `operation ${api.name}/${operation.operationId}`),
      fragments: new Map(),
    },
    { inlineFragments: false },
  );

  const out = [
    `${endpointOf(api, operation)}: API "${api.name}" (${api.displayName}, path "/${api.path}"), operation "${operation.operationId}" (${operation.method} ${operation.urlTemplate})`,
    "",
  ];
  const documents: [string, string | undefined][] = [
    ["Global policy", config.globalPolicyXml],
    [`API policy (${api.name})`, api.policyXml],
    [`Operation policy (${operation.operationId})`, operation.policyXml],
  ];
  for (const [what, xml] of documents) {
    if (xml === undefined) {
      out.push(what === "Global policy" ? `${what}: none in the stack; API Management's default applies (forward-request in backend)` : `${what}: none (the ${what.startsWith("API") ? "global" : "API"} policy applies)`);
      continue;
    }
    const comment = openingComment(xml);
    const file = comment ? ctx.files.get(collapse(comment.text)) : undefined;
    out.push(`${what}${file ? `, ${file}` : ""}:`, ...headerLines(xml, "  ", false));
  }
  const label = (scope: StatementScope) => scope.padEnd(LABEL);
  for (const section of SECTIONS) {
    out.push("", section);
    const statements = pipeline.sections[section];
    if (statements.length === 0) out.push("  (nothing)");
    for (const { element, scope } of statements) {
      const lines = elementLines(element, STATEMENT_CONTAINER, "", ctx);
      if (scope === "global" && config.globalPolicyXml === undefined) lines[0] += "   (API Management's default global policy)";
      out.push(`  ${label(scope)}${lines[0]}`, ...lines.slice(1).map((l) => `  ${" ".repeat(LABEL)}${l}`));
    }
  }
  for (const problem of pipeline.problems) out.push("", `Problem: ${problem.element.source} line ${problem.element.line}: ${problem.message}`);
  return out.join("\n") + "\n";
}
