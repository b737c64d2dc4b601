/**
 * The shape in which policy XML is sent to API Management, so that what API Management hands back
 * compares equal under the azurerm provider's diff suppression (no perpetual diff on every plan;
 * hashicorp/terraform-provider-azurerm#29521, #32483).
 *
 * API Management re-serializes what it stores: indentation becomes tabs, line ends CRLF, `<a/>`
 * becomes `<a />`, and in its `xml` export (what azurerm reads policies back as) a line break inside
 * an attribute value becomes `&#xA;`. The provider first compares XML tokens, which fails on raw C#
 * (`"` inside attributes), and then falls back to a string comparison after removing every space,
 * tab, CR and LF (`XmlWhitespaceDiffSuppress` for fragments; `XmlWithDotNetInterpolationsDiffSuppress`,
 * which also decodes `&quot; &lt; &gt; &amp; &apos;`, for policies). So whitespace anywhere is
 * tolerated, but not:
 *
 * - content outside the root element. API Management documents that comments are kept "between
 *   policy elements"; a fragment's header comment is therefore moved inside `<fragment>`, as its
 *   first child (the same text, so the portal still shows what the fragment does);
 * - a line break or tab inside an attribute value (it comes back as `&#xA;`/`&#x9;`, which no
 *   normalization removes). Multi-line C# in attributes (`value="@{ ... }"`) is joined onto one line:
 *   whitespace between C# tokens becomes one space, `//` comments become block comments, string and
 *   char literals stay byte for byte (a line break inside a verbatim string cannot be moved and is
 *   refused). The line breaks removed from a value are put back right after its closing quote, where
 *   XML allows whitespace, so every element keeps its line number for the static checks' messages.
 *
 * Nothing else changes: the result parses to the same elements, attributes (modulo that
 * whitespace), texts and C# tokens as the file (tested for every policy and fragment).
 */
import { CSharpLexError, expressionEnd as lexedExpressionEnd } from "../apim-policy/csharp-lexer.js";
import { lineColumn, markupEnd } from "../apim-policy/parse.js";

/** A policy file that cannot be put in the shape, with the file and line. */
export class PolicyShapeError extends Error {
  override readonly name = "PolicyShapeError";
}

/**
 * Joins one C# expression (`@(...)`/`@{...}` as written) onto a single line without changing its
 * tokens. `where` names the place for errors.
 */
export function joinCSharpLines(expression: string, where: string | (() => string)): string {
  const out: string[] = [];
  let i = 0;
  const n = expression.length;

  const fail = (what: string): never => {
    throw new PolicyShapeError(`${typeof where === "string" ? where : where()}: ${what}`);
  };

  /** Copies a regular ("...") or verbatim (@"...") string literal starting at i (at its quote). */
  const copyString = (verbatim: boolean, interpolated: boolean): void => {
    out.push(expression[i]!); // the opening quote
    i++;
    while (i < n) {
      const c = expression[i]!;
      if (!verbatim && c === "\\") {
        out.push(expression.slice(i, i + 2));
        i += 2;
        continue;
      }
      if (c === "\n" || c === "\r") fail("a line break inside a C# string literal of an attribute cannot be joined onto one line; write it as \\n in a regular string");
      if (c === '"') {
        if (verbatim && expression[i + 1] === '"') {
          out.push('""');
          i += 2;
          continue;
        }
        out.push(c);
        i++;
        return;
      }
      if (interpolated && c === "{") {
        if (expression[i + 1] === "{") {
          out.push("{{");
          i += 2;
          continue;
        }
        out.push("{");
        i++;
        copyCode("}");
        continue;
      }
      out.push(c);
      i++;
    }
    fail("a C# string literal does not end");
  };

  /** Copies code up to (and including) `close` at depth zero, or to the end when close is "". */
  const copyCode = (close: string): void => {
    let depth = 0;
    while (i < n) {
      const c = expression[i]!;
      const next = expression[i + 1] ?? "";
      if (close !== "" && depth === 0 && c === close) {
        out.push(c);
        i++;
        return;
      }
      if (/\s/.test(c)) {
        let j = i;
        while (j < n && /\s/.test(expression[j]!)) j++;
        const run = expression.slice(i, j);
        out.push(/[\t\r\n]/.test(run) ? " " : run);
        i = j;
        continue;
      }
      if (c === "/" && next === "/") {
        let j = expression.indexOf("\n", i);
        if (j === -1) j = n;
        const text = expression.slice(i + 2, j).replace(/\r$/, "").trim();
        if (text.includes("*/")) fail(`the // comment ${JSON.stringify(text)} contains "*/" and cannot become a block comment`);
        out.push(text === "" ? " " : `/* ${text} */`);
        i = j;
        continue;
      }
      if (c === "/" && next === "*") {
        const end = expression.indexOf("*/", i + 2);
        if (end === -1) fail("a /* comment does not end");
        out.push(expression.slice(i, end + 2).replace(/\s*[\t\r\n]\s*/g, " "));
        i = end + 2;
        continue;
      }
      const prefix = c === '"' || c === "$" || c === "@" ? /^(\$@|@\$|\$|@)?"/.exec(expression.slice(i, i + 3)) : null;
      if (prefix) {
        out.push(expression.slice(i, i + prefix[0].length - 1));
        i += prefix[0].length - 1;
        const p = prefix[1] ?? "";
        copyString(p.includes("@"), p.includes("$"));
        continue;
      }
      if (c === "'") {
        let j = i + 1;
        while (j < n && expression[j] !== "'") {
          if (expression[j] === "\\") j++;
          j++;
        }
        out.push(expression.slice(i, j + 1));
        i = j + 1;
        continue;
      }
      if (c === "(" || c === "[" || c === "{") depth++;
      else if (c === ")" || c === "]" || c === "}") depth--;
      out.push(c);
      i++;
    }
  };

  copyCode("");
  return out.join("");
}

/**
 * Offset just past the C# expression whose `@` is at `at` (apim-policy/csharp-lexer.ts,
 * expressionEnd). `where` names the place for the PolicyShapeError thrown when it does not end.
 */
function shapedExpressionEnd(src: string, at: number, where: () => string): number {
  try {
    return lexedExpressionEnd(src, at);
  } catch (e) {
    if (e instanceof CSharpLexError) throw new PolicyShapeError(`${where()}: the policy expression does not end (${e.message})`);
    throw e;
  }
}

/**
 * Puts every attribute value on one line (see the module comment); the line breaks removed are
 * re-inserted after the value's closing quote. Comments, CDATA sections and processing
 * instructions are left alone; so is element text (API Management keeps line breaks in text).
 */
export function joinAttributeLines(xml: string, file: string): string {
  const out: string[] = [];
  let i = 0;
  let copyFrom = 0;
  let skipped: number | undefined;
  while (i < xml.length) {
    if (xml[i] === "@" && (xml[i + 1] === "(" || xml[i + 1] === "{")) {
      // A policy expression in text: raw C# whose `<` and quotes are not markup; left as it is.
      const at = i;
      i = shapedExpressionEnd(xml, at, () => `${file} line ${lineColumn(xml, at).line}`);
    } else if (xml[i] !== "<") {
      i++;
    } else if ((skipped = markupEnd(xml, i)) !== undefined) {
      i = skipped;
    } else if (xml.startsWith("</", i)) {
      const end = xml.indexOf(">", i + 2);
      i = end === -1 ? xml.length : end + 1;
    } else {
      // A start tag: walk its attributes.
      i++;
      while (i < xml.length && xml[i] !== ">") {
        const quote = xml[i]!;
        if (quote !== '"' && quote !== "'") {
          i++;
          continue;
        }
        const valueStart = i + 1;
        let valueEnd: number;
        let joined: string | undefined;
        const where = () => `${file} line ${lineColumn(xml, valueStart).line}`;
        if (xml[valueStart] === "@" && (xml[valueStart + 1] === "(" || xml[valueStart + 1] === "{")) {
          const end = shapedExpressionEnd(xml, valueStart, where);
          valueEnd = xml.indexOf(quote, end);
          if (valueEnd === -1) throw new PolicyShapeError(`${where()}: the attribute value does not end`);
          const expression = xml.slice(valueStart, end);
          if (/[\t\r\n]/.test(xml.slice(valueStart, valueEnd))) {
            joined = joinCSharpLines(expression, where) + xml.slice(end, valueEnd).replace(/[\t\r\n]/g, " ");
          }
        } else {
          valueEnd = xml.indexOf(quote, valueStart);
          if (valueEnd === -1) throw new PolicyShapeError(`${where()}: the attribute value does not end`);
          // XML attribute-value normalization: a tab or line break in a value means a space.
          if (/[\t\r\n]/.test(xml.slice(valueStart, valueEnd))) joined = xml.slice(valueStart, valueEnd).replace(/\r\n|[\t\r\n]/g, " ");
        }
        if (joined !== undefined) {
          const breaks = (xml.slice(valueStart, valueEnd).match(/\n/g) ?? []).length;
          out.push(xml.slice(copyFrom, valueStart), joined, quote, "\n".repeat(breaks));
          copyFrom = valueEnd + 1;
        }
        i = valueEnd + 1;
      }
      i++;
    }
  }
  out.push(xml.slice(copyFrom));
  return out.join("");
}

/** Skips whitespace, comments and processing instructions from `at`; returns the comments and where it stopped. */
function skipProlog(xml: string, at: number, file: string, where: "before" | "after"): { comments: string[]; end: number } {
  const comments: string[] = [];
  let i = at;
  for (;;) {
    while (i < xml.length && /\s/.test(xml[i]!)) i++;
    if (xml.startsWith("<!--", i)) {
      const end = xml.indexOf("-->", i + 4);
      if (end === -1) throw new PolicyShapeError(`${file} line ${lineColumn(xml, i).line}: a comment does not end`);
      comments.push(xml.slice(i, end + 3));
      i = end + 3;
    } else if (where === "before" && xml.startsWith("<?", i)) {
      // The XML declaration carries nothing API Management keeps.
      const end = xml.indexOf("?>", i + 2);
      if (end === -1) throw new PolicyShapeError(`${file} line ${lineColumn(xml, i).line}: a processing instruction does not end`);
      i = end + 2;
    } else {
      return { comments, end: i };
    }
  }
}

/**
 * A fragment as `addPolicyFragment` sends it: nothing outside `<fragment>...</fragment>` (comments
 * before and after the root move inside it), attribute values on one line.
 */
export function shapeFragmentXml(source: string, file: string): string {
  const xml = source.replace(/^\uFEFF/, "");
  const before = skipProlog(xml, 0, file, "before");
  const open = /^<fragment(\s[^>]*)?>/.exec(xml.slice(before.end));
  if (!open) {
    throw new PolicyShapeError(`${file} line ${lineColumn(xml, before.end).line}: expected the root element <fragment> after the header comment, found ${JSON.stringify(xml.slice(before.end, before.end + 20))}`);
  }
  const close = xml.lastIndexOf("</fragment>");
  if (close < before.end) throw new PolicyShapeError(`${file}: the root element <fragment> is never closed`);
  const after = skipProlog(xml, close + "</fragment>".length, file, "after");
  if (after.end !== xml.length) {
    throw new PolicyShapeError(`${file} line ${lineColumn(xml, after.end).line}: found ${JSON.stringify(xml.slice(after.end, after.end + 20))} after </fragment>; expected only comments or whitespace`);
  }
  const openEnd = before.end + open[0].length;
  const leading = before.comments.map((c) => `\n\t${c}`).join("");
  const trailing = after.comments.map((c) => `\t${c}\n`).join("");
  const body = xml.slice(openEnd, close);
  const inner = trailing === "" ? body : `${body.replace(/[ \t]*$/, "")}${body.endsWith("\n") ? "" : "\n"}${trailing}`;
  return joinAttributeLines(`${open[0]}${leading}${inner}</fragment>\n`, file);
}

/** A policy (global, API or operation) as the gateway sends it: attribute values on one line. */
export function shapePolicyXml(source: string, file: string): string {
  return joinAttributeLines(source.replace(/^\uFEFF/, ""), file);
}
