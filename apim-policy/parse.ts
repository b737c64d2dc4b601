/**
 * Parses a policy document once, for all rules.
 *
 * API Management policies are sent in `rawxml` format: policy expressions (`@(...)`, `@{...}`)
 * hold raw C#, so an attribute value may contain unescaped `"` and a text node unescaped `<`, `&&`.
 * Such a document is not XML until the expressions are taken out. The parser therefore first finds
 * every expression (balanced brackets, C# literals respected), replaces it by a placeholder of the
 * same length (line breaks kept, so every offset, line and column stays exact), checks the result
 * with fast-xml-parser's XMLValidator, parses it preserving order, and puts the expressions back
 * into the attribute values and texts of the tree.
 */
import { createRequire } from "node:module";
import type { PolicyDocument } from "./policy-set.js";
import { CSharpLexError, lexCSharp, recordExpressionTokens, type CSharpToken } from "./csharp-lexer.js";
import { namedValueReferences } from "./named-values.js";

// fast-xml-parser's single-file CommonJS build: its ES build is dozens of modules, each passed through the
// TypeScript loader's hooks at every synth (about 35 ms against 4 ms; see constructs/providers.ts).
const { XMLParser, XMLValidator } = createRequire(import.meta.url)("fast-xml-parser") as typeof import("fast-xml-parser");

export interface PolicyText {
  readonly kind: "text";
  /** The text (entities decoded; CDATA sections included as they are). */
  readonly text: string;
}

export interface PolicyElement {
  readonly kind: "element";
  readonly name: string;
  /** Attribute values, entities decoded, expressions restored verbatim. */
  readonly attributes: Readonly<Record<string, string>>;
  readonly children: readonly PolicyNode[];
  /** 1-based line of the element's start tag in the document. */
  readonly line: number;
  /** 1-based column of the element's start tag. */
  readonly column: number;
  /**
   * Where the element was written (a file path, or a description such as `fragment x`), when the
   * parser was told: elements keep it when fragments and `<base/>` are inlined into other documents.
   */
  readonly source?: string;
}

export type PolicyNode = PolicyElement | PolicyText;

/** One policy expression found in the document. */
export interface PolicyExpression {
  /** The whole expression as written, `@(`/`@{` included. */
  readonly source: string;
  /** The C# inside the outer brackets. */
  readonly code: string;
  /** Tokens of `code` (offsets relative to `code`). */
  readonly tokens: readonly CSharpToken[];
  readonly line: number;
  readonly column: number;
}

export type ParsedPolicy =
  | {
      readonly ok: true;
      readonly root: PolicyElement;
      readonly expressions: readonly PolicyExpression[];
      /** Every `{{name}}` reference (names only, in order of appearance, with duplicates). */
      readonly namedValueRefs: readonly { name: string; line: number; column: number }[];
    }
  | {
      readonly ok: false;
      /** What is wrong, with line and column. */
      readonly error: string;
      readonly line: number;
      readonly column: number;
    };

/** First code point of the placeholders; expression n is marked by U+E000+n. */
const MARK_BASE = 0xe000;
const MARK_MAX = 0xf8fe;
/** Filler for the rest of an expression's characters (line breaks are kept as they are). */
const FILL = "\uf8ff";

const lineStartsCache = new Map<string, number[]>();

/** Offsets at which each line of `text` starts (memoized for the last few texts). */
function lineStarts(text: string): number[] {
  let starts = lineStartsCache.get(text);
  if (!starts) {
    starts = [0];
    for (let i = text.indexOf("\n"); i !== -1; i = text.indexOf("\n", i + 1)) starts.push(i + 1);
    if (lineStartsCache.size > 16) lineStartsCache.clear();
    lineStartsCache.set(text, starts);
  }
  return starts;
}

/** Converts a string offset to a 1-based line and column. */
export function lineColumn(text: string, offset: number): { line: number; column: number } {
  const starts = lineStarts(text);
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid]! <= offset) lo = mid;
    else hi = mid - 1;
  }
  return { line: lo + 1, column: offset - starts[lo]! + 1 };
}

interface MaskResult {
  readonly masked: string;
  readonly expressions: { source: string; code: string; tokens: CSharpToken[]; offset: number }[];
}

class MaskError extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(message);
  }
}

/**
 * Replaces each policy expression by a same-length placeholder. Expressions are recognised in
 * attribute values that start with `@(`/`@{` and anywhere in text; comments, CDATA sections,
 * processing instructions and the DOCTYPE are left alone.
 */
function maskExpressions(xml: string): MaskResult {
  const out: string[] = [];
  const expressions: MaskResult["expressions"] = [];
  let i = 0;
  let copyFrom = 0;

  const takeExpression = (at: number): number => {
    // xml[at] === "@", xml[at + 1] is "(" or "{".
    let lexed: { tokens: CSharpToken[]; end: number };
    try {
      lexed = lexCSharp(xml, at + 1, true);
    } catch (e) {
      if (e instanceof CSharpLexError) {
        const where = lineColumn(xml, e.offset);
        const snippet = xml.slice(at, at + 30).split("\n")[0];
        throw new MaskError(
          `policy expression starting "${snippet}" does not end: ${e.message} at line ${where.line}, column ${where.column}`,
          at,
        );
      }
      throw e;
    }
    const n = expressions.length;
    if (MARK_BASE + n > MARK_MAX) throw new MaskError("too many policy expressions in one document", at);
    const source = xml.slice(at, lexed.end);
    recordExpressionTokens(source, lexed.tokens.map((t) => ({ ...t, offset: t.offset - at })));
    const codeStart = at + 2;
    const code = xml.slice(codeStart, lexed.end - 1);
    expressions.push({
      source,
      code,
      tokens: lexed.tokens.slice(1, -1).map((t) => ({ ...t, offset: t.offset - codeStart })),
      offset: at,
    });
    out.push(xml.slice(copyFrom, at));
    out.push(String.fromCharCode(MARK_BASE + n) + source.slice(1).replace(/[^\r\n]/g, FILL));
    copyFrom = lexed.end;
    return lexed.end;
  };

  while (i < xml.length) {
    const here = xml[i];
    const skipped = here === "<" ? markupEnd(xml, i) : undefined;
    if (here !== "<" && here !== "@") {
      i++;
    } else if (skipped !== undefined) {
      i = skipped;
    } else if (xml[i] === "<") {
      // A tag: walk its attributes; a quoted value starting with @( or @{ holds an expression.
      i++;
      while (i < xml.length && xml[i] !== ">") {
        const c = xml[i]!;
        if (c === '"' || c === "'") {
          if (xml[i + 1] === "@" && (xml[i + 2] === "(" || xml[i + 2] === "{")) {
            i = takeExpression(i + 1);
            // The rest of the value up to the closing quote stays as it is.
          } else {
            i++;
          }
          const close = xml.indexOf(c, i);
          i = close === -1 ? xml.length : close + 1;
        } else {
          i++;
        }
      }
      i++;
    } else if (xml[i] === "@" && (xml[i + 1] === "(" || xml[i + 1] === "{")) {
      i = takeExpression(i);
    } else {
      i++;
    }
  }
  out.push(xml.slice(copyFrom));
  return { masked: out.join(""), expressions };
}

const MARK_RE = /[\ue000-\uf8fe][\uf8ff\r\n]*/g;

function unmask(value: string, expressions: MaskResult["expressions"]): string {
  return value.replace(MARK_RE, (m) => {
    const expr = expressions[m.charCodeAt(0) - MARK_BASE];
    return expr ? expr.source : m;
  });
}

const parser = new XMLParser({
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: "",
  allowBooleanAttributes: true,
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: false,
  processEntities: true,
  htmlEntities: false,
  ignoreDeclaration: true,
  ignorePiTags: true,
  cdataPropName: "#cdata",
  commentPropName: "#comment",
  captureMetaData: true,
});
const META = XMLParser.getMetaDataSymbol() as unknown as symbol;

type RawNode = Record<string, unknown>;

function convert(raw: RawNode, xml: string, expressions: MaskResult["expressions"], source: string | undefined): PolicyNode | undefined {
  if ("#text" in raw) return { kind: "text", text: unmask(String(raw["#text"]), expressions) };
  if ("#comment" in raw) return undefined;
  if ("#cdata" in raw) {
    const parts = raw["#cdata"] as RawNode[];
    return { kind: "text", text: parts.map((p) => String(p["#text"] ?? "")).join("") };
  }
  const name = Object.keys(raw).find((k) => k !== ":@");
  if (name === undefined) return undefined;
  const attrsRaw = (raw[":@"] ?? {}) as Record<string, unknown>;
  const attributes: Record<string, string> = {};
  for (const [k, v] of Object.entries(attrsRaw)) attributes[k] = unmask(v === true ? "" : String(v), expressions);
  const children = ((raw[name] as RawNode[]) ?? [])
    .map((c) => convert(c, xml, expressions, source))
    .filter((c): c is PolicyNode => c !== undefined);
  const meta = (raw as Record<symbol, { startIndex?: number } | undefined>)[META];
  const { line, column } = lineColumn(xml, meta?.startIndex ?? 0);
  return source === undefined ? { kind: "element", name, attributes, children, line, column } : { kind: "element", name, attributes, children, line, column, source };
}

/**
 * Parses one policy document (not cached; see `parsePolicy`). `source`, when given, is recorded on
 * every element (see PolicyElement.source).
 */
export function parsePolicyXml(xml: string, source?: string): ParsedPolicy {
  let masked: MaskResult;
  try {
    masked = maskExpressions(xml);
  } catch (e) {
    if (e instanceof MaskError) {
      const { line, column } = lineColumn(xml, e.offset);
      return { ok: false, error: `${e.message} (line ${line}, column ${column})`, line, column };
    }
    throw e;
  }
  const valid = XMLValidator.validate(masked.masked, { allowBooleanAttributes: false });
  if (valid !== true) {
    const { line, col, msg } = valid.err;
    return { ok: false, error: `${msg} (line ${line}, column ${col})`, line, column: col };
  }
  const raw = parser.parse(masked.masked) as RawNode[];
  const top = raw
    .map((r) => convert(r, xml, masked.expressions, source))
    .filter((n): n is PolicyElement => n !== undefined && n.kind === "element");
  if (top.length !== 1) {
    return { ok: false, error: `expected exactly one root element, found ${top.length}`, line: 1, column: 1 };
  }
  const namedValueRefs = namedValueReferences(xml).map((r) => ({ name: r.name, ...lineColumn(xml, r.offset) }));
  return {
    ok: true,
    root: top[0]!,
    expressions: masked.expressions.map((e) => ({
      source: e.source,
      code: e.code,
      tokens: e.tokens,
      ...lineColumn(xml, e.offset),
    })),
    namedValueRefs,
  };
}

const cache = new WeakMap<PolicyDocument, ParsedPolicy>();
/**
 * Parses by file and text: a gateway holds many documents with the same text (every server's
 * preflight operations share one policy file), and a parse depends on nothing else. Trees are
 * read-only, so documents share them. Bounded, so a long-running process does not keep every text.
 */
const byText = new Map<string, ParsedPolicy>();
const BY_TEXT_LIMIT = 2000;

/** Parses a document, once: every rule asking for the same PolicyDocument object, or for a document of the same file and text, shares the result. */
export function parsePolicy(doc: PolicyDocument): ParsedPolicy {
  let parsed = cache.get(doc);
  if (!parsed) {
    const key = `${doc.file}\u0000${doc.xml}`;
    parsed = byText.get(key);
    if (!parsed) {
      parsed = parsePolicyXml(doc.xml, doc.file);
      if (byText.size >= BY_TEXT_LIMIT) byText.clear();
      byText.set(key, parsed);
    }
    cache.set(doc, parsed);
  }
  return parsed;
}

/** Depth-first walk over the elements of a tree, with each element's ancestors (outermost first). */
export function* walkElements(
  root: PolicyElement,
  ancestors: readonly PolicyElement[] = [],
): Generator<{ element: PolicyElement; ancestors: readonly PolicyElement[] }> {
  yield { element: root, ancestors };
  const inner = [...ancestors, root];
  for (const child of root.children) {
    if (child.kind === "element") yield* walkElements(child, inner);
  }
}

/** The element children of an element. */
export function childElements(element: PolicyElement): PolicyElement[] {
  return element.children.filter((c): c is PolicyElement => c.kind === "element");
}

/** All text directly inside an element (concatenated). */
export function ownText(element: PolicyElement): string {
  return element.children
    .filter((c): c is PolicyText => c.kind === "text")
    .map((c) => c.text)
    .join("");
}

/**
 * Where the markup starting at `xml[i]` that holds no elements or attributes ends: a comment, a
 * CDATA section, a processing instruction or a declaration (the end of `xml` when it is not
 * closed); undefined when `xml[i]` starts none of them (text, a tag).
 */
export function markupEnd(xml: string, i: number): number | undefined {
  const after = (close: string, from: number) => {
    const end = xml.indexOf(close, from);
    return end === -1 ? xml.length : end + close.length;
  };
  if (xml.startsWith("<!--", i)) return after("-->", i + 4);
  if (xml.startsWith("<![CDATA[", i)) return after("]]>", i + 9);
  if (xml.startsWith("<?", i) || xml.startsWith("<!", i)) return after(">", i + 2);
  return undefined;
}
