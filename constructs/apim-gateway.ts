/**
 * Azure API Management as the MCP gateway: the service with a user-assigned managed identity,
 * named values, policy fragments loaded from `policies/`, and APIs (`addApi`, a `GatewayApi`) with
 * operations and policies. Policy XML is sent in the shape API Management hands back
 * (constructs/policy-shape.ts), so a plan after an apply shows no change; every policy depends on
 * the named values and fragments it references (constructs/gateway-policies.ts), so Terraform
 * creates those first. Protocol and cipher settings are set only on the classic tiers (the v2 tiers
 * do not take them).
 *
 * Beside it, one concern each: the gateway API (gateway-api.ts), an existing instance, read and
 * checked at plan (existing-api-management.ts; a global policy is then refused), the custom domain
 * (gateway-custom-domain.ts), the logger and diagnostics that never log bodies or headers and mask
 * every secret a logged URL could carry (gateway-diagnostics.ts), and the policy registry
 * (gateway-policies.ts).
 *
 * With `customDomain`, `gatewayUrl` is `https://<hostName>`. `gatewayUrl` never refers to the
 * service's attributes, so constructs that use it (the Entra redirect URI) do not wait for the service.
 */
import { Construct } from "constructs";
import { Tokenization } from "cdktf";
import type { ResourceGroup } from "@cdktf/provider-azurerm/lib/resource-group";
import type { Observability } from "./observability.js";
import { isValidNamedValueName } from "../apim-policy/named-values.js";
import { readExistingInstance, type ExistingApiManagementProps } from "./existing-api-management.js";
import { GatewayApi, type GatewayApiOptions } from "./gateway-api.js";
import { bindCustomDomain, checkCustomDomain, type GatewayCustomDomainProps } from "./gateway-custom-domain.js";
import { addGatewayTelemetry } from "./gateway-diagnostics.js";
import { attachPolicyRegistry, FRAGMENT_NAME, shaped, type PolicyRegistry } from "./gateway-policies.js";
import { POLICIES_DIR, readPolicyFile } from "./policy-files.js";
import type { PolicySet } from "./policy-set.js";
import { shapeFragmentXml } from "./policy-shape.js";
import { APIM_SERVICE_NAME } from "../vocabulary/azure-names.js";
import { apimSkuProblem, apimSkuTakesProtocolSettings } from "../vocabulary/skus.js";
import {
  ApiManagement,
  ApiManagementCustomDomain,
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
  /**
   * The most characters the value can have once Terraform resolves it, checked against API
   * Management's 4,096 by the policy checks (rule size-limits). Give it for a value with Terraform
   * references whose length the construct knows (a client id is a 36-character GUID).
   * @default the value's length; each Terraform reference in it counted as 256 characters
   */
  readonly maxLength?: number;
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

/** A fragment generated at synth (not read from `policies/`). */
export interface GeneratedFragmentOptions {
  /** Fragment id, as `<include-fragment fragment-id>` names it. */
  readonly name: string;
  /** Its rawxml: a `<fragment>` opening with a comment saying what it does. */
  readonly xml: string;
  /** What it does. */
  readonly description: string;
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

  private readonly registry: PolicyRegistry;
  private refs?: { readonly apiManagementName: string; readonly resourceGroupName: string; readonly apiManagementId: string };
  private readonly apis = new Map<string, GatewayApi>();

  constructor(scope: Construct, id: string, props: ApimGatewayProps) {
    super(scope, id);
    const samplingPercentage = props.samplingPercentage ?? 100;
    if (!(samplingPercentage >= 0 && samplingPercentage <= 100)) {
      throw new Error(`ApimGateway: samplingPercentage ${samplingPercentage} is out of range; expected 0 to 100`);
    }
    const customDomain = props.customDomain;
    if (customDomain) checkCustomDomain(customDomain, props.existing !== undefined);
    this.isExisting = props.existing !== undefined;

    if (props.existing) {
      const existing = readExistingInstance(this, props.existing, props.name, customDomain);
      this.name = existing.name;
      this.identity = existing.identity;
      this.service = existing.service;
    } else {
      const { resourceGroup, name, publisherEmail, publisherName } = props;
      const missing = Object.entries({ resourceGroup, name, publisherEmail, publisherName }).filter(([, v]) => v === undefined).map(([k]) => k);
      if (missing.length > 0) throw new Error(`ApimGateway: ${missing.join(", ")} missing; expected them for a new API Management instance, or \`existing\` to deploy into one`);
      const sku = props.sku ?? "BasicV2_1";
      const skuProblem = apimSkuProblem(sku);
      if (skuProblem) throw new Error(`ApimGateway: sku ${skuProblem}`);
      if (isLiteral(name!) && !APIM_SERVICE_NAME.test(name!)) {
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
        // Classic tiers: HTTP/2 on, TLS below 1.2, SSL 3.0, 3DES, the CBC ciphers and the two RSA GCM
        // ciphers (no forward secrecy) off (the provider defaults, stated so that a default change cannot
        // weaken the gateway). No block on the v2 tiers (TLS 1.2+ only); azurerm 4.55.0 still sends its
        // security custom properties (all false) for every non-Consumption SKU, which v2 accepts.
        ...(apimSkuTakesProtocolSettings(sku) ? { protocols: { http2Enabled: true }, security: SECURE_PROTOCOLS } : {}),
      });
    }
    this.defaultHostName = `${this.name}.azure-api.net`;
    this.gatewayUrl = `https://${customDomain?.hostName ?? this.defaultHostName}`;

    if (customDomain?.keyVaultCertificateId) {
      const bound = bindCustomDomain(this, { ...customDomain, keyVaultCertificateId: customDomain.keyVaultCertificateId });
      this.customDomain = bound.customDomain;
      this.certificateAccess = bound.certificateAccess;
    }

    this.logger = addGatewayTelemetry(this, props.observability, samplingPercentage);
    this.registry = attachPolicyRegistry(this, props.policiesDir ?? POLICIES_DIR);
  }

  /** Adds a named value the policies can read as `{{name}}`. */
  public addNamedValue(id: string, options: NamedValueOptions): ApiManagementNamedValue {
    if (!isValidNamedValueName(options.name)) {
      throw new Error(`ApimGateway: named value name ${JSON.stringify(options.name)} is invalid; expected 1-256 letters, digits, '.', '-' or '_'`);
    }
    if (this.registry.namedValues.has(options.name)) {
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
      ...this.serviceRefs(),
    });
    this.registry.namedValues.set(options.name, { resource, secret, maxLength: options.maxLength ?? longestValue(options.value) });
    return resource;
  }

  /** Adds a policy fragment (format `rawxml`) from a file under `policies/`. */
  public addPolicyFragment(id: string, options: PolicyFragmentOptions): ApiManagementPolicyFragment {
    if (!FRAGMENT_NAME.test(options.name)) {
      throw new Error(`ApimGateway: fragment name ${JSON.stringify(options.name)} is invalid; expected 1-80 letters, digits, '-' or '_'`);
    }
    if (this.registry.fragments.has(options.name)) {
      throw new Error(`ApimGateway: fragment ${JSON.stringify(options.name)} is defined twice; fragment ids must be unique`);
    }
    const { xml: template, path } = readPolicyFile(options.file, this.registry.policiesDir);
    const source = options.transform ? options.transform(template) : template;
    const xml = shaped(() => shapeFragmentXml(source, path));
    const resource = this.newFragment(id, options.name, xml, options.description);
    this.registry.fragments.set(options.name, { resource, document: { scope: "fragment", name: options.name, file: path, xml } });
    return resource;
  }

  /**
   * Adds a fragment generated at synth, or replaces the XML of one added before (its resource and
   * checks follow), e.g. a table of the platform's MCP servers that grows with each server.
   */
  public setGeneratedFragment(id: string, options: GeneratedFragmentOptions): ApiManagementPolicyFragment {
    const fragments = this.registry.fragments;
    const existing = fragments.get(options.name);
    const file = `generated:${options.name}`;
    const xml = shaped(() => shapeFragmentXml(options.xml, file));
    if (existing) {
      if (existing.document.file !== file) throw new Error(`ApimGateway: fragment ${JSON.stringify(options.name)} comes from ${existing.document.file}; a generated fragment may not replace it`);
      const resource = existing.resource as ApiManagementPolicyFragment;
      resource.value = xml;
      fragments.set(options.name, { resource, document: { ...existing.document, xml, source: options.xml } });
      return resource;
    }
    if (!FRAGMENT_NAME.test(options.name)) {
      throw new Error(`ApimGateway: fragment name ${JSON.stringify(options.name)} is invalid; expected 1-80 letters, digits, '-' or '_'`);
    }
    const resource = this.newFragment(id, options.name, xml, options.description);
    fragments.set(options.name, { resource, document: { scope: "fragment", name: options.name, file, xml, source: options.xml } });
    return resource;
  }

  /** The fragment resource of `name` (raw XML, as shaped). */
  private newFragment(id: string, name: string, xml: string, description: string | undefined): ApiManagementPolicyFragment {
    return new ApiManagementPolicyFragment(this, id, { name, apiManagementId: this.serviceRefs().apiManagementId, format: "rawxml", value: xml, description });
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
    const { xml, path } = this.registry.readPolicy(file);
    const policy = new ApiManagementPolicy(this, "global_policy", { apiManagementId: this.service.id, xmlContent: xml });
    this.registry.registerPolicy(policy, { scope: "global", name: "global", file: path, xml });
    return policy;
  }

  /**
   * The service's name, resource group and id as Terraform references, read once: each read of a
   * resource attribute makes a new token, and cdktf records a stack trace for every token (with
   * hundreds of named values, operations and fragments, that was a good part of synth).
   */
  public serviceRefs(): { readonly apiManagementName: string; readonly resourceGroupName: string; readonly apiManagementId: string } {
    this.refs ??= { apiManagementName: this.service.name, resourceGroupName: this.service.resourceGroupName, apiManagementId: this.service.id };
    return this.refs;
  }

  /** Every policy document and named value of this gateway, for the static checks. */
  public policySet(): PolicySet {
    return this.registry.policySet();
  }
}

/** What a Terraform reference in a named value counts as when its construct gives no `maxLength`: longer than any name, id or URL the stack puts there. */
const REFERENCE_LENGTH = 256;

/** The most characters `value` can resolve to, each Terraform reference counted as REFERENCE_LENGTH. */
function longestValue(value: string): number {
  if (isLiteral(value)) return value.length;
  const fragments = Tokenization.reverseString(value);
  const literal = fragments.literals.reduce((sum, l) => sum + String(l).length, 0);
  return literal + (fragments.length - fragments.literals.length) * REFERENCE_LENGTH;
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
