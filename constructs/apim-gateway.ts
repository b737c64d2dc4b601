/**
 * Azure API Management as the MCP gateway: the service with a user-assigned managed identity,
 * named values, policy fragments loaded from `policies/`, APIs and operations with policies, and an
 * Application Insights logger whose diagnostics never log bodies (streaming stays intact, no token
 * or code reaches telemetry) and mask every secret a logged URL or header could carry. Policies
 * depend on every named value and fragment they reference, so Terraform creates those first.
 * Policy XML is sent in the shape API Management hands back (constructs/policy-shape.ts), so a plan
 * after an apply shows no change. Protocol and cipher settings are set only on the classic tiers
 * (the v2 tiers do not take them).
 *
 * With `existing`, nothing of the instance itself is created or changed: the service and the
 * user-assigned identity already assigned to it are read with data sources, whose postconditions
 * refuse at plan time what the data shows to be wrong (the Consumption tier, an identity that is
 * not assigned, a custom domain that is missing or that this stack would take over). The
 * diagnostics are then set per API (the instance's service-wide settings belong to its owner;
 * API-level settings override them for these APIs), and a global policy is refused.
 *
 * With `customDomain`, `gatewayUrl` is `https://<hostName>`; the domain is bound with its
 * certificate from Key Vault, read with the gateway's identity. `gatewayUrl` never refers to the
 * service's attributes, so constructs that use it (the Entra redirect URI) do not wait for the service.
 */
import { Construct, type IConstruct } from "constructs";
import { Annotations, Aspects, Fn, Lazy, type IAspect, type TerraformElement, type TerraformResource } from "cdktf";
// Renders a resource address for depends_on exactly as `dependsOn: [resource]` would.
import { dependable } from "cdktf/lib/tfExpression";
import type { ResourceGroup } from "@cdktf/provider-azurerm/lib/resource-group";
import type { Observability } from "./observability.js";
import { isValidNamedValueName } from "../apim-policy/named-values.js";
import { fragmentReferences, namedValueReferences, POLICIES_DIR, readPolicyFile } from "./policy-files.js";
import type { PolicyDocument, PolicySet } from "./policy-set.js";
import { PolicyShapeError, shapeFragmentXml, shapePolicyXml } from "./policy-shape.js";
import { apimSkuProblem, apimSkuTakesProtocolSettings, CONSUMPTION_REASON } from "./skus.js";
import {
  ApiManagement,
  ApiManagementApi,
  ApiManagementApiDiagnostic,
  ApiManagementApiOperation,
  ApiManagementApiOperationPolicy,
  ApiManagementApiPolicy,
  ApiManagementCustomDomain,
  ApiManagementDiagnostic,
  ApiManagementLogger,
  ApiManagementNamedValue,
  ApiManagementPolicy,
  ApiManagementPolicyFragment,
  DataAzurermApiManagement,
  DataAzurermUserAssignedIdentity,
  RoleAssignment,
  UserAssignedIdentity,
} from "./providers.js";
import { isLiteral } from "./literal.js";


/** An API Management instance that exists already (see `ApimGatewayProps.existing`). */
export interface ExistingApiManagementProps {
  /** Name of the instance; its default gateway host is `<name>.azure-api.net`. */
  readonly name: string;
  /** Its resource group. */
  readonly resourceGroupName: string;
  /**
   * The user-assigned managed identity already assigned to the instance. The gateway presents it to
   * Entra ID (federated credentials trust it, no secret) and to Key Vault. The stack cannot assign
   * it (the instance's identities belong to its owner); the plan fails, naming both, when it is not
   * assigned.
   */
  readonly identity: { readonly name: string; readonly resourceGroupName: string };
}

/** A custom domain of the gateway (see `ApimGatewayProps.customDomain`). */
export interface GatewayCustomDomainProps {
  /**
   * Host name such as `mcp.contoso.com`; `gatewayUrl` becomes `https://<hostName>`. DNS is yours: a
   * CNAME from it to `<name>.azure-api.net` (`defaultHostName`).
   */
  readonly hostName: string;
  /**
   * Key Vault secret id of the TLS certificate (`https://<vault>.vault.azure.net/secrets/<name>`,
   * imported into Key Vault as a certificate; without a version API Management follows renewals;
   * may be a reference such as `azurerm_key_vault_certificate.versionless_secret_id`),
   * read with the gateway's identity. The domain is then bound by this stack (one
   * `azurerm_api_management_custom_domain`, which holds every custom domain of the instance).
   * @default none: only with `existing`, for a host already bound to the instance (checked at plan)
   */
  readonly keyVaultCertificateId?: string;
  /**
   * Resource id of that Key Vault (Azure RBAC permission model): the stack then grants the gateway's
   * identity Key Vault Secrets User on the certificate's secret, before binding the domain.
   * @default none: you grant the identity read access to the secret (synth warns)
   */
  readonly keyVaultId?: string;
}

export interface ApimGatewayProps {
  /**
   * Resource group of the service and its identity; they take its location.
   * Required unless `existing`.
   * @default none
   */
  readonly resourceGroup?: ResourceGroup;
  /**
   * Service name (1-50 characters, globally unique); it makes the host `<name>.azure-api.net`.
   * May be a Terraform expression (the stack derives a stable unique suffix in Terraform).
   * Required unless `existing`; with `existing`, its name if given.
   * @default `existing.name`
   */
  readonly name?: string;
  /**
   * Publisher e-mail shown in the developer portal and used for notifications. Required unless `existing`.
   * @default none
   */
  readonly publisherEmail?: string;
  /**
   * Publisher (organisation) name. Required unless `existing`.
   * @default none
   */
  readonly publisherName?: string;
  /**
   * SKU, `<tier>_<units>`. Consumption is refused: no built-in cache, no SSE, 16 KiB policies.
   * Not used with `existing` (the instance's tier is checked at plan instead).
   * @default "BasicV2_1"
   */
  readonly sku?: string;
  /**
   * Deploy into this existing instance instead of creating one: the APIs, named values, fragments,
   * logger and per-API diagnostics are created in it and `cdktf destroy` removes only those.
   * @default none: a new instance is created
   */
  readonly existing?: ExistingApiManagementProps;
  /**
   * A custom domain for the gateway: issuer, resource URIs, metadata and redirect URIs use it.
   * @default none: `https://<name>.azure-api.net`
   */
  readonly customDomain?: GatewayCustomDomainProps;
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
   * Named values the operation policy refers to under other names, e.g. `{ "mcp-path": "mcp-path-tickets" }`
   * (one policy file serves every MCP server, each with its own named values).
   * @default none
   */
  readonly namedValueRenames?: Readonly<Record<string, string>>;
  /**
   * Description shown in the portal.
   * @default none
   */
  readonly description?: string;
}

/** Options of `GatewayApi.setPolicy`. */
export interface ApiPolicyOptions {
  /**
   * Named values the policy refers to under other names (see `OperationOptions.namedValueRenames`).
   * @default none
   */
  readonly namedValueRenames?: Readonly<Record<string, string>>;
}

/** A fragment generated at synth (not read from `policies/`). */
export interface GeneratedFragmentOptions {
  /** Fragment id, as `<include-fragment fragment-id>` names it. */
  readonly name: string;
  /** Its rawxml: a `<fragment>` opening with a comment saying what it does. */
  readonly xml: string;
  /** What it does. */
  readonly description: string;
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

const FRAGMENT_NAME = /^[A-Za-z0-9_-]{1,80}$/;
const API_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,79}$/;
const HTTP_METHOD = /^(GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS|TRACE)$/;
const SERVICE_NAME = /^[a-zA-Z](?:[a-zA-Z0-9]|-(?=[a-zA-Z0-9])){0,49}$/;
const RESOURCE_GROUP_NAME = /^[-\w.()]{0,89}[-\w()]$/;
const IDENTITY_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{2,127}$/;
const HOST_NAME = /^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;
const DEFAULT_GATEWAY_HOST = /\.azure-api\.(net|cn|us)$/;
const KEY_VAULT_SECRET_ID = /^https:\/\/([a-z0-9](?:[a-z0-9]|-(?=[a-z0-9])){2,23})\.vault\.(?:azure\.net|azure\.cn|usgovcloudapi\.net)\/secrets\/([A-Za-z0-9-]{1,127})(?:\/[0-9a-f]{32})?$/i;
const KEY_VAULT_ID = /^\/subscriptions\/[0-9a-fA-F-]{36}\/resourceGroups\/[-\w.()]{1,90}\/providers\/Microsoft\.KeyVault\/vaults\/([A-Za-z0-9-]{3,24})$/i;

/** Name of the Application Insights logger in an instance this stack creates. */
const LOGGER_NAME = "appinsights";
/** Name of the logger in an existing instance: one its owner is unlikely to use already. */
const EXISTING_LOGGER_NAME = "mcp-platform-insights";
/** The built-in role that reads a Key Vault secret's value (the certificate's PFX) and metadata. */
export const KEY_VAULT_SECRET_READER_ROLE = "Key Vault Secrets User";

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
    gateway.addApiDiagnostic(this, this.api);
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
      const { xml, path } = this.gateway.readPolicy(options.policyFile, options.namedValueRenames);
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
  public setPolicy(file: string, options: ApiPolicyOptions = {}): ApiManagementApiPolicy {
    if (this.node.tryFindChild("policy")) {
      throw new Error(`ApimGateway: API ${JSON.stringify(this.name)} already has a policy; setPolicy may be called once`);
    }
    const { xml, path } = this.gateway.readPolicy(file, options.namedValueRenames);
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
  /** The API Management service: created, or read with a data source (`existing`). */
  public readonly service: ApiManagement | DataAzurermApiManagement;
  /** The service name (may be a Terraform expression). */
  public readonly name: string;
  /** The service's default gateway host, `<name>.azure-api.net` (the CNAME target of a custom domain). */
  public readonly defaultHostName: string;
  /**
   * Gateway base URL: `https://<customDomain.hostName>`, or `https://<name>.azure-api.net`. Built from
   * the props only (no reference to the service), so what uses it does not wait for the service.
   */
  public readonly gatewayUrl: string;
  /**
   * The user-assigned managed identity the gateway presents to Entra ID, Key Vault and backends:
   * created and assigned, or (with `existing`) the one already assigned, read with a data source.
   */
  public readonly identity: UserAssignedIdentity | DataAzurermUserAssignedIdentity;
  /** The Application Insights logger. */
  public readonly logger: ApiManagementLogger;
  /** The custom domain binding, when `customDomain` has a certificate. */
  public readonly customDomain?: ApiManagementCustomDomain;
  /** The Key Vault role assignment that lets the identity read the certificate, when `customDomain.keyVaultId` is set. */
  public readonly certificateAccess?: RoleAssignment;
  /** Whether the service exists already (`existing`): nothing of the instance itself is managed. */
  public readonly isExisting: boolean;

  private readonly policiesDir: string;
  private readonly namedValues = new Map<string, { resource: ApiManagementNamedValue; secret: boolean }>();
  private readonly fragments = new Map<string, PolicyEntry>();
  private readonly policies: PolicyEntry[] = [];
  private readonly apis = new Map<string, GatewayApi>();
  private readonly diagnosticSettings: DiagnosticSettings;

  constructor(scope: Construct, id: string, props: ApimGatewayProps) {
    super(scope, id);
    const samplingPercentage = props.samplingPercentage ?? 100;
    if (!(samplingPercentage >= 0 && samplingPercentage <= 100)) {
      throw new Error(`ApimGateway: samplingPercentage ${samplingPercentage} is out of range; expected 0 to 100`);
    }
    const customDomain = props.customDomain;
    if (customDomain) checkCustomDomain(customDomain, props.existing !== undefined);
    this.policiesDir = props.policiesDir ?? POLICIES_DIR;
    this.isExisting = props.existing !== undefined;

    if (props.existing) {
      const existing = checkExisting(props.existing, props.name);
      this.name = existing.name;
      this.identity = new DataAzurermUserAssignedIdentity(this, "identity", {
        name: existing.identity.name,
        resourceGroupName: existing.identity.resourceGroupName,
      });
      this.service = new DataAzurermApiManagement(this, "service", {
        name: existing.name,
        resourceGroupName: existing.resourceGroupName,
        lifecycle: { postcondition: existingServiceChecks(existing, this.identity, customDomain) },
      });
      if (customDomain?.keyVaultCertificateId) {
        Annotations.of(this).addWarning(
          `Custom domain ${customDomain.hostName} on the existing API Management "${existing.name}": azurerm manages all custom domains of an instance as one resource, so the plan refuses an instance that has other custom domains, and \`cdktf destroy\` removes every custom domain of "${existing.name}". To keep the instance's domains in its owner's hands, bind ${customDomain.hostName} yourself and leave the certificate out.`,
        );
      }
    } else {
      const { resourceGroup, name, publisherEmail, publisherName } = props;
      const missing = Object.entries({ resourceGroup, name, publisherEmail, publisherName }).filter(([, v]) => v === undefined).map(([k]) => k);
      if (missing.length > 0) throw new Error(`ApimGateway: ${missing.join(", ")} missing; expected them for a new API Management instance, or \`existing\` to deploy into one`);
      const sku = props.sku ?? "BasicV2_1";
      const skuProblem = apimSkuProblem(sku);
      if (skuProblem) throw new Error(`ApimGateway: sku ${skuProblem}`);
      if (literal(name!) && !SERVICE_NAME.test(name!)) {
        throw new Error(`ApimGateway: name ${JSON.stringify(name)} breaks API Management naming rules; expected 1-50 letters, digits and single hyphens, starting with a letter`);
      }
      this.name = name!;
      const identity = new UserAssignedIdentity(this, "identity", {
        name: `${name}-identity`,
        location: resourceGroup!.location,
        resourceGroupName: resourceGroup!.name,
      });
      this.identity = identity;
      this.service = new ApiManagement(this, "service", {
        name: name!,
        location: resourceGroup!.location,
        resourceGroupName: resourceGroup!.name,
        publisherEmail: publisherEmail!,
        publisherName: publisherName!,
        skuName: sku,
        identity: { type: "UserAssigned", identityIds: [identity.id] },
        // Classic tiers: HTTP/2 on, TLS below 1.2, SSL 3.0, 3DES and the CBC ciphers off (the provider
        // defaults, stated so that a default change cannot weaken the gateway). The v2 tiers take none
        // of these settings (TLS 1.2+ only) and would show a diff on every plan or fail the apply.
        ...(apimSkuTakesProtocolSettings(sku) ? { protocols: { http2Enabled: true }, security: SECURE_PROTOCOLS } : {}),
      });
    }
    this.defaultHostName = `${this.name}.azure-api.net`;
    this.gatewayUrl = `https://${customDomain?.hostName ?? this.defaultHostName}`;

    if (customDomain?.keyVaultCertificateId) {
      // https://<vault>.vault.azure.net/secrets/<name>[/<version>]: the name is the fifth '/' segment.
      const certificateId = customDomain.keyVaultCertificateId;
      const secretName = literal(certificateId) ? KEY_VAULT_SECRET_ID.exec(certificateId)![2]! : Fn.element(Fn.split("/", certificateId), 4);
      if (customDomain.keyVaultId) {
        // Least privilege: read access to the one secret that holds the certificate, nothing else in the vault.
        this.certificateAccess = new RoleAssignment(this, "certificate_access", {
          scope: `${customDomain.keyVaultId}/secrets/${secretName}`,
          roleDefinitionName: KEY_VAULT_SECRET_READER_ROLE,
          principalId: this.identity.principalId,
          principalType: "ServicePrincipal",
          description: `API Management reads the TLS certificate of ${customDomain.hostName}.`,
        });
      } else {
        Annotations.of(this).addWarning(
          `Custom domain ${customDomain.hostName}: API Management reads its certificate (${customDomain.keyVaultCertificateId}) with the gateway's user-assigned identity, and nothing in this deployment grants that: give the identity read access to the secret (Azure RBAC: ${KEY_VAULT_SECRET_READER_ROLE} on the secret or its vault; access policies: Get and List on secrets) before the custom domain is created, or set gateway.keyVaultId so that the stack grants it. The CNAME from ${customDomain.hostName} to ${this.defaultHostName} is yours.`,
        );
      }
      this.customDomain = new ApiManagementCustomDomain(this, "custom_domain", {
        apiManagementId: this.service.id,
        gateway: [{
          hostName: customDomain.hostName,
          keyVaultCertificateId: customDomain.keyVaultCertificateId,
          sslKeyvaultIdentityClientId: this.identity.clientId,
          negotiateClientCertificate: false,
        }],
        dependsOn: this.certificateAccess ? [this.certificateAccess] : undefined,
      });
    }

    this.logger = new ApiManagementLogger(this, "logger", {
      name: this.isExisting ? EXISTING_LOGGER_NAME : LOGGER_NAME,
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
    this.diagnosticSettings = {
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
    };
    // A new instance gets service-wide diagnostics; in an existing one they belong to its owner, so
    // each API of this gateway gets its own (API-level settings override the service's for that API).
    if (!this.isExisting) new ApiManagementDiagnostic(this, "diagnostic", this.diagnosticSettings);

    Aspects.of(this).add(new PolicyDependencies(this));
  }

  /** @internal Gives an API of this gateway its own diagnostics (existing instances only). */
  public addApiDiagnostic(scope: Construct, api: ApiManagementApi): void {
    if (!this.isExisting) return;
    new ApiManagementApiDiagnostic(scope, "diagnostic", { ...this.diagnosticSettings, apiName: api.name });
  }

  /** Adds a named value the policies can read as `{{name}}`. */
  public addNamedValue(id: string, options: NamedValueOptions): ApiManagementNamedValue {
    if (!isValidNamedValueName(options.name)) {
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
    const resource = this.newFragment(id, options.name, xml, options.description);
    this.fragments.set(options.name, { resource, document: { scope: "fragment", name: options.name, file: path, xml } });
    return resource;
  }

  /**
   * Adds a fragment generated at synth, or replaces the XML of one added before (its resource and
   * checks follow), e.g. a table of the platform's MCP servers that grows with each server.
   */
  public setGeneratedFragment(id: string, options: GeneratedFragmentOptions): ApiManagementPolicyFragment {
    const existing = this.fragments.get(options.name);
    const file = `generated:${options.name}`;
    const xml = shaped(() => shapeFragmentXml(options.xml, file));
    if (existing) {
      if (existing.document.file !== file) throw new Error(`ApimGateway: fragment ${JSON.stringify(options.name)} comes from ${existing.document.file}; a generated fragment may not replace it`);
      const resource = existing.resource as ApiManagementPolicyFragment;
      resource.value = xml;
      this.fragments.set(options.name, { resource, document: { ...existing.document, xml, source: options.xml } });
      return resource;
    }
    if (!FRAGMENT_NAME.test(options.name)) {
      throw new Error(`ApimGateway: fragment name ${JSON.stringify(options.name)} is invalid; expected 1-80 letters, digits, '-' or '_'`);
    }
    const resource = this.newFragment(id, options.name, xml, options.description);
    this.fragments.set(options.name, { resource, document: { scope: "fragment", name: options.name, file, xml, source: options.xml } });
    return resource;
  }

  /** The fragment resource of `name` (raw XML, as shaped). */
  private newFragment(id: string, name: string, xml: string, description: string | undefined): ApiManagementPolicyFragment {
    return new ApiManagementPolicyFragment(this, id, { name, apiManagementId: this.service.id, format: "rawxml", value: xml, description });
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
    if (this.isExisting) {
      throw new Error(`ApimGateway: a global policy is refused in the existing API Management ${JSON.stringify(this.name)}: it applies to every API of the instance and belongs to its owner; use API or operation policies`);
    }
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
  public readPolicy(file: string, namedValueRenames: Readonly<Record<string, string>> = {}): { xml: string; path: string } {
    const read = readPolicyFile(file, this.policiesDir);
    const path = read.path;
    const xml = renameNamedValues(read.xml, namedValueRenames, path);
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

/** The diagnostic settings shared by the service-wide and the per-API diagnostics. */
interface DiagnosticSettings {
  readonly identifier: string;
  readonly apiManagementName: string;
  readonly resourceGroupName: string;
  readonly apiManagementLoggerId: string;
  readonly samplingPercentage: number;
  readonly alwaysLogErrors: boolean;
  readonly logClientIp: boolean;
  readonly verbosity: string;
  readonly httpCorrelationProtocol: string;
  readonly frontendRequest: DiagnosticMessageSettings;
  readonly frontendResponse: DiagnosticMessageSettings;
  readonly backendRequest: DiagnosticMessageSettings;
  readonly backendResponse: DiagnosticMessageSettings;
}

interface DiagnosticMessageSettings {
  readonly bodyBytes: number;
  readonly headersToLog: string[];
  readonly dataMasking: { queryParams?: { mode: string; value: string }[]; headers: { mode: string; value: string }[] };
}

/** Whether a prop is a plain value (not a token or a Terraform expression), so it can be checked at synth. */
const literal = isLiteral;

/** Validates `existing` (and a `name` given next to it); returns it. */
function checkExisting(existing: ExistingApiManagementProps, name: string | undefined): ExistingApiManagementProps {
  const problems: string[] = [];
  if (literal(existing.name) && !SERVICE_NAME.test(existing.name)) problems.push(`existing.name ${JSON.stringify(existing.name)} breaks API Management naming rules; expected 1-50 letters, digits and single hyphens, starting with a letter`);
  if (literal(existing.resourceGroupName) && !RESOURCE_GROUP_NAME.test(existing.resourceGroupName)) problems.push(`existing.resourceGroupName ${JSON.stringify(existing.resourceGroupName)} is not a resource group name; expected 1-90 letters, digits, '_', '-', '.', '(' or ')'`);
  if (literal(existing.identity.name) && !IDENTITY_NAME.test(existing.identity.name)) problems.push(`existing.identity.name ${JSON.stringify(existing.identity.name)} is not a user-assigned managed identity name; expected 3-128 letters, digits, '-' or '_'`);
  if (literal(existing.identity.resourceGroupName) && !RESOURCE_GROUP_NAME.test(existing.identity.resourceGroupName)) problems.push(`existing.identity.resourceGroupName ${JSON.stringify(existing.identity.resourceGroupName)} is not a resource group name; expected 1-90 letters, digits, '_', '-', '.', '(' or ')'`);
  if (name !== undefined && name !== existing.name) problems.push(`name ${JSON.stringify(name)} differs from existing.name ${JSON.stringify(existing.name)}; expected the existing instance's name, or no name`);
  if (problems.length > 0) throw new Error(`ApimGateway: ${problems.join("; ")}`);
  return existing;
}

/** Validates a custom domain. */
function checkCustomDomain(domain: GatewayCustomDomainProps, existing: boolean): void {
  const { hostName, keyVaultCertificateId, keyVaultId } = domain;
  if (literal(hostName) && !HOST_NAME.test(hostName)) throw new Error(`ApimGateway: customDomain.hostName ${JSON.stringify(hostName)} is not a DNS host name; expected a lowercase host name such as mcp.contoso.com`);
  if (literal(hostName) && DEFAULT_GATEWAY_HOST.test(hostName)) throw new Error(`ApimGateway: customDomain.hostName ${JSON.stringify(hostName)} is a default API Management host, not a custom domain`);
  if (keyVaultCertificateId === undefined) {
    if (!existing) throw new Error(`ApimGateway: customDomain ${JSON.stringify(hostName)} has no keyVaultCertificateId; a new instance needs the certificate to bind the domain (only a host already bound to an existing instance goes without)`);
    if (keyVaultId !== undefined) throw new Error(`ApimGateway: customDomain.keyVaultId is set without keyVaultCertificateId; expected the Key Vault holding that certificate, or neither`);
    return;
  }
  if (!literal(keyVaultCertificateId)) return;
  const secret = KEY_VAULT_SECRET_ID.exec(keyVaultCertificateId);
  if (!secret) throw new Error(`ApimGateway: customDomain.keyVaultCertificateId ${JSON.stringify(keyVaultCertificateId)} is not a Key Vault secret id; expected https://<vault>.vault.azure.net/secrets/<name>`);
  if (keyVaultId !== undefined && literal(keyVaultId)) {
    const vault = KEY_VAULT_ID.exec(keyVaultId);
    if (!vault) throw new Error(`ApimGateway: customDomain.keyVaultId ${JSON.stringify(keyVaultId)} is not a Key Vault resource id; expected /subscriptions/<id>/resourceGroups/<group>/providers/Microsoft.KeyVault/vaults/<vault>`);
    if (vault[1]!.toLowerCase() !== secret[1]!.toLowerCase()) throw new Error(`ApimGateway: customDomain.keyVaultId names the vault ${JSON.stringify(vault[1])}, but the certificate is in ${JSON.stringify(secret[1])}; expected the vault holding the certificate`);
  }
}

/** Terraform's address of a data source, rendered at synth (after any logical id override). */
const dataAddress = (element: TerraformElement & { terraformResourceType: string }): string =>
  Lazy.stringValue({ produce: () => `data.${element.terraformResourceType}.${element.friendlyUniqueId}` });

/**
 * What the data of an existing instance must show, checked when Terraform reads it (plan time,
 * before anything changes); each failure names the instance and says what to do.
 */
function existingServiceChecks(existing: ExistingApiManagementProps, identity: DataAzurermUserAssignedIdentity, domain: GatewayCustomDomainProps | undefined) {
  const where = `API Management "${existing.name}" (resource group "${existing.resourceGroupName}")`;
  const hcl = (s: string) => JSON.stringify(s.toLowerCase());
  const checks = [
    {
      condition: '${!can(regex("(?i)^consumption", self.sku_name))}',
      errorMessage: `${where} is on the Consumption tier, and ${CONSUMPTION_REASON}; deploy into an instance of another tier (BasicV2, StandardV2, Developer, Basic, Standard, Premium), or leave apim.existing out to create one.`,
    },
    {
      condition: `\${contains([for id in try(self.identity[0].identity_ids, []) : lower(id)], lower(${dataAddress(identity)}.id))}`,
      errorMessage: `The managed identity "${existing.identity.name}" (resource group "${existing.identity.resourceGroupName}") is not assigned to ${where}: assign it there (Security > Managed identities > User assigned), then plan again. The gateway presents it to Entra ID and Key Vault.`,
    },
  ];
  if (domain && !domain.keyVaultCertificateId) {
    checks.push({
      condition: `\${contains([for h in try(self.hostname_configuration[0].proxy, []) : lower(h.host_name)], ${hcl(domain.hostName)})}`,
      errorMessage: `${where} has no gateway custom domain "${domain.hostName}": bind it there first (Custom domains), or give its certificate (gateway.keyVaultCertificateId) so that this stack binds it.`,
    });
  }
  if (domain?.keyVaultCertificateId) {
    const own = `[${hcl(domain.hostName)}, ${hcl(`${existing.name}.azure-api.net`)}]`;
    checks.push({
      condition: `\${alltrue([for h in flatten([for c in self.hostname_configuration : concat(c.proxy[*].host_name, c.portal[*].host_name, c.developer_portal[*].host_name, c.management[*].host_name, c.scm[*].host_name)]) : contains(${own}, lower(h))])}`,
      errorMessage: `${where} has custom domains already: azurerm manages every custom domain of an instance as one resource, so binding "${domain.hostName}" from this stack would replace them and \`cdktf destroy\` would remove them. Bind "${domain.hostName}" there yourself and leave gateway.keyVaultCertificateId out.`,
    });
  }
  return checks;
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
