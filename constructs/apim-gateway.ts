/**
 * Azure API Management as the MCP gateway: the service with a user-assigned managed identity,
 * named values, policy fragments loaded from `policies/`, APIs and operations with policies, and an
 * Application Insights logger whose diagnostics never log bodies (streaming stays intact, no token
 * or code reaches telemetry) and mask every secret a logged URL or header could carry. Policies
 * depend on every named value and fragment they reference, so Terraform creates those first.
 * Policy XML is sent in the shape API Management hands back (constructs/policy-shape.ts), so a plan
 * after an apply shows no change. Protocol and cipher settings are set only on the classic tiers
 * (the v2 tiers do not take them).
 */
import { Construct, type IConstruct } from "constructs";
import { Aspects, type IAspect, type TerraformResource } from "cdktf";
// Renders a resource address for depends_on exactly as `dependsOn: [resource]` would.
import { dependable } from "cdktf/lib/tfExpression";
import type { ResourceGroup } from "@cdktf/provider-azurerm/lib/resource-group";
import type { Observability } from "./observability.js";
import { fragmentReferences, namedValueReferences, POLICIES_DIR, readPolicyFile } from "./policy-files.js";
import type { PolicyDocument, PolicySet } from "./policy-set.js";
import { PolicyShapeError, shapeFragmentXml, shapePolicyXml } from "./policy-shape.js";
import { apimSkuProblem, apimSkuTakesProtocolSettings } from "./skus.js";
import { ApiManagement, ApiManagementApi, ApiManagementApiOperation, ApiManagementApiOperationPolicy, ApiManagementApiPolicy, ApiManagementDiagnostic, ApiManagementLogger, ApiManagementNamedValue, ApiManagementPolicy, ApiManagementPolicyFragment, UserAssignedIdentity } from "./providers.js";


export interface ApimGatewayProps {
  /** Resource group of the service and its identity; they take its location. */
  readonly resourceGroup: ResourceGroup;
  /**
   * Service name (1-50 characters, globally unique); it makes the host `<name>.azure-api.net`.
   * May be a Terraform expression (the stack derives a stable unique suffix in Terraform).
   */
  readonly name: string;
  /** Publisher e-mail shown in the developer portal and used for notifications. */
  readonly publisherEmail: string;
  /** Publisher (organisation) name. */
  readonly publisherName: string;
  /**
   * SKU, `<tier>_<units>`. Consumption is refused: no built-in cache, no SSE, 16 KiB policies.
   * @default "BasicV2_1"
   */
  readonly sku?: string;
  /** Where the gateway's logger sends telemetry. Diagnostics log no bodies. */
  readonly observability: Observability;
  /**
   * Share of requests traced to Application Insights, in percent.
   * @default 100
   */
  readonly samplingPercentage?: number;
  /**
   * Folder the policy files are read from (tests point this at fixtures).
   * @default the repository's policies/ folder
   */
  readonly policiesDir?: string;
}

export interface NamedValueOptions {
  /** Name the policies use as `{{name}}`: letters, digits, '.', '-', '_' (at most 256). */
  readonly name: string;
  /** The value; may be a Terraform reference. Never exported as an output. */
  readonly value: string;
  /**
   * Store as a secret (encrypted, hidden in the portal and in traces).
   * @default false
   */
  readonly secret?: boolean;
}

export interface PolicyFragmentOptions {
  /** Fragment id used by `<include-fragment fragment-id="..."/>` (letters, digits, '-', '_'; at most 80). */
  readonly name: string;
  /** XML file under `policies/`, e.g. `fragments/oauth-cors.xml`. Root element `<fragment>`. */
  readonly file: string;
  /**
   * Description shown in the portal.
   * @default none
   */
  readonly description?: string;
  /**
   * Makes the fragment's XML from the file's at synth (a fragment generated from configuration,
   * whose file is the template); the file is still the one named in messages.
   * @default the file's XML as it is
   */
  readonly transform?: (xml: string) => string;
}

export interface GatewayApiOptions {
  /** API name (resource id segment): letters, digits, '-', '_'. */
  readonly name: string;
  /** URL path suffix after the gateway host; `""` serves the root (one API at most). */
  readonly path: string;
  /** Display name in the portal. */
  readonly displayName: string;
  /**
   * Backend base URL requests are forwarded to.
   * @default none (the API answers from policies only)
   */
  readonly serviceUrl?: string;
  /**
   * Whether the API streams responses (MCP over SSE): the static checks then forbid response-body
   * reads and require `forward-request buffer-response="false"`.
   * @default false
   */
  readonly streaming?: boolean;
}

export interface OperationOptions {
  /** Operation id, unique within the API. */
  readonly operationId: string;
  /** Display name in the portal. */
  readonly displayName: string;
  /** HTTP method (GET, POST, OPTIONS, ...). */
  readonly method: string;
  /** URL template relative to the API path, starting with `/`; `{name}` and `{*rest}` become template parameters. */
  readonly urlTemplate: string;
  /**
   * Operation-level policy file under `policies/`.
   * @default none (API and global policies apply)
   */
  readonly policyFile?: string;
  /**
   * Description shown in the portal.
   * @default none
   */
  readonly description?: string;
}

/**
 * Query parameters whose values Application Insights never sees: the diagnostics mask them (`***`)
 * in every logged frontend and backend request URL. Authorization codes and states of the OAuth
 * callbacks, PKCE verifiers, tokens of any kind, client credentials and assertions, API keys, and
 * the login hint (an e-mail address).
 */
export const MASKED_QUERY_PARAMETERS: readonly string[] = [
  "code",
  "state",
  "session_state",
  "code_verifier",
  "access_token",
  "refresh_token",
  "id_token",
  "id_token_hint",
  "token",
  "client_secret",
  "client_assertion",
  "assertion",
  "subject_token",
  "actor_token",
  "password",
  "subscription-key",
  "api-key",
  "login_hint",
];

/** Request headers masked should a diagnostic ever log headers (none is logged: headers_to_log is empty). */
export const MASKED_REQUEST_HEADERS: readonly string[] = ["Authorization", "Cookie", "Proxy-Authorization", "Ocp-Apim-Subscription-Key"];

/** Response headers masked likewise: consent cookies and the like. */
export const MASKED_RESPONSE_HEADERS: readonly string[] = ["Set-Cookie"];

const NAMED_VALUE_NAME = /^[A-Za-z0-9._-]{1,256}$/;
const FRAGMENT_NAME = /^[A-Za-z0-9_-]{1,80}$/;
const API_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,79}$/;
const HTTP_METHOD = /^(GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS|TRACE)$/;

interface PolicyEntry {
  readonly resource: TerraformResource;
  readonly document: PolicyDocument;
}

/** An API of the gateway: operations and its API-level policy. */
export class GatewayApi extends Construct {
  /** The API resource. */
  public readonly api: ApiManagementApi;
  /** The API's name. */
  public readonly name: string;
  /** The API's path at the gateway. */
  public readonly path: string;
  private readonly operations = new Map<string, ApiManagementApiOperation>();

  constructor(
    scope: Construct,
    id: string,
    private readonly gateway: ApimGateway,
    private readonly options: GatewayApiOptions,
  ) {
    super(scope, id);
    if (!API_NAME.test(options.name)) {
      throw new Error(`ApimGateway: API name ${JSON.stringify(options.name)} is invalid; expected 1-80 letters, digits, '-' or '_', starting with a letter or digit`);
    }
    if (options.path.startsWith("/") || options.path.endsWith("/")) {
      throw new Error(`ApimGateway: API path ${JSON.stringify(options.path)} must not start or end with '/'; expected e.g. "mcp" or "" for the root`);
    }
    this.name = options.name;
    this.path = options.path;
    this.api = new ApiManagementApi(this, "api", {
      name: options.name,
      displayName: options.displayName,
      path: options.path,
      protocols: ["https"],
      revision: "1",
      subscriptionRequired: false,
      serviceUrl: options.serviceUrl,
      apiManagementName: gateway.service.name,
      resourceGroupName: gateway.service.resourceGroupName,
    });
  }

  /** Adds an operation; template parameters are derived from the URL template. */
  public addOperation(id: string, options: OperationOptions): ApiManagementApiOperation {
    const method = options.method.toUpperCase();
    if (!HTTP_METHOD.test(method)) {
      throw new Error(`ApimGateway: operation ${JSON.stringify(options.operationId)} has method ${JSON.stringify(options.method)}; expected one of GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS, TRACE`);
    }
    if (!options.urlTemplate.startsWith("/")) {
      throw new Error(`ApimGateway: operation ${JSON.stringify(options.operationId)} has URL template ${JSON.stringify(options.urlTemplate)}; expected it to start with '/'`);
    }
    if (!/^[A-Za-z0-9][A-Za-z0-9_-]{0,79}$/.test(options.operationId)) {
      throw new Error(`ApimGateway: operation id ${JSON.stringify(options.operationId)} is invalid; expected 1-80 letters, digits, '-' or '_'`);
    }
    if (this.operations.has(options.operationId)) {
      throw new Error(`ApimGateway: API ${JSON.stringify(this.name)} already has an operation ${JSON.stringify(options.operationId)}; operation ids must be unique`);
    }
    const parameters = [...options.urlTemplate.matchAll(/\{\*?([A-Za-z0-9_-]+)\}/g)].map((m) => m[1]);
    const operation = new ApiManagementApiOperation(this, id, {
      operationId: options.operationId,
      apiName: this.api.name,
      apiManagementName: this.api.apiManagementName,
      resourceGroupName: this.api.resourceGroupName,
      displayName: options.displayName,
      method,
      urlTemplate: options.urlTemplate,
      description: options.description,
      templateParameter: parameters.map((name) => ({ name, required: true, type: "string" })),
    });
    this.operations.set(options.operationId, operation);
    if (options.policyFile !== undefined) {
      const { xml, path } = this.gateway.readPolicy(options.policyFile);
      const policy = new ApiManagementApiOperationPolicy(this, `${id}_policy`, {
        apiName: this.api.name,
        apiManagementName: this.api.apiManagementName,
        resourceGroupName: this.api.resourceGroupName,
        operationId: operation.operationId,
        xmlContent: xml,
      });
      this.gateway.registerPolicy(policy, {
        scope: "operation",
        name: `${this.name}/${options.operationId}`,
        file: path,
        xml,
        apiName: this.name,
        streaming: this.options.streaming ?? false,
      });
    }
    return operation;
  }

  /** Sets the API-level policy from a file under `policies/`. */
  public setPolicy(file: string): ApiManagementApiPolicy {
    if (this.node.tryFindChild("policy")) {
      throw new Error(`ApimGateway: API ${JSON.stringify(this.name)} already has a policy; setPolicy may be called once`);
    }
    const { xml, path } = this.gateway.readPolicy(file);
    const policy = new ApiManagementApiPolicy(this, "policy", {
      apiName: this.api.name,
      apiManagementName: this.api.apiManagementName,
      resourceGroupName: this.api.resourceGroupName,
      xmlContent: xml,
    });
    this.gateway.registerPolicy(policy, {
      scope: "api",
      name: this.name,
      file: path,
      xml,
      apiName: this.name,
      streaming: this.options.streaming ?? false,
    });
    return policy;
  }
}

export class ApimGateway extends Construct {
  /** The API Management service. */
  public readonly service: ApiManagement;
  /** The service name (may be a Terraform expression). */
  public readonly name: string;
  /** Gateway base URL, `https://<name>.azure-api.net`. */
  public readonly gatewayUrl: string;
  /** The user-assigned managed identity the gateway presents to Entra ID and backends. */
  public readonly identity: UserAssignedIdentity;
  /** The Application Insights logger. */
  public readonly logger: ApiManagementLogger;

  private readonly policiesDir: string;
  private readonly namedValues = new Map<string, { resource: ApiManagementNamedValue; secret: boolean }>();
  private readonly fragments = new Map<string, PolicyEntry>();
  private readonly policies: PolicyEntry[] = [];
  private readonly apis = new Map<string, GatewayApi>();

  constructor(scope: Construct, id: string, props: ApimGatewayProps) {
    super(scope, id);
    const sku = props.sku ?? "BasicV2_1";
    const skuProblem = apimSkuProblem(sku);
    if (skuProblem) throw new Error(`ApimGateway: sku ${skuProblem}`);
    if (!props.name.includes("${") && !/^[a-zA-Z](?:[a-zA-Z0-9]|-(?=[a-zA-Z0-9])){0,49}$/.test(props.name)) {
      throw new Error(`ApimGateway: name ${JSON.stringify(props.name)} breaks API Management naming rules; expected 1-50 letters, digits and single hyphens, starting with a letter`);
    }
    const samplingPercentage = props.samplingPercentage ?? 100;
    if (!(samplingPercentage >= 0 && samplingPercentage <= 100)) {
      throw new Error(`ApimGateway: samplingPercentage ${samplingPercentage} is out of range; expected 0 to 100`);
    }
    this.policiesDir = props.policiesDir ?? POLICIES_DIR;
    this.name = props.name;
    this.gatewayUrl = `https://${props.name}.azure-api.net`;

    this.identity = new UserAssignedIdentity(this, "identity", {
      name: `${props.name}-identity`,
      location: props.resourceGroup.location,
      resourceGroupName: props.resourceGroup.name,
    });
    this.service = new ApiManagement(this, "service", {
      name: props.name,
      location: props.resourceGroup.location,
      resourceGroupName: props.resourceGroup.name,
      publisherEmail: props.publisherEmail,
      publisherName: props.publisherName,
      skuName: sku,
      identity: { type: "UserAssigned", identityIds: [this.identity.id] },
      // Classic tiers: HTTP/2 on, TLS below 1.2, SSL 3.0, 3DES and the CBC ciphers off (the provider
      // defaults, stated so that a default change cannot weaken the gateway). The v2 tiers take none
      // of these settings (TLS 1.2+ only) and would show a diff on every plan or fail the apply.
      ...(apimSkuTakesProtocolSettings(sku) ? { protocols: { http2Enabled: true }, security: SECURE_PROTOCOLS } : {}),
    });
    this.logger = new ApiManagementLogger(this, "logger", {
      name: "appinsights",
      apiManagementName: this.service.name,
      resourceGroupName: this.service.resourceGroupName,
      resourceId: props.observability.appInsights.id,
      applicationInsights: { connectionString: props.observability.connectionString },
    });
    // Bodies are never logged: MCP responses stream (SSE) and OAuth bodies carry codes and tokens.
    // No header is logged either; secrets in URLs (the callback's code and state, ...) are masked.
    const masking = (queryParams: readonly string[], headers: readonly string[]) => ({
      ...(queryParams.length > 0 ? { queryParams: queryParams.map((value) => ({ mode: "Mask", value })) } : {}),
      headers: headers.map((value) => ({ mode: "Mask", value })),
    });
    const request = { bodyBytes: 0, headersToLog: [], dataMasking: masking(MASKED_QUERY_PARAMETERS, MASKED_REQUEST_HEADERS) };
    const response = { bodyBytes: 0, headersToLog: [], dataMasking: masking([], MASKED_RESPONSE_HEADERS) };
    new ApiManagementDiagnostic(this, "diagnostic", {
      identifier: "applicationinsights",
      apiManagementName: this.service.name,
      resourceGroupName: this.service.resourceGroupName,
      apiManagementLoggerId: this.logger.id,
      samplingPercentage,
      alwaysLogErrors: true,
      logClientIp: true,
      verbosity: "information",
      httpCorrelationProtocol: "W3C",
      frontendRequest: request,
      frontendResponse: response,
      backendRequest: request,
      backendResponse: response,
    });

    Aspects.of(this).add(new PolicyDependencies(this));
  }

  /** Adds a named value the policies can read as `{{name}}`. */
  public addNamedValue(id: string, options: NamedValueOptions): ApiManagementNamedValue {
    if (!NAMED_VALUE_NAME.test(options.name)) {
      throw new Error(`ApimGateway: named value name ${JSON.stringify(options.name)} is invalid; expected 1-256 letters, digits, '.', '-' or '_'`);
    }
    if (this.namedValues.has(options.name)) {
      throw new Error(`ApimGateway: named value ${JSON.stringify(options.name)} is defined twice; names must be unique`);
    }
    if (options.value === "") {
      throw new Error(`ApimGateway: named value ${JSON.stringify(options.name)} has an empty value; APIM requires a value`);
    }
    const secret = options.secret ?? false;
    const resource = new ApiManagementNamedValue(this, id, {
      name: options.name,
      displayName: options.name,
      value: options.value,
      secret,
      apiManagementName: this.service.name,
      resourceGroupName: this.service.resourceGroupName,
    });
    this.namedValues.set(options.name, { resource, secret });
    return resource;
  }

  /** Adds a policy fragment (format `rawxml`) from a file under `policies/`. */
  public addPolicyFragment(id: string, options: PolicyFragmentOptions): ApiManagementPolicyFragment {
    if (!FRAGMENT_NAME.test(options.name)) {
      throw new Error(`ApimGateway: fragment name ${JSON.stringify(options.name)} is invalid; expected 1-80 letters, digits, '-' or '_'`);
    }
    if (this.fragments.has(options.name)) {
      throw new Error(`ApimGateway: fragment ${JSON.stringify(options.name)} is defined twice; fragment ids must be unique`);
    }
    const { xml: template, path } = readPolicyFile(options.file, this.policiesDir);
    const source = options.transform ? options.transform(template) : template;
    const xml = shaped(() => shapeFragmentXml(source, path));
    const resource = new ApiManagementPolicyFragment(this, id, {
      name: options.name,
      apiManagementId: this.service.id,
      format: "rawxml",
      value: xml,
      description: options.description,
    });
    this.fragments.set(options.name, { resource, document: { scope: "fragment", name: options.name, file: path, xml } });
    return resource;
  }

  /** Adds an API; its operations and policy are added on the returned object. */
  public addApi(id: string, options: GatewayApiOptions): GatewayApi {
    if (this.apis.has(options.name)) {
      throw new Error(`ApimGateway: API ${JSON.stringify(options.name)} is defined twice; API names must be unique`);
    }
    for (const other of this.apis.values()) {
      if (other.path === options.path) {
        throw new Error(`ApimGateway: API ${JSON.stringify(options.name)} uses path ${JSON.stringify(options.path)}, already used by API ${JSON.stringify(other.name)}; paths must be unique`);
      }
    }
    const api = new GatewayApi(this, id, this, options);
    this.apis.set(options.name, api);
    return api;
  }

  /** Sets the service-wide (global) policy from a file under `policies/`. */
  public setGlobalPolicy(file: string): ApiManagementPolicy {
    if (this.node.tryFindChild("global_policy")) {
      throw new Error("ApimGateway: the global policy is already set; setGlobalPolicy may be called once");
    }
    const { xml, path } = this.readPolicy(file);
    const policy = new ApiManagementPolicy(this, "global_policy", { apiManagementId: this.service.id, xmlContent: xml });
    this.registerPolicy(policy, { scope: "global", name: "global", file: path, xml });
    return policy;
  }

  /** Every policy document and named value of this gateway, for the static checks. */
  public policySet(): PolicySet {
    return {
      documents: [...this.policies.map((p) => p.document), ...[...this.fragments.values()].map((f) => f.document)],
      namedValues: [...this.namedValues.entries()].map(([name, { secret }]) => ({ name, secret })),
    };
  }

  /** @internal Reads a policy file relative to this gateway's policies folder, in the shape it is sent in. */
  public readPolicy(file: string): { xml: string; path: string } {
    const { xml, path } = readPolicyFile(file, this.policiesDir);
    return { xml: shaped(() => shapePolicyXml(xml, path)), path };
  }

  /** @internal Records a policy resource so its dependencies and checks are known. */
  public registerPolicy(resource: TerraformResource, document: PolicyDocument): void {
    this.policies.push({ resource, document });
  }

  /** @internal Adds, to each policy and fragment, dependencies on what its XML references. */
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

/** Protocol and cipher settings of the classic tiers: everything below TLS 1.2 and every weak cipher off. */
const SECURE_PROTOCOLS = {
  backendSsl30Enabled: false,
  backendTls10Enabled: false,
  backendTls11Enabled: false,
  frontendSsl30Enabled: false,
  frontendTls10Enabled: false,
  frontendTls11Enabled: false,
  tripleDesCiphersEnabled: false,
  tlsEcdheEcdsaWithAes128CbcShaCiphersEnabled: false,
  tlsEcdheEcdsaWithAes256CbcShaCiphersEnabled: false,
  tlsEcdheRsaWithAes128CbcShaCiphersEnabled: false,
  tlsEcdheRsaWithAes256CbcShaCiphersEnabled: false,
  tlsRsaWithAes128CbcSha256CiphersEnabled: false,
  tlsRsaWithAes128CbcShaCiphersEnabled: false,
  tlsRsaWithAes128GcmSha256CiphersEnabled: false,
  tlsRsaWithAes256CbcSha256CiphersEnabled: false,
  tlsRsaWithAes256CbcShaCiphersEnabled: false,
  tlsRsaWithAes256GcmSha384CiphersEnabled: false,
};

/** Runs a shaping step, naming the construct in its error. */
function shaped(shape: () => string): string {
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
  constructor(private readonly gateway: ApimGateway) {}
  visit(node: IConstruct): void {
    if (this.done || node !== this.gateway) return;
    this.done = true;
    this.gateway.wireDependencies();
  }
}
