/**
 * A small lexer for the C# that API Management policy expressions (`@(...)`, `@{...}`) contain.
 *
 * It is not a C# parser: it knows enough of the lexical grammar (string, verbatim, interpolated and
 * char literals, comments, identifiers, numbers, punctuation) to find where an expression ends in
 * raw policy XML, and to hand the rules a token stream in which literals can never be mistaken for
 * code. Interpolation holes (`$"...{expr}..."`) are lexed as code.
 */

export type TokenKind = "identifier" | "string" | "char" | "number" | "punct";

export interface CSharpToken {
  readonly kind: TokenKind;
  /** The token's text. For string and char tokens: the literal's source text, quotes included. */
  readonly text: string;
  /** Offset of the token in the lexed source. */
  readonly offset: number;
}

/** Thrown when the source ends inside a literal, a comment or an unclosed bracket. */
export class CSharpLexError extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(message);
    this.name = "CSharpLexError";
  }
}

const isIdentStart = (c: string): boolean => /[A-Za-z_]/.test(c) || c > "\u007f";
const isIdentPart = (c: string): boolean => /[A-Za-z0-9_]/.test(c) || c > "\u007f";

/** Multi-character operators, longest first, so `=>` and `==` are single tokens. */
const OPERATORS = [
  "<<=", ">>=", "??=", "...", "::", "=>", "==", "!=", "<=", ">=", "&&", "||", "??", "?.", "++", "--", "+=", "-=", "*=",
  "/=", "%=", "&=", "|=", "^=", "->", "<<",
];

const OPEN: Record<string, string> = { "(": ")", "[": "]", "{": "}" };

interface LexState {
  readonly src: string;
  pos: number;
  readonly tokens: CSharpToken[];
}

/**
 * Lexes C# starting at `start` in `src`. When `stopAtBalance` is true, the first character must be
 * an opening bracket and lexing stops right after its matching closing bracket.
 * Returns the tokens and the offset just past the last character consumed.
 */
export function lexCSharp(src: string, start = 0, stopAtBalance = false): { tokens: CSharpToken[]; end: number } {
  const state: LexState = { src, pos: start, tokens: [] };
  const stack: { close: string; offset: number }[] = [];
  while (state.pos < src.length) {
    const before = state.tokens.length;
    if (!lexOne(state)) continue; // whitespace or comment
    if (state.tokens.length === before) continue;
    const token = state.tokens[state.tokens.length - 1]!;
    if (token.kind !== "punct") {
      if (stopAtBalance && stack.length === 0) {
        throw new CSharpLexError(`expected an opening bracket, found "${token.text}"`, token.offset);
      }
      continue;
    }
    const close = OPEN[token.text];
    if (close) {
      stack.push({ close, offset: token.offset });
    } else if (token.text === ")" || token.text === "]" || token.text === "}") {
      const top = stack.pop();
      if (!top || top.close !== token.text) {
        throw new CSharpLexError(`unbalanced "${token.text}"`, token.offset);
      }
      if (stopAtBalance && stack.length === 0) return { tokens: state.tokens, end: state.pos };
    } else if (stopAtBalance && stack.length === 0) {
      throw new CSharpLexError(`expected an opening bracket, found "${token.text}"`, token.offset);
    }
  }
  if (stack.length > 0) {
    const top = stack[stack.length - 1]!;
    throw new CSharpLexError(`"${src[top.offset]}" is never closed`, top.offset);
  }
  return { tokens: state.tokens, end: state.pos };
}

/**
 * Offset just past the policy expression whose `@` is at `at` (`@(...)` or `@{...}`): brackets
 * balanced, string, char and interpolated literals and comments skipped. The one answer to where an
 * expression ends in raw policy XML, for the parser and for the shaping of policies sent to API
 * Management alike. Throws CSharpLexError when it does not end.
 */
export function expressionEnd(src: string, at: number): number {
  return lexCSharp(src, at + 1, true).end;
}

/** Lexes one token (pushing it) or skips whitespace/comments. Returns false when nothing was pushed. */
function lexOne(state: LexState): boolean {
  const { src } = state;
  const c = src[state.pos]!;
  const next = src[state.pos + 1] ?? "";
  if (/\s/.test(c)) {
    state.pos++;
    return false;
  }
  if (c === "/" && next === "/") {
    const nl = src.indexOf("\n", state.pos);
    state.pos = nl === -1 ? src.length : nl + 1;
    return false;
  }
  if (c === "/" && next === "*") {
    const endComment = src.indexOf("*/", state.pos + 2);
    if (endComment === -1) throw new CSharpLexError("unterminated /* comment", state.pos);
    state.pos = endComment + 2;
    return false;
  }
  // String literals: "..", @"..", $"..", $@"..", @$"..".
  const prefix = /^(\$@|@\$|\$|@)?"/.exec(src.slice(state.pos, state.pos + 3));
  if (prefix) {
    lexString(state, prefix[1] ?? "");
    return true;
  }
  if (c === "'") {
    const startChar = state.pos;
    let i = state.pos + 1;
    while (i < src.length && src[i] !== "'") {
      if (src[i] === "\\") i++;
      if (src[i] === "\n") break;
      i++;
    }
    if (src[i] !== "'") throw new CSharpLexError("unterminated char literal", startChar);
    state.pos = i + 1;
    state.tokens.push({ kind: "char", text: src.slice(startChar, state.pos), offset: startChar });
    return true;
  }
  if (isIdentStart(c) || (c === "@" && isIdentStart(next))) {
    const startIdent = state.pos;
    let i = state.pos + 1;
    while (i < src.length && isIdentPart(src[i]!)) i++;
    state.pos = i;
    // `@class` is the identifier `class`.
    state.tokens.push({ kind: "identifier", text: src.slice(startIdent, i).replace(/^@/, ""), offset: startIdent });
    return true;
  }
  if (/[0-9]/.test(c) || (c === "." && /[0-9]/.test(next))) {
    const m = /^(0[xX][0-9a-fA-F_]+|0[bB][01_]+|[0-9_]*\.?[0-9_]+([eE][+-]?[0-9_]+)?)[a-zA-Z]*/.exec(src.slice(state.pos));
    const text = m ? m[0] : c;
    state.tokens.push({ kind: "number", text, offset: state.pos });
    state.pos += text.length;
    return true;
  }
  const op = OPERATORS.find((o) => src.startsWith(o, state.pos)) ?? c;
  state.tokens.push({ kind: "punct", text: op, offset: state.pos });
  state.pos += op.length;
  return true;
}

/** Lexes a string literal whose prefix (`@`, `$`, `$@`, `@$` or empty) starts at state.pos. */
function lexString(state: LexState, prefix: string): void {
  const { src } = state;
  const start = state.pos;
  const verbatim = prefix.includes("@");
  const interpolated = prefix.includes("$");
  let i = start + prefix.length + 1;
  let segmentStart = start;
  for (;;) {
    if (i >= src.length) throw new CSharpLexError("unterminated string literal", start);
    const c = src[i]!;
    if (!verbatim && c === "\\") {
      i += 2;
      continue;
    }
    if (!verbatim && c === "\n") throw new CSharpLexError("newline in string literal", start);
    if (c === '"') {
      if (verbatim && src[i + 1] === '"') {
        i += 2;
        continue;
      }
      i++;
      break;
    }
    if (interpolated && c === "{") {
      if (src[i + 1] === "{") {
        i += 2;
        continue;
      }
      // A hole: emit the literal so far, lex the hole's code up to its closing brace.
      state.tokens.push({ kind: "string", text: src.slice(segmentStart, i), offset: segmentStart });
      const hole = lexHole(src, i + 1);
      state.tokens.push(...hole.tokens);
      i = hole.end; // at the closing "}"
      segmentStart = i;
      i++;
      continue;
    }
    i++;
  }
  state.tokens.push({ kind: "string", text: src.slice(segmentStart, i), offset: segmentStart });
  state.pos = i;
}

/**
 * Lexes an interpolation hole's code from `start` up to (not including) the `}` that closes it,
 * skipping a format clause (`{x:yyyy}`) at depth zero.
 */
function lexHole(src: string, start: number): { tokens: CSharpToken[]; end: number } {
  const state: LexState = { src, pos: start, tokens: [] };
  let depth = 0;
  while (state.pos < src.length) {
    const c = src[state.pos]!;
    if (depth === 0 && c === "}") return { tokens: state.tokens, end: state.pos };
    if (depth === 0 && c === ":" && src[state.pos + 1] !== ":") {
      // Format clause: runs to the closing brace.
      const close = src.indexOf("}", state.pos);
      if (close === -1) break;
      return { tokens: state.tokens, end: close };
    }
    const before = state.tokens.length;
    lexOne(state);
    if (state.tokens.length > before) {
      const t = state.tokens[state.tokens.length - 1]!;
      if (t.kind === "punct" && OPEN[t.text]) depth++;
      else if (t.kind === "punct" && (t.text === ")" || t.text === "]" || t.text === "}")) depth--;
    }
  }
  throw new CSharpLexError("unterminated interpolation hole", start);
}

/** The C# keywords that can appear in expressions (never type names to check). */
export const CSHARP_KEYWORDS: ReadonlySet<string> = new Set([
  "abstract", "as", "base", "bool", "break", "byte", "case", "catch", "char", "checked", "class", "const", "continue",
  "decimal", "default", "delegate", "do", "double", "else", "enum", "event", "explicit", "extern", "false", "finally",
  "fixed", "float", "for", "foreach", "goto", "if", "implicit", "in", "int", "interface", "internal", "is", "lock", "long",
  "namespace", "new", "null", "object", "operator", "out", "override", "params", "private", "protected", "public",
  "readonly", "ref", "return", "sbyte", "sealed", "short", "sizeof", "stackalloc", "static", "string", "struct",
  "switch", "this", "throw", "true", "try", "typeof", "uint", "ulong", "unchecked", "unsafe", "ushort", "using",
  "virtual", "void", "volatile", "while", "var", "dynamic", "nameof", "when", "where", "global",
]);

const expressionTokenCache = new Map<string, readonly CSharpToken[]>();

/**
 * The tokens of a policy expression as written (`@(...)` or `@{...}`), its outer brackets
 * included, offsets relative to the expression; empty when it does not lex. Memoized: the parser
 * records what it lexed (recordExpressionTokens), so the rules and the local gateway do not lex
 * the same expression again.
 */
export function expressionTokens(expression: string): readonly CSharpToken[] {
  let tokens = expressionTokenCache.get(expression);
  if (!tokens) {
    try {
      tokens = lexCSharp(expression, 1, true).tokens;
    } catch {
      tokens = [];
    }
    recordExpressionTokens(expression, tokens);
  }
  return tokens;
}

/** Records the tokens of an expression lexed elsewhere (offsets relative to the expression). */
export function recordExpressionTokens(expression: string, tokens: readonly CSharpToken[]): void {
  if (expressionTokenCache.size > 5000) expressionTokenCache.clear();
  expressionTokenCache.set(expression, tokens);
}
