/**
 * Reads the synthesized Terraform JSON (`cdktf.out/stacks/mcp/cdk.tf.json`) and extracts what the
 * local gateway runs: APIs, operations, policies, policy fragments, named values and backends.
 * Terraform references are resolved from the config itself where the attribute is written there,
 * otherwise from the local values file (`local.values.json`); anything left unresolved fails
 * loudly, naming the reference.
 */
import { readFileSync } from "node:fs";
import { dirname } from "node:path";
import { NamedValueError, substituteNamedValues as substitute } from "../../apim-policy/named-values.js";
import { evaluateTemplate, TerraformExpressionError, type ReferenceResolver } from "./terraform-expr.js";

export const DEFAULT_TF_JSON = "cdktf.out/stacks/mcp/cdk.tf.json";

/** The local values file: what a real deployment would know but a synthesized config does not. */
export interface LocalValues {
  /** Named-value overrides by APIM named-value NAME (win over the Terraform value). */
  readonly namedValues?: Readonly<Record<string, string>>;
  /** Values for Terraform references, keyed like `data.azurerm_client_config.current.tenant_id` or `azurerm_x.y.identity[0].principal_id`. */
  readonly references?: Readonly<Record<string, unknown>>;
  /**
   * Literal prefixes replaced in named values, service/backend URLs and policy XML, e.g.
   * `{"https://login.microsoftonline.com": "http://127.0.0.1:4010"}`: the local stand-ins for Azure hosts.
   */
  readonly urlRewrites?: Readonly<Record<string, string>>;
  /**
   * The confidential static clients' secrets, by client id: what `terraform output -json
   * static_client_secrets` gives after a deployment (the `random_password` results that output
   * names). Generated once and kept; remove one to renew it.
   */
  readonly clientSecrets?: Readonly<Record<string, string>>;
}

/**
 * The Terraform references of the `static_client_secrets` output, by client id
 * (`random_password.<id>.result`, as resolver keys); empty without the output.
 */
export function clientSecretReferences(tf: Json): Record<string, string> {
  const value = ((tf.output ?? {}) as Record<string, { value?: unknown }>).static_client_secrets?.value;
  const out: Record<string, string> = {};
  for (const [clientId, reference] of Object.entries((value ?? {}) as Record<string, unknown>)) {
    const m = /^\$\{([^}]+)\}$/.exec(String(reference));
    if (m) out[clientId] = m[1]!;
  }
  return out;
}

export interface TemplateParameter {
  readonly name: string;
  readonly required: boolean;
}

export interface OperationConfig {
  /** Terraform resource id (for messages). */
  readonly resourceId: string;
  readonly operationId: string;
  readonly displayName: string;
  readonly method: string;
  readonly urlTemplate: string;
  readonly templateParameters: readonly TemplateParameter[];
  /** Operation-scope policy XML (named values not yet substituted). */
  readonly policyXml?: string;
}

export interface ApiConfig {
  readonly resourceId: string;
  readonly name: string;
  /** API URL suffix without leading/trailing slash; "" is the root. */
  readonly path: string;
  readonly displayName: string;
  readonly serviceUrl?: string;
  readonly policyXml?: string;
  readonly operations: readonly OperationConfig[];
  /** When true the API must return 401 on missing subscription key; the project sets this false. */
  readonly subscriptionRequired: boolean;
}

export interface NamedValue {
  readonly name: string;
  readonly value: string;
  readonly secret: boolean;
}

export interface BackendConfig {
  readonly name: string;
  readonly url: string;
}

export interface GatewayConfig {
  readonly serviceName: string;
  readonly globalPolicyXml?: string;
  readonly apis: readonly ApiConfig[];
  /** Policy fragments by fragment id (their `name`), raw XML. */
  readonly fragments: ReadonlyMap<string, string>;
  readonly namedValues: ReadonlyMap<string, NamedValue>;
  readonly backends: ReadonlyMap<string, BackendConfig>;
  readonly urlRewrites: Readonly<Record<string, string>>;
}

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConfigError";
  }
}

type Json = Record<string, unknown>;

/** Formats a reference path as Terraform writes it: `a.b[0].c`. */
export function referenceKey(path: readonly (string | number)[]): string {
  return path.map((p, i) => (typeof p === "number" ? `[${p}]` : i === 0 ? p : `.${p}`)).join("");
}

export interface LoadOptions {
  /** Where the config came from (messages, `file()` base directory). */
  readonly source?: string;
  /**
   * Called for a reference that neither the local values nor the config resolve. When given, its
   * result is used instead of failing (used by `npm run local` to discover what to generate).
   */
  readonly onUnresolved?: (key: string) => unknown;
}

/** Reads and parses a cdk.tf.json file, failing with the path when it is missing or not JSON. */
export function readTerraformJson(path: string): Json {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch {
    throw new ConfigError(`cannot read the synthesized Terraform config at ${path}: run \`npm run synth\` first`);
  }
  try {
    const parsed: unknown = JSON.parse(text);
    if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) throw new Error("not an object");
    return parsed as Json;
  } catch {
    throw new ConfigError(`${path} is not a Terraform JSON object`);
  }
}

/** Reads local.values.json; a missing file is an error naming the path. */
export function readLocalValues(path: string): LocalValues {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch {
    throw new ConfigError(`cannot read local values at ${path}: \`npm run local\` generates it`);
  }
  try {
    return JSON.parse(text) as LocalValues;
  } catch {
    throw new ConfigError(`${path} is not valid JSON (expected {"namedValues":{}, "references":{}, "urlRewrites":{}})`);
  }
}

function resources(tf: Json, type: string): [string, Json][] {
  const all = (tf.resource ?? {}) as Record<string, Record<string, Json>>;
  return Object.entries(all[type] ?? {});
}

/**
 * Returns a function that resolves Terraform templates (recursively through lists and objects)
 * against the config itself and the local values.
 */
export function terraformResolver(tf: Json, values: LocalValues, options: LoadOptions = {}): (v: unknown) => unknown {
  const baseDir = options.source ? dirname(options.source) : process.cwd();
  const refs: Record<string, unknown> = { ...values.references };
  // A confidential static client's secret is kept under its client id (clientSecrets), like the output names it.
  for (const [clientId, key] of Object.entries(clientSecretReferences(tf))) {
    const secret = values.clientSecrets?.[clientId];
    if (secret !== undefined) refs[key] = secret;
  }
  const inProgress = new Set<string>();

  const resolver: ReferenceResolver = (path) => {
    const key = referenceKey(path);
    if (Object.prototype.hasOwnProperty.call(refs, key)) return refs[key];
    const head = path[0];
    let found: { value: unknown } | undefined;
    if (head === "var" && typeof path[1] === "string") {
      const variable = ((tf.variable ?? {}) as Record<string, Json>)[path[1]];
      if (variable && "default" in variable) found = { value: variable.default };
    } else if (head === "local" && typeof path[1] === "string") {
      const locals = (tf.locals ?? {}) as Json;
      if (path[1] in locals) found = { value: locals[path[1]] };
    } else if (head !== "data" && typeof head === "string" && typeof path[1] === "string" && path.length >= 3) {
      const resource = ((tf.resource ?? {}) as Record<string, Record<string, Json>>)[head]?.[path[1]];
      const attr = path[2];
      if (resource && typeof attr === "string" && attr in resource) {
        let v: unknown = resource[attr];
        for (const p of path.slice(3)) v = (v as Record<string | number, unknown> | undefined)?.[p];
        if (v !== undefined) found = { value: v };
      }
    }
    if (found) {
      if (inProgress.has(key)) throw new ConfigError(`circular Terraform reference ${key}`);
      inProgress.add(key);
      try {
        return deepResolve(found.value);
      } finally {
        inProgress.delete(key);
      }
    }
    if (options.onUnresolved) return options.onUnresolved(key);
    throw new ConfigError(
      `unresolved Terraform reference \${${key}}: the synthesized config does not define it; add "${key}" to "references" in local.values.json`,
    );
  };

  const deepResolve = (v: unknown): unknown => {
    if (typeof v === "string") {
      try {
        return evaluateTemplate(v, resolver, { baseDir });
      } catch (e) {
        if (e instanceof TerraformExpressionError) throw new ConfigError(e.message);
        throw e;
      }
    }
    if (Array.isArray(v)) return v.map(deepResolve);
    if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, deepResolve(x)]));
    return v;
  };
  return deepResolve;
}

/** Builds the gateway configuration from a parsed cdk.tf.json and local values. */
export function loadGatewayConfig(tf: Json, values: LocalValues, options: LoadOptions = {}): GatewayConfig {
  const deepResolve = terraformResolver(tf, values, options);

  const str = (resourceId: string, field: string, v: unknown, required = true): string | undefined => {
    if (v === undefined || v === null) {
      if (required) throw new ConfigError(`${resourceId} has no "${field}" (expected a string)`);
      return undefined;
    }
    const r = deepResolve(v);
    if (typeof r !== "string") throw new ConfigError(`${resourceId}.${field} resolved to ${JSON.stringify(r)}, expected a string`);
    return r;
  };

  const rewrites = values.urlRewrites ?? {};
  const rewrite = (s: string): string => applyUrlRewrites(s, rewrites);

  // Named values.
  const namedValues = new Map<string, NamedValue>();
  const overrides = values.namedValues ?? {};
  for (const [id, r] of resources(tf, "azurerm_api_management_named_value")) {
    const rid = `azurerm_api_management_named_value.${id}`;
    const name = str(rid, "name", r.name)!;
    const secret = r.secret === true || r.secret === "true";
    let value: string;
    if (Object.prototype.hasOwnProperty.call(overrides, name)) value = String(overrides[name]);
    else if (r.value !== undefined) value = str(rid, "value", r.value)!;
    else if (options.onUnresolved) value = String(options.onUnresolved(`namedValues.${name}`));
    else throw new ConfigError(`named value "${name}" (${rid}) has no literal value (key vault?): add it to "namedValues" in local.values.json`);
    namedValues.set(name, { name, value: rewrite(value), secret });
  }

  // Fragments.
  const fragments = new Map<string, string>();
  for (const [id, r] of resources(tf, "azurerm_api_management_policy_fragment")) {
    const rid = `azurerm_api_management_policy_fragment.${id}`;
    const name = str(rid, "name", r.name)!;
    const format = r.format === undefined ? "xml" : str(rid, "format", r.format)!;
    if (format !== "rawxml") {
      throw new ConfigError(`${rid} (fragment "${name}") has format "${format}": the project uses "rawxml" (escaped C# in "xml" format is not supported locally)`);
    }
    fragments.set(name, str(rid, "value", r.value)!);
  }

  // Global policy.
  const globals = resources(tf, "azurerm_api_management_policy");
  if (globals.length > 1) throw new ConfigError(`found ${globals.length} azurerm_api_management_policy resources, expected at most one`);
  const globalPolicyXml = globals[0] ? str(`azurerm_api_management_policy.${globals[0][0]}`, "xml_content", globals[0][1].xml_content) : undefined;

  // APIs.
  const apiByName = new Map<string, { resourceId: string; name: string; path: string; displayName: string; serviceUrl?: string; subscriptionRequired: boolean; policyXml?: string; operations: OperationConfig[] }>();
  for (const [id, r] of resources(tf, "azurerm_api_management_api")) {
    const rid = `azurerm_api_management_api.${id}`;
    const name = str(rid, "name", r.name)!;
    const path = (str(rid, "path", r.path, false) ?? "").replace(/^\/+|\/+$/g, "");
    const serviceUrl = str(rid, "service_url", r.service_url, false);
    const subscription = r.subscription_required === undefined ? true : deepResolve(r.subscription_required);
    apiByName.set(name, {
      resourceId: rid,
      name,
      path,
      displayName: str(rid, "display_name", r.display_name, false) ?? name,
      serviceUrl: serviceUrl === undefined ? undefined : rewrite(serviceUrl),
      subscriptionRequired: subscription === true || subscription === "true",
      operations: [],
    });
  }
  const apiFor = (rid: string, apiName: string) => {
    const api = apiByName.get(apiName);
    if (!api) throw new ConfigError(`${rid} refers to API "${apiName}", which the config does not define`);
    return api;
  };

  const opPolicies = new Map<string, string>();
  for (const [id, r] of resources(tf, "azurerm_api_management_api_operation_policy")) {
    const rid = `azurerm_api_management_api_operation_policy.${id}`;
    const apiName = str(rid, "api_name", r.api_name)!;
    const opId = str(rid, "operation_id", r.operation_id)!;
    apiFor(rid, apiName);
    opPolicies.set(`${apiName}/${opId}`, str(rid, "xml_content", r.xml_content)!);
  }
  for (const [id, r] of resources(tf, "azurerm_api_management_api_operation")) {
    const rid = `azurerm_api_management_api_operation.${id}`;
    const api = apiFor(rid, str(rid, "api_name", r.api_name)!);
    const operationId = str(rid, "operation_id", r.operation_id)!;
    const params = (deepResolve(r.template_parameter ?? []) as Json[]).map((p) => ({
      name: String(p.name),
      required: p.required === true || p.required === "true",
    }));
    api.operations.push({
      resourceId: rid,
      operationId,
      displayName: str(rid, "display_name", r.display_name, false) ?? operationId,
      method: str(rid, "method", r.method)!.toUpperCase(),
      urlTemplate: str(rid, "url_template", r.url_template)!,
      templateParameters: params,
      policyXml: opPolicies.get(`${api.name}/${operationId}`),
    });
  }
  for (const key of opPolicies.keys()) {
    const [apiName, opId] = key.split("/");
    if (!apiByName.get(apiName!)!.operations.some((o) => o.operationId === opId)) {
      throw new ConfigError(`operation policy for "${key}" refers to an operation the config does not define`);
    }
  }
  for (const [id, r] of resources(tf, "azurerm_api_management_api_policy")) {
    const rid = `azurerm_api_management_api_policy.${id}`;
    const api = apiFor(rid, str(rid, "api_name", r.api_name)!);
    api.policyXml = str(rid, "xml_content", r.xml_content)!;
  }

  const backends = new Map<string, BackendConfig>();
  for (const [id, r] of resources(tf, "azurerm_api_management_backend")) {
    const rid = `azurerm_api_management_backend.${id}`;
    const name = str(rid, "name", r.name)!;
    backends.set(name, { name, url: rewrite(str(rid, "url", r.url)!) });
  }

  const services = resources(tf, "azurerm_api_management");
  const serviceName = services[0] ? (str(`azurerm_api_management.${services[0][0]}`, "name", services[0][1].name) ?? "apim") : "apim";

  return {
    serviceName,
    globalPolicyXml,
    apis: [...apiByName.values()],
    fragments,
    namedValues,
    backends,
    urlRewrites: rewrites,
  };
}

/** Replaces every occurrence of each rewrite key (longest first) with its value. */
export function applyUrlRewrites(text: string, rewrites: Readonly<Record<string, string>>): string {
  const keys = Object.keys(rewrites).sort((a, b) => b.length - a.length);
  if (keys.length === 0) return text;
  let out = "";
  let i = 0;
  outer: while (i < text.length) {
    for (const k of keys) {
      if (k && text.startsWith(k, i)) {
        out += rewrites[k];
        i += k.length;
        continue outer;
      }
    }
    out += text[i];
    i++;
  }
  return out;
}

/**
 * Substitutes `{{name}}` as APIM does before a policy is compiled (apim-policy/named-values.ts:
 * the name exactly as written between the braces). An unknown or malformed name fails loudly.
 * Names are matched case-insensitively, as Azure resource names are.
 */
export function substituteNamedValues(xml: string, namedValues: ReadonlyMap<string, NamedValue>, where: string): string {
  const lower = new Map([...namedValues.values()].map((nv) => [nv.name.toLowerCase(), nv]));
  try {
    return substitute(xml, (name) => lower.get(name.toLowerCase())?.value);
  } catch (e) {
    if (!(e instanceof NamedValueError)) throw e;
    if (e.problem === "undefined") throw new ConfigError(`policy ${where} references named value ${e.reference}, which the config does not define`);
    throw new ConfigError(`policy ${where}: ${e.message}`);
  }
}
