import type { CSharpToken } from "../csharp-lexer.js";
import { violation, wellFormedDocuments, type PolicyRule } from "./rule.js";

const ID = "regex-anchors";

/** `Regex.<method>(input, pattern, ...)`: the pattern is the second argument. */
const STATIC_METHODS = new Set(["IsMatch", "Match", "Matches", "Replace", "Split"]);

/**
 * No `$` anchor in a Regex pattern of a policy expression. In .NET, `$` (without RegexOptions.Multiline)
 * matches at the end of the input *or before a final "\n"*, so `^[A-Za-z0-9_-]{43}$` accepts 43
 * valid characters followed by a newline (issue 8 finding 10). `\z` matches only at the very end.
 *
 * Checked: the string literals of the pattern argument of `Regex.IsMatch/Match/Matches/Replace/Split`
 * (the second argument) and of `new Regex(...)` (the first), including both branches of a
 * conditional. A `$` escaped (`\$`) or inside a character class (`[$]`) is a literal dollar and
 * allowed; replacement strings (`$1`) are not patterns and are not checked. Patterns held in
 * variables are not followed.
 */
export const regexAnchors: PolicyRule = {
  id: ID,
  description: "Regex patterns in policy expressions anchor their end with \\z, never $ (which .NET also matches before a final newline).",
  check(set) {
    const out = [];
    for (const { doc, expressions } of wellFormedDocuments(set)) {
      for (const expr of expressions) {
        for (const literal of patternLiterals(expr.tokens)) {
          const pattern = literalValue(literal.text);
          if (pattern !== undefined && hasDollarAnchor(pattern)) {
            out.push(
              violation(ID, doc.name, `Regex pattern ${literal.text} in the policy expression at line ${expr.line}, column ${expr.column} uses $ as an anchor: in .NET, $ also matches before a final "\\n", so a value with a trailing newline passes; end the pattern with \\z`),
            );
          }
        }
      }
    }
    return out;
  },
};

/** The string tokens of every Regex pattern argument in a token stream. */
export function patternLiterals(tokens: readonly CSharpToken[]): CSharpToken[] {
  const found: CSharpToken[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t.kind !== "identifier" || t.text !== "Regex") continue;
    let open: number;
    let argument: number;
    if (tokens[i + 1]?.text === "." && STATIC_METHODS.has(tokens[i + 2]?.text ?? "") && tokens[i + 3]?.text === "(") {
      open = i + 3;
      argument = 1;
    } else if (tokens[i + 1]?.text === "(" && isConstructed(tokens, i)) {
      // `new Regex(pattern, ...)` (also `new System.Text.RegularExpressions.Regex(`).
      open = i + 1;
      argument = 0;
    } else {
      continue;
    }
    found.push(...argumentTokens(tokens, open, argument).filter((a) => a.kind === "string"));
  }
  return found;
}

/** True when the `Regex` at `i` follows `new`, directly or through a namespace (`new System.Text.RegularExpressions.Regex`). */
function isConstructed(tokens: readonly CSharpToken[], i: number): boolean {
  let j = i;
  while (tokens[j - 1]?.text === "." && tokens[j - 2]?.kind === "identifier") j -= 2;
  return tokens[j - 1]?.kind === "identifier" && tokens[j - 1]?.text === "new";
}

/** Tokens of the `index`-th top-level argument of the call whose "(" is at `open`. */
function argumentTokens(tokens: readonly CSharpToken[], open: number, index: number): CSharpToken[] {
  const out: CSharpToken[] = [];
  let depth = 0;
  let current = 0;
  for (let j = open; j < tokens.length; j++) {
    const t = tokens[j]!;
    if (t.kind === "punct" && (t.text === "(" || t.text === "[" || t.text === "{")) {
      depth++;
      if (depth === 1) continue;
    } else if (t.kind === "punct" && (t.text === ")" || t.text === "]" || t.text === "}")) {
      depth--;
      if (depth === 0) break;
    } else if (depth === 1 && t.kind === "punct" && t.text === ",") {
      current++;
      continue;
    }
    if (current === index) out.push(t);
  }
  return out;
}

/** The value of a regular or verbatim C# string literal (source text, quotes included); undefined for interpolated ones. */
export function literalValue(text: string): string | undefined {
  if (text.startsWith("$") || text.startsWith("@$")) return undefined;
  if (text.startsWith("@")) return text.slice(2, -1).replace(/""/g, '"');
  const body = text.slice(1, -1);
  let value = "";
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (c !== "\\") {
      value += c;
      continue;
    }
    const e = body[++i] ?? "";
    if (e === "u" || e === "x") {
      const hex = /^[0-9A-Fa-f]{1,4}/.exec(body.slice(i + 1, i + 5))?.[0] ?? "";
      value += String.fromCharCode(parseInt(hex || "0", 16));
      i += e === "u" ? 4 : hex.length;
    } else {
      value += ({ n: "\n", r: "\r", t: "\t", "0": "\0", a: "\x07", b: "\b", f: "\f", v: "\v" } as Record<string, string>)[e] ?? e;
    }
  }
  return value;
}

/** True when the pattern holds a `$` that is neither escaped nor inside a character class. */
export function hasDollarAnchor(pattern: string): boolean {
  let inClass = false;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === "\\") {
      i++;
      continue;
    }
    if (inClass) {
      if (c === "]") inClass = false;
      continue;
    }
    if (c === "[") {
      inClass = true;
      // A "]" right after "[" or "[^" is a literal member of the class.
      if (pattern[i + 1] === "^") i++;
      if (pattern[i + 1] === "]") i++;
      continue;
    }
    if (c === "$") return true;
  }
  return false;
}
