/**
 * Checks for the shape policy XML is sent to API Management in (constructs/policy-shape.ts): what
 * the azurerm provider's diff suppression tolerates after API Management re-serializes a document,
 * and that shaping changed nothing a policy does.
 */
import { expressionEnd, lexCSharp } from "../apim-policy/csharp-lexer.js";
import { parsePolicyXml, type PolicyElement, type PolicyNode } from "../apim-policy/parse.js";

/**
 * azurerm 4.55's fallback comparison for `azurerm_api_management_policy_fragment.value`
 * (`normalizeXmlWhitespaceString` in internal/services/apimanagement/diff_suppress.go): every LF,
 * CR, tab and space removed. It is what decides for our fragments, whose raw C# (`"` inside
 * attributes) makes the provider's XML-token comparison fail first. Two values with equal
 * normalizations show no diff.
 */
export function normalizeLikeAzurerm(xml: string): string {
  return xml.replace(/[\n\r\t ]/g, "");
}

/**
 * What is wrong with a fragment's shape, one message per problem: anything outside
 * `<fragment>...</fragment>` (API Management keeps comments only between policy elements), a
 * comment deeper than a direct child of the root, a tab or line break inside an attribute value
 * (it comes back as `&#xA;`/`&#x9;`), single-quoted attributes (they come back double-quoted),
 * CDATA sections, processing instructions or a byte order mark.
 */
export function fragmentShapeProblems(xml: string): string[] {
  const problems: string[] = [];
  if (xml.startsWith("\uFEFF")) problems.push("starts with a byte order mark");
  if (!xml.startsWith("<fragment>")) problems.push(`expected the document to start with <fragment>, found ${JSON.stringify(xml.slice(0, 30))}`);
  if (!/<\/fragment>\s*$/.test(xml)) problems.push(`expected the document to end with </fragment>, found ${JSON.stringify(xml.slice(-30))}`);
  let depth = 0;
  let i = 0;
  while (i < xml.length) {
    const c = xml[i]!;
    if (c === "@" && (xml[i + 1] === "(" || xml[i + 1] === "{")) {
      i = expressionEnd(xml, i);
    } else if (c !== "<") {
      if (depth === 0 && !/\s/.test(c)) problems.push(`text outside the root element at offset ${i}`);
      i++;
    } else if (xml.startsWith("<!--", i)) {
      const end = xml.indexOf("-->", i);
      if (depth !== 1) problems.push(`a comment at depth ${depth} (expected only direct children of <fragment>): ${JSON.stringify(xml.slice(i, i + 40))}`);
      i = end + 3;
    } else if (xml.startsWith("<![CDATA[", i)) {
      problems.push("a CDATA section");
      i = xml.indexOf("]]>", i) + 3;
    } else if (xml.startsWith("<?", i) || xml.startsWith("<!", i)) {
      problems.push(`a processing instruction or declaration: ${JSON.stringify(xml.slice(i, i + 30))}`);
      i = xml.indexOf(">", i) + 1;
    } else if (xml.startsWith("</", i)) {
      depth--;
      i = xml.indexOf(">", i) + 1;
    } else {
      i++;
      let selfClosing = false;
      while (i < xml.length && xml[i] !== ">") {
        const q = xml[i]!;
        if (q === "'") problems.push(`a single-quoted attribute value near ${JSON.stringify(xml.slice(i - 20, i + 20))}`);
        if (q === '"' || q === "'") {
          let j = i + 1;
          if (xml[j] === "@" && (xml[j + 1] === "(" || xml[j + 1] === "{")) j = expressionEnd(xml, j);
          const close = xml.indexOf(q, j);
          const value = xml.slice(i + 1, close);
          if (/[\t\r\n]/.test(value)) problems.push(`a tab or line break inside the attribute value ${JSON.stringify(value.slice(0, 40))}`);
          i = close + 1;
          continue;
        }
        if (q === "/" && xml[i + 1] === ">") selfClosing = true;
        i++;
      }
      if (!selfClosing) depth++;
      i++;
    }
  }
  return problems;
}

/** Tab or line break inside any attribute value of a policy (any scope), as messages. */
export function attributeLineBreaks(xml: string): string[] {
  const parsed = parsePolicyXml(xml);
  if (!parsed.ok) return [`does not parse: ${parsed.error}`];
  const found: string[] = [];
  const visit = (e: PolicyElement) => {
    for (const [name, value] of Object.entries(e.attributes)) {
      if (/[\t\r\n]/.test(value)) found.push(`<${e.name} ${name}> at line ${e.line} holds a tab or line break`);
    }
    for (const child of e.children) if (child.kind === "element") visit(child);
  };
  visit(parsed.root);
  return found;
}

/** C# token texts of an expression value (comments and whitespace are not tokens). */
function tokenTexts(value: string): string[] {
  return lexCSharp(value, 1, true).tokens.map((t) => t.text);
}

function attributeMeaning(value: string): string {
  if (/^@[({]/.test(value)) {
    const end = lexCSharp(value, 1, true).end;
    return JSON.stringify([tokenTexts(value), value.slice(end).replace(/[\t\r\n]/g, " ")]);
  }
  return value.replace(/[\t\r\n]/g, " ");
}

function meaningfulChildren(children: readonly PolicyNode[]): PolicyNode[] {
  return children.filter((c) => c.kind === "element" || c.text.trim() !== "");
}

/**
 * Differences in meaning between a policy file and its shaped form: element names and lines,
 * attribute names, attribute values (C# compared token by token, other values with tabs and line
 * breaks read as spaces, as XML does), and non-blank texts. Lines are compared for every element
 * but the root. Empty when shaping changed nothing a
 * policy does.
 */
export function meaningDifferences(source: string, shaped: string): string[] {
  const a = parsePolicyXml(source);
  const b = parsePolicyXml(shaped);
  if (!a.ok || !b.ok) return [`does not parse: ${a.ok ? "" : `source: ${a.error}`} ${b.ok ? "" : `shaped: ${b.error}`}`];
  const diffs: string[] = [];
  const compare = (x: PolicyElement, y: PolicyElement, path: string) => {
    const here = `${path}/${x.name}`;
    if (x.name !== y.name) diffs.push(`${here}: element ${y.name} instead`);
    // The root moves up when the header comment moves inside it; every other element keeps its line.
    if (path !== "" && x.line !== y.line) diffs.push(`${here}: moved from line ${x.line} to line ${y.line}`);
    const keys = Object.keys(x.attributes);
    if (JSON.stringify(keys) !== JSON.stringify(Object.keys(y.attributes))) diffs.push(`${here}: attributes ${JSON.stringify(Object.keys(y.attributes))} instead of ${JSON.stringify(keys)}`);
    for (const k of keys) {
      if (attributeMeaning(x.attributes[k]!) !== attributeMeaning(y.attributes[k] ?? "")) diffs.push(`${here}@${k}: value changed`);
    }
    const xc = meaningfulChildren(x.children);
    const yc = meaningfulChildren(y.children);
    if (xc.length !== yc.length) {
      diffs.push(`${here}: ${yc.length} children instead of ${xc.length}`);
      return;
    }
    xc.forEach((c, i) => {
      const d = yc[i]!;
      if (c.kind === "element" && d.kind === "element") compare(c, d, here);
      else if (c.kind === "text" && d.kind === "text") {
        if (c.text !== d.text) diffs.push(`${here}: text changed`);
      } else diffs.push(`${here}: child ${i} changed kind`);
    });
  };
  compare(a.root, b.root, "");
  return diffs;
}
