/**
 * The effective policy of an operation, as API Management runs it: per section, the operation's
 * statements with `<base/>` replaced by the API's (whose `<base/>` is the global policy's), and
 * every `<include-fragment>` replaced by the fragment's statements. A document without a section
 * inherits it (as if it held only `<base/>`); without a global policy, API Management's default
 * applies (forward-request in backend).
 *
 * The static checks (contracts, sections), the local gateway (which compiles exactly this) and
 * `npm run policy` (which shows it, each fragment where it is included) assemble pipelines here. Problems (a `<base/>` not directly in a section, an unknown fragment, a
 * fragment including itself) leave the element in place and are reported; the static checks have
 * their own rules for them, the local gateway refuses to load.
 */
import { inlineFragments } from "./fragments.js";
import { parsePolicy, parsePolicyXml, walkElements, type PolicyElement, type PolicyNode } from "./parse.js";
import type { PolicyDocument, PolicySet } from "./policy-set.js";
import { SECTIONS, sections as sectionsOf, type Section } from "./sections.js";

/** API Management's global policy when none is set. */
export const DEFAULT_GLOBAL_POLICY_XML = "<policies><inbound/><backend><forward-request/></backend><outbound/><on-error/></policies>";

/** The scope a statement was written in (fragments take the scope of the document including them). */
export type StatementScope = "global" | "api" | "operation";

export interface ScopedStatement {
  /** The statement, its fragments inlined (and, nested, its own). */
  readonly element: PolicyElement;
  readonly scope: StatementScope;
}

export interface AssemblyProblem {
  readonly kind: "base-not-in-section" | "unknown-fragment" | "fragment-cycle";
  readonly element: PolicyElement;
  readonly message: string;
}

export interface EffectivePipeline {
  readonly sections: Readonly<Record<Section, readonly ScopedStatement[]>>;
  readonly problems: readonly AssemblyProblem[];
}

export interface PipelineDocuments {
  /** `<policies>` roots; undefined when the scope has no policy. */
  readonly global?: PolicyElement;
  readonly api?: PolicyElement;
  readonly operation?: PolicyElement;
  /** `<fragment>` roots by fragment id. */
  readonly fragments: ReadonlyMap<string, PolicyElement>;
}

export interface AssembleOptions {
  /**
   * Replace each `<include-fragment>` by the fragment's statements. False keeps the include-fragment
   * elements where they are (fragments are then neither looked up nor reported), for a view that
   * shows each fragment where it is included (`npm run policy`).
   * @default true
   */
  readonly inlineFragments?: boolean;
}

let defaultGlobal: PolicyElement | undefined;

/** The default global policy's root. */
export function defaultGlobalPolicy(): PolicyElement {
  if (!defaultGlobal) {
    const parsed = parsePolicyXml(DEFAULT_GLOBAL_POLICY_XML, "API Management's default global policy");
    if (!parsed.ok) throw new Error(`the default global policy does not parse: ${parsed.error}`);
    defaultGlobal = parsed.root;
  }
  return defaultGlobal;
}

/** Assembles the effective sections of one pipeline. */
export function assemblePipeline(docs: PipelineDocuments, options: AssembleOptions = {}): EffectivePipeline {
  const problems: AssemblyProblem[] = [];
  const seenProblems = new Set<PolicyElement>();
  const problem = (kind: AssemblyProblem["kind"], element: PolicyElement, message: string): void => {
    if (seenProblems.has(element)) return;
    seenProblems.add(element);
    problems.push({ kind, element, message });
  };

  /** Inlines fragments in `nodes` (fragments.ts); a `<base/>` met there is not directly in a section. */
  const nestedBase = (el: PolicyElement): void => {
    if (el.name === "base") problem("base-not-in-section", el, "<base/> may only appear directly in a section");
  };
  const expand = (nodes: readonly PolicyNode[]): PolicyNode[] => {
    if (options.inlineFragments ?? true) return inlineFragments(nodes, (id) => docs.fragments.get(id), { onProblem: (p) => problem(p.kind, p.element, p.message), onElement: nestedBase });
    for (const node of nodes) if (node.kind === "element") for (const { element } of walkElements(node)) nestedBase(element);
    return [...nodes];
  };
  const statementsOf = (nodes: readonly PolicyNode[]): PolicyElement[] => nodes.filter((n): n is PolicyElement => n.kind === "element");

  const level = (root: PolicyElement | undefined, section: Section, parent: readonly ScopedStatement[], scope: StatementScope): readonly ScopedStatement[] => {
    const element = root ? sectionsOf(root).get(section) : undefined;
    if (!element) return parent;
    const out: ScopedStatement[] = [];
    for (const child of element.children) {
      if (child.kind !== "element") continue;
      if (child.name === "base") {
        out.push(...parent);
        continue;
      }
      for (const statement of statementsOf(expand([child]))) out.push({ element: statement, scope });
    }
    return out;
  };

  const result = {} as Record<Section, readonly ScopedStatement[]>;
  for (const section of SECTIONS) {
    const global = level(docs.global ?? defaultGlobalPolicy(), section, [], "global");
    const api = level(docs.api, section, global, "api");
    result[section] = level(docs.operation, section, api, "operation");
  }
  return { sections: result, problems };
}

/** One pipeline of a policy set: an operation's, or an API's alone (operations without their own policy run it). */
export interface SetPipeline {
  /** `<api>` for an API's own pipeline, `<api>/<operation>` for an operation's. */
  readonly name: string;
  readonly apiName: string;
  /** The documents it is made of, outermost first (global, API, operation). */
  readonly documents: readonly PolicyDocument[];
  readonly pipeline: EffectivePipeline;
}

/**
 * The pipelines of a policy set: each API's own (global + API) and each operation's (global + API
 * + operation). Documents that do not parse are left out (the well-formedness rule reports them).
 * Assembled once per set object (the rules that need them share it).
 */
const pipelinesCache = new WeakMap<PolicySet, readonly SetPipeline[]>();

export function setPipelines(set: PolicySet): readonly SetPipeline[] {
  let pipelines = pipelinesCache.get(set);
  if (!pipelines) {
    pipelines = assembleSet(set);
    pipelinesCache.set(set, pipelines);
  }
  return pipelines;
}

function assembleSet(set: PolicySet): SetPipeline[] {
  const root = (doc: PolicyDocument | undefined): PolicyElement | undefined => {
    if (!doc) return undefined;
    const parsed = parsePolicy(doc);
    return parsed.ok ? parsed.root : undefined;
  };
  const fragments = new Map<string, PolicyElement>();
  for (const doc of set.documents) {
    const r = doc.scope === "fragment" ? root(doc) : undefined;
    if (r) fragments.set(doc.name, r);
  }
  const global = set.documents.find((d) => d.scope === "global");
  const apis = new Map<string, PolicyDocument | undefined>();
  for (const doc of set.documents) {
    if (doc.scope === "api") apis.set(doc.apiName ?? doc.name, doc);
    else if (doc.scope === "operation" && doc.apiName !== undefined && !apis.has(doc.apiName)) apis.set(doc.apiName, undefined);
  }
  const out: SetPipeline[] = [];
  for (const [apiName, apiDoc] of apis) {
    const base = [global, apiDoc].filter((d): d is PolicyDocument => d !== undefined);
    if (apiDoc) out.push({ name: apiName, apiName, documents: base, pipeline: assemblePipeline({ global: root(global), api: root(apiDoc), fragments }) });
    for (const op of set.documents.filter((d) => d.scope === "operation" && d.apiName === apiName)) {
      out.push({
        name: op.name,
        apiName,
        documents: [...base, op],
        pipeline: assemblePipeline({ global: root(global), api: root(apiDoc), operation: root(op), fragments }),
      });
    }
  }
  return out;
}
