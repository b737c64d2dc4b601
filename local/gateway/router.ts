/**
 * Matches a request to an API (longest path prefix; "" is the root API) and then to one of its
 * operations (method + URL template with `{name}` and trailing `{*rest}` parameters), as APIM does.
 * Literal segments compare case-insensitively; the most specific template wins.
 */

export interface RoutableOperation {
  readonly method: string;
  readonly urlTemplate: string;
}

export interface RoutableApi<O extends RoutableOperation> {
  readonly path: string;
  readonly operations: readonly O[];
}

export type RouteResult<A, O> =
  | { readonly kind: "matched"; readonly api: A; readonly operation: O; readonly parameters: Record<string, string>; readonly remainder: string }
  | { readonly kind: "no-operation"; readonly api: A; readonly remainder: string; readonly pathMatches: readonly O[] }
  | { readonly kind: "no-api" };

type Segment = { kind: "literal"; text: string } | { kind: "param"; name: string } | { kind: "wildcard"; name: string };

const compiled = new WeakMap<object, Segment[]>();

function splitPath(path: string): string[] {
  return path.split("/").filter((s) => s !== "");
}

export function parseTemplate(template: string): Segment[] {
  const pathPart = template.split("?")[0]!;
  const segments = splitPath(pathPart).map((s): Segment => {
    const wild = /^\{\*([^{}]+)\}$/.exec(s);
    if (wild) return { kind: "wildcard", name: wild[1]! };
    const param = /^\{([^{}*]+)\}$/.exec(s);
    if (param) return { kind: "param", name: param[1]! };
    if (/[{}]/.test(s)) throw new Error(`URL template ${JSON.stringify(template)}: segment ${JSON.stringify(s)} mixes text and parameters, which the local gateway does not support`);
    return { kind: "literal", text: s };
  });
  const wildIdx = segments.findIndex((s) => s.kind === "wildcard");
  if (wildIdx >= 0 && wildIdx !== segments.length - 1) {
    throw new Error(`URL template ${JSON.stringify(template)}: a wildcard {*name} must be the last segment`);
  }
  return segments;
}

function segmentsOf(op: RoutableOperation): Segment[] {
  let s = compiled.get(op);
  if (!s) {
    s = parseTemplate(op.urlTemplate);
    compiled.set(op, s);
  }
  return s;
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** Matches path segments against a template; returns parameters or undefined. */
export function matchTemplate(template: string | Segment[], path: string): Record<string, string> | undefined {
  const segs = typeof template === "string" ? parseTemplate(template) : template;
  const parts = splitPath(path);
  const params: Record<string, string> = {};
  for (let i = 0; i < segs.length; i++) {
    const seg = segs[i]!;
    if (seg.kind === "wildcard") {
      params[seg.name] = parts.slice(i).map(safeDecode).join("/");
      return params;
    }
    const part = parts[i];
    if (part === undefined) return undefined;
    if (seg.kind === "literal") {
      if (safeDecode(part).toLowerCase() !== seg.text.toLowerCase()) return undefined;
    } else params[seg.name] = safeDecode(part);
  }
  return parts.length === segs.length ? params : undefined;
}

function specificity(segs: Segment[]): number[] {
  return [segs.filter((s) => s.kind === "literal").length, segs.filter((s) => s.kind === "param").length, segs.some((s) => s.kind === "wildcard") ? 0 : 1];
}

function compareSpecificity(a: number[], b: number[]): number {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return b[i]! - a[i]!;
  return 0;
}

/** Routes `method pathname` (pathname starting with "/", no query) to an API and operation. */
export function route<O extends RoutableOperation, A extends RoutableApi<O>>(apis: readonly A[], method: string, pathname: string): RouteResult<A, O> {
  const requestParts = splitPath(pathname);
  let best: { api: A; length: number } | undefined;
  for (const api of apis) {
    const apiParts = splitPath(api.path);
    if (apiParts.length > requestParts.length) continue;
    if (!apiParts.every((p, i) => p.toLowerCase() === safeDecode(requestParts[i]!).toLowerCase())) continue;
    if (!best || apiParts.length > best.length) best = { api, length: apiParts.length };
  }
  if (!best) return { kind: "no-api" };
  const remainder = "/" + requestParts.slice(best.length).join("/");
  const candidates: { op: O; params: Record<string, string>; spec: number[] }[] = [];
  const pathMatches: O[] = [];
  for (const op of best.api.operations) {
    const segs = segmentsOf(op);
    const params = matchTemplate(segs, remainder);
    if (!params) continue;
    pathMatches.push(op);
    if (op.method.toUpperCase() === method.toUpperCase()) candidates.push({ op, params, spec: specificity(segs) });
  }
  if (candidates.length === 0) return { kind: "no-operation", api: best.api, remainder, pathMatches };
  candidates.sort((a, b) => compareSpecificity(a.spec, b.spec));
  return { kind: "matched", api: best.api, operation: candidates[0]!.op, parameters: candidates[0]!.params, remainder };
}
