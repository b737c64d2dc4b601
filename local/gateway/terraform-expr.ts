/**
 * A small evaluator for the Terraform template strings found in a synthesized `cdk.tf.json`
 * (`"${azurerm_api_management_api.mcp.name}"`, `"https://${lower(var.name)}.azure-api.net"`).
 * It supports what CDKTF emits for this project: references (with `.attr` and `[index]`),
 * string/number/bool literals, and a handful of pure functions. Anything else fails loudly
 * with the offending text, so the local gateway never runs on a half-understood configuration.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { resolve as resolvePath } from "node:path";

/** Resolves a reference such as `["data","azurerm_client_config","current","tenant_id"]`. */
export type ReferenceResolver = (path: readonly (string | number)[]) => unknown;

export interface TemplateOptions {
  /** Directory against which `file()` paths are resolved. */
  readonly baseDir?: string;
}

export class TerraformExpressionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "TerraformExpressionError";
  }
}

/** True when the string contains an interpolation that must be evaluated. */
export function hasInterpolation(value: string): boolean {
  return /(^|[^$])\$\{/.test(value) || /(^|[^%])%\{/.test(value);
}

/**
 * Evaluates a Terraform template string. A template that is exactly one `${expr}` returns the
 * expression's value unchanged (which may be a number, boolean, list or object); otherwise the
 * parts are concatenated as strings.
 */
export function evaluateTemplate(template: string, resolver: ReferenceResolver, options: TemplateOptions = {}): unknown {
  const parser = new Parser(template, resolver, options, template);
  return parser.template(undefined);
}

type Token = { kind: "ident" | "string" | "number" | "punct" | "eof"; text: string; value?: unknown };

class Parser {
  private pos = 0;

  constructor(
    private readonly src: string,
    private readonly resolver: ReferenceResolver,
    private readonly options: TemplateOptions,
    private readonly whole: string,
  ) {}

  private fail(what: string): never {
    throw new TerraformExpressionError(`${what} in Terraform expression ${JSON.stringify(this.whole)}`);
  }

  /** Parses template text until `terminator` (a closing quote inside an expression) or end of input. */
  template(terminator: string | undefined): unknown {
    const parts: unknown[] = [];
    let text = "";
    while (this.pos < this.src.length) {
      const c = this.src[this.pos];
      if (terminator !== undefined && c === terminator) break;
      if (terminator !== undefined && c === "\\") {
        text += this.escape();
        continue;
      }
      if (this.src.startsWith("$${", this.pos)) {
        text += "${";
        this.pos += 3;
        continue;
      }
      if (this.src.startsWith("%%{", this.pos)) {
        text += "%{";
        this.pos += 3;
        continue;
      }
      if (this.src.startsWith("%{", this.pos)) this.fail("template directives (%{...}) are not supported");
      if (this.src.startsWith("${", this.pos)) {
        if (text) parts.push(text);
        text = "";
        this.pos += 2;
        const value = this.expression();
        this.skipSpace();
        if (this.src[this.pos] !== "}") this.fail(`expected "}" at offset ${this.pos}`);
        this.pos++;
        parts.push({ interpolated: value });
        continue;
      }
      text += c;
      this.pos++;
    }
    if (terminator === undefined && parts.length === 1 && text === "" && isInterp(parts[0])) {
      return parts[0].interpolated;
    }
    if (text) parts.push(text);
    return parts.map((p) => (isInterp(p) ? toStringValue(p.interpolated, this.whole) : p)).join("");
  }

  private escape(): string {
    const next = this.src[this.pos + 1];
    this.pos += 2;
    switch (next) {
      case "n":
        return "\n";
      case "t":
        return "\t";
      case "r":
        return "\r";
      case '"':
        return '"';
      case "\\":
        return "\\";
      default:
        return this.fail(`unsupported escape "\\${next ?? ""}"`);
    }
  }

  private skipSpace(): void {
    while (this.pos < this.src.length && /\s/.test(this.src[this.pos]!)) this.pos++;
  }

  private peek(): Token {
    this.skipSpace();
    const save = this.pos;
    const tok = this.next();
    this.pos = save;
    return tok;
  }

  private next(): Token {
    this.skipSpace();
    if (this.pos >= this.src.length) return { kind: "eof", text: "" };
    const rest = this.src.slice(this.pos);
    const ident = /^[A-Za-z_][A-Za-z0-9_-]*/.exec(rest);
    if (ident) {
      this.pos += ident[0].length;
      return { kind: "ident", text: ident[0] };
    }
    const num = /^[0-9]+(\.[0-9]+)?/.exec(rest);
    if (num) {
      this.pos += num[0].length;
      return { kind: "number", text: num[0], value: Number(num[0]) };
    }
    if (rest[0] === '"') {
      this.pos++;
      const value = this.template('"');
      if (this.src[this.pos] !== '"') this.fail("unterminated string");
      this.pos++;
      return { kind: "string", text: "", value };
    }
    this.pos++;
    return { kind: "punct", text: rest[0]! };
  }

  expression(): unknown {
    const value = this.primary();
    const tok = this.peek();
    if (tok.kind === "punct" && "=!<>&|?+-*/%".includes(tok.text)) {
      this.fail(`operator "${tok.text}" is not supported`);
    }
    return value;
  }

  private primary(): unknown {
    const tok = this.next();
    if (tok.kind === "string" || tok.kind === "number") return this.postfix(tok.value);
    if (tok.kind === "ident") {
      if (tok.text === "true") return true;
      if (tok.text === "false") return false;
      if (tok.text === "null") return null;
      const after = this.peek();
      if (after.kind === "punct" && after.text === "(") {
        this.next();
        const args: unknown[] = [];
        if (!(this.peek().kind === "punct" && this.peek().text === ")")) {
          for (;;) {
            args.push(this.expression());
            const sep = this.next();
            if (sep.kind === "punct" && sep.text === ")") break;
            if (!(sep.kind === "punct" && sep.text === ",")) this.fail(`expected "," or ")" in call to ${tok.text}()`);
          }
        } else {
          this.next();
        }
        return this.postfix(callFunction(tok.text, args, this.options, this.whole));
      }
      const path: (string | number)[] = [tok.text];
      for (;;) {
        const p = this.peek();
        if (p.kind === "punct" && p.text === ".") {
          this.next();
          const name = this.next();
          if (name.kind === "ident") path.push(name.text);
          else if (name.kind === "number") path.push(Number(name.text));
          else this.fail(`expected an attribute name after "." in ${path.join(".")}`);
        } else if (p.kind === "punct" && p.text === "[") {
          this.next();
          const idx = this.expression();
          const close = this.next();
          if (!(close.kind === "punct" && close.text === "]")) this.fail(`expected "]" after index in ${path.join(".")}`);
          if (typeof idx !== "string" && typeof idx !== "number") this.fail(`index must be a string or number in ${path.join(".")}`);
          path.push(idx);
        } else break;
      }
      return this.resolver(path);
    }
    if (tok.kind === "punct" && tok.text === "(") {
      const v = this.expression();
      const close = this.next();
      if (!(close.kind === "punct" && close.text === ")")) this.fail('expected ")"');
      return this.postfix(v);
    }
    if (tok.kind === "punct" && tok.text === "[") {
      const items: unknown[] = [];
      if (this.peek().text === "]") {
        this.next();
        return items;
      }
      for (;;) {
        items.push(this.expression());
        const sep = this.next();
        if (sep.text === "]") break;
        if (sep.text !== ",") this.fail('expected "," or "]" in list');
      }
      return this.postfix(items);
    }
    return this.fail(`unexpected ${tok.kind === "eof" ? "end of input" : JSON.stringify(tok.text)}`);
  }

  private postfix(value: unknown): unknown {
    let v = value;
    for (;;) {
      const p = this.peek();
      if (p.kind === "punct" && p.text === "[") {
        this.next();
        const idx = this.expression();
        if (this.next().text !== "]") this.fail('expected "]"');
        v = indexValue(v, idx, this.whole);
      } else if (p.kind === "punct" && p.text === ".") {
        this.next();
        const name = this.next();
        v = indexValue(v, name.kind === "number" ? Number(name.text) : name.text, this.whole);
      } else return v;
    }
  }
}

function isInterp(p: unknown): p is { interpolated: unknown } {
  return typeof p === "object" && p !== null && "interpolated" in p;
}

function indexValue(v: unknown, idx: unknown, whole: string): unknown {
  if (Array.isArray(v) && typeof idx === "number") return v[idx];
  if (v && typeof v === "object" && (typeof idx === "string" || typeof idx === "number")) {
    return (v as Record<string, unknown>)[String(idx)];
  }
  throw new TerraformExpressionError(`cannot index ${JSON.stringify(v)} with ${JSON.stringify(idx)} in ${JSON.stringify(whole)}`);
}

function toStringValue(v: unknown, whole: string): string {
  if (typeof v === "string") return v;
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  throw new TerraformExpressionError(`cannot interpolate a non-string value ${JSON.stringify(v)} in ${JSON.stringify(whole)}`);
}

function str(name: string, v: unknown, whole: string): string {
  if (typeof v === "string") return v;
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  throw new TerraformExpressionError(`${name}() expects a string, got ${JSON.stringify(v)} in ${JSON.stringify(whole)}`);
}

function callFunction(name: string, args: unknown[], options: TemplateOptions, whole: string): unknown {
  const s = (i: number): string => str(name, args[i], whole);
  const arity = (n: number): void => {
    if (args.length !== n) {
      throw new TerraformExpressionError(`${name}() expects ${n} argument(s), got ${args.length} in ${JSON.stringify(whole)}`);
    }
  };
  const hash = (alg: string): string => createHash(alg).update(s(0), "utf8").digest("hex");
  switch (name) {
    case "lower":
      arity(1);
      return s(0).toLowerCase();
    case "upper":
      arity(1);
      return s(0).toUpperCase();
    case "trimspace":
      arity(1);
      return s(0).trim();
    case "tostring":
      arity(1);
      return s(0);
    case "substr": {
      arity(3);
      const text = s(0);
      const offset = Number(args[1]);
      const length = Number(args[2]);
      const start = offset < 0 ? text.length + offset : offset;
      return length < 0 ? text.slice(start) : text.slice(start, start + length);
    }
    case "sha1":
      arity(1);
      return hash("sha1");
    case "sha256":
      arity(1);
      return hash("sha256");
    case "md5":
      arity(1);
      return hash("md5");
    case "base64encode":
      arity(1);
      return Buffer.from(s(0), "utf8").toString("base64");
    case "base64decode":
      arity(1);
      return Buffer.from(s(0), "base64").toString("utf8");
    case "replace": {
      arity(3);
      const search = s(1);
      if (search.length > 1 && search.startsWith("/") && search.endsWith("/")) {
        throw new TerraformExpressionError(`replace() with a regular expression is not supported in ${JSON.stringify(whole)}`);
      }
      return s(0).split(search).join(s(2));
    }
    case "join": {
      arity(2);
      const list = args[1];
      if (!Array.isArray(list)) throw new TerraformExpressionError(`join() expects a list in ${JSON.stringify(whole)}`);
      return list.map((x) => str(name, x, whole)).join(s(0));
    }
    case "element": {
      arity(2);
      const list = args[0];
      if (!Array.isArray(list) || list.length === 0) throw new TerraformExpressionError(`element() expects a non-empty list in ${JSON.stringify(whole)}`);
      return list[Number(args[1]) % list.length];
    }
    case "format": {
      if (args.length < 1) throw new TerraformExpressionError(`format() needs a format string in ${JSON.stringify(whole)}`);
      let i = 1;
      return s(0).replace(/%([sd%])/g, (_m, k: string) => (k === "%" ? "%" : str(name, args[i++], whole)));
    }
    case "jsonencode":
      arity(1);
      return JSON.stringify(args[0]);
    case "file": {
      arity(1);
      const path = resolvePath(options.baseDir ?? process.cwd(), s(0));
      try {
        return readFileSync(path, "utf8");
      } catch {
        throw new TerraformExpressionError(`file() cannot read ${path} in ${JSON.stringify(whole)}`);
      }
    }
    default:
      throw new TerraformExpressionError(`function ${name}() is not supported by the local gateway in ${JSON.stringify(whole)}`);
  }
}
