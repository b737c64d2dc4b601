/**
 * The policy registry of one `ApimGateway`: its named values, fragments and policies, what they
 * reference, and their apply order. `ApimGateway` and `GatewayApi` create the resources and record
 * them here (`policyRegistry(gateway)`); at synth an aspect makes every policy and fragment depend
 * on the named values and fragments its XML references, so Terraform creates those first. The
 * static checks read it through `ApimGateway.policySet()`.
 *
 * Module-private: the gateway's files use it, constructs/index.ts does not export it, so the
 * gateway's public surface holds no plumbing.
 */
import type { IConstruct } from "constructs";
import { Aspects, type IAspect, type TerraformResource } from "cdktf";
// Renders a resource address for depends_on exactly as `dependsOn: [resource]` would.
import { dependable } from "cdktf/lib/tfExpression";
import type { ApiManagementNamedValue } from "@cdktf/provider-azurerm/lib/api-management-named-value";
import { fragmentReferences, namedValueReferences, readPolicyFile } from "./policy-files.js";
import type { PolicyDocument, PolicySet } from "./policy-set.js";
import { PolicyShapeError, shapePolicyXml } from "./policy-shape.js";

/** A fragment id, and the name a named value is renamed to: letters, digits, '-', '_' (at most 80). */
export const FRAGMENT_NAME = /^[A-Za-z0-9_-]{1,80}$/;

/** A policy or fragment resource with the document the checks see. */
export interface PolicyEntry {
  readonly resource: TerraformResource;
  readonly document: PolicyDocument;
}

/** The named values, fragments and policies of one gateway. */
export class PolicyRegistry {
  /** Named values by name. */
  public readonly namedValues = new Map<string, { resource: ApiManagementNamedValue; secret: boolean; maxLength: number }>();
  /** Fragments by fragment id. */
  public readonly fragments = new Map<string, PolicyEntry>();
  /** Global, API and operation policies, in the order they were set. */
  public readonly policies: PolicyEntry[] = [];

  constructor(public readonly policiesDir: string) {}

  /** Reads a policy file relative to the gateway's policies folder, in the shape it is sent in. */
  public readPolicy(file: string, namedValueRenames: Readonly<Record<string, string>> = {}): { xml: string; path: string } {
    const read = readPolicyFile(file, this.policiesDir);
    const path = read.path;
    const xml = renameNamedValues(read.xml, namedValueRenames, path);
    return { xml: shaped(() => shapePolicyXml(xml, path)), path };
  }

  /** Records a policy resource so its dependencies and checks are known. */
  public registerPolicy(resource: TerraformResource, document: PolicyDocument): void {
    this.policies.push({ resource, document });
  }

  /** Every policy document and named value, for the static checks. */
  public policySet(): PolicySet {
    return {
      documents: [...this.policies.map((p) => p.document), ...[...this.fragments.values()].map((f) => f.document)],
      namedValues: [...this.namedValues.entries()].map(([name, { secret, maxLength }]) => ({ name, secret, maxLength })),
    };
  }

  /** Adds, to each policy and fragment, dependencies on what its XML references. */
  public wireDependencies(): void {
    for (const entry of [...this.policies, ...this.fragments.values()]) {
      const targets: TerraformResource[] = [];
      for (const name of namedValueReferences(entry.document.xml)) {
        const nv = this.namedValues.get(name);
        if (nv) targets.push(nv.resource);
      }
      for (const fragmentId of fragmentReferences(entry.document.xml)) {
        const fragment = this.fragments.get(fragmentId);
        if (fragment && fragment.resource !== entry.resource) targets.push(fragment.resource);
      }
      const seen = new Set<TerraformResource>();
      const unique = targets.filter((t) => !seen.has(t) && seen.add(t));
      const address = (r: TerraformResource) => `${r.terraformResourceType}.${r.friendlyUniqueId}`;
      unique.sort((a, b) => address(a).localeCompare(address(b)));
      entry.resource.dependsOn = [...(entry.resource.dependsOn ?? []), ...unique.map((t) => dependable(t))];
    }
  }
}

const registries = new WeakMap<IConstruct, PolicyRegistry>();

/**
 * Gives `gateway` its registry, reading policy files from `policiesDir`, and the aspect that wires
 * the dependencies at synth (once every named value, fragment and policy has been added).
 */
export function attachPolicyRegistry(gateway: IConstruct, policiesDir: string): PolicyRegistry {
  const registry = new PolicyRegistry(policiesDir);
  registries.set(gateway, registry);
  Aspects.of(gateway).add(new PolicyDependencies(gateway, registry));
  return registry;
}

/** The registry of `gateway` (an `ApimGateway`). */
export function policyRegistry(gateway: IConstruct): PolicyRegistry {
  const registry = registries.get(gateway);
  if (!registry) throw new Error(`ApimGateway: ${gateway.node.path} has no policy registry; expected an ApimGateway`);
  return registry;
}

/** The policy with `{{from}}` replaced by `{{to}}` for each rename; every `from` must occur. */
function renameNamedValues(xml: string, renames: Readonly<Record<string, string>>, path: string): string {
  let out = xml;
  for (const [from, to] of Object.entries(renames)) {
    if (!FRAGMENT_NAME.test(to)) throw new Error(`ApimGateway: named value ${JSON.stringify(to)} (renaming ${JSON.stringify(from)} in ${path}) is invalid; expected 1-80 letters, digits, '-' or '_'`);
    const marker = `{{${from}}}`;
    if (!out.includes(marker)) throw new Error(`ApimGateway: ${path} has no ${marker} to rename to {{${to}}}`);
    out = out.split(marker).join(`{{${to}}}`);
  }
  return out;
}

/** Runs a shaping step, naming the construct in its error. */
export function shaped(shape: () => string): string {
  try {
    return shape();
  } catch (e) {
    if (e instanceof PolicyShapeError) throw new Error(`ApimGateway: ${e.message}`);
    throw e;
  }
}

/** Runs at synth, when every named value, fragment and policy has been added. */
class PolicyDependencies implements IAspect {
  private done = false;
  constructor(
    private readonly gateway: IConstruct,
    private readonly registry: PolicyRegistry,
  ) {}
  visit(node: IConstruct): void {
    if (this.done || node !== this.gateway) return;
    this.done = true;
    this.registry.wireDependencies();
  }
}
