/**
 * An API of the gateway (`ApimGateway.addApi`): its operations, with template parameters derived
 * from their URL templates, and its API-level and operation policies, read from `policies/` in the
 * shape API Management hands back and recorded in the gateway's policy registry (apply order and
 * static checks). In an existing instance the API gets its own diagnostic.
 */
import { Construct } from "constructs";
import type { ApimGateway } from "./apim-gateway.js";
import { addApiDiagnostic } from "./gateway-diagnostics.js";
import { policyRegistry } from "./gateway-policies.js";
import { ApiManagementApi, ApiManagementApiOperation, ApiManagementApiOperationPolicy, ApiManagementApiPolicy } from "./providers.js";

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

/** An API name and an operation id: 1-80 letters, digits, '-' or '_', starting with a letter or digit. */
const API_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,79}$/;
const HTTP_METHOD = /^(GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS|TRACE)$/;

/** The construct id of the operation `operationId` (`op_<operationId>` with '_' for '-'): ids are a contract. */
export function operationConstructId(operationId: string): string {
  return `op_${operationId.replace(/-/g, "_")}`;
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
  /** The API's name, instance and resource group as Terraform references (operations and policies depend on the API through them). */
  private readonly refs: { readonly apiName: string; readonly apiManagementName: string; readonly resourceGroupName: string };

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
      apiManagementName: gateway.serviceRefs().apiManagementName,
      resourceGroupName: gateway.serviceRefs().resourceGroupName,
    });
    addApiDiagnostic(gateway, this, this.api);
    // Each read of a resource attribute makes a new token (and cdktf records a stack trace for it): read them once.
    this.refs = { apiName: this.api.name, apiManagementName: this.api.apiManagementName, resourceGroupName: this.api.resourceGroupName };
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
    if (!API_NAME.test(options.operationId)) {
      throw new Error(`ApimGateway: operation id ${JSON.stringify(options.operationId)} is invalid; expected 1-80 letters, digits, '-' or '_'`);
    }
    if (this.operations.has(options.operationId)) {
      throw new Error(`ApimGateway: API ${JSON.stringify(this.name)} already has an operation ${JSON.stringify(options.operationId)}; operation ids must be unique`);
    }
    const parameters = [...options.urlTemplate.matchAll(/\{\*?([A-Za-z0-9_-]+)\}/g)].map((m) => m[1]);
    const operation = new ApiManagementApiOperation(this, id, {
      operationId: options.operationId,
      ...this.refs,
      displayName: options.displayName,
      method,
      urlTemplate: options.urlTemplate,
      description: options.description,
      templateParameter: parameters.map((name) => ({ name, required: true, type: "string" })),
    });
    this.operations.set(options.operationId, operation);
    if (options.policyFile !== undefined) {
      const { xml, path } = policyRegistry(this.gateway).readPolicy(options.policyFile, options.namedValueRenames);
      const policy = new ApiManagementApiOperationPolicy(this, `${id}_policy`, {
        ...this.refs,
        operationId: operation.operationId,
        xmlContent: xml,
      });
      policyRegistry(this.gateway).registerPolicy(policy, {
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
    const { xml, path } = policyRegistry(this.gateway).readPolicy(file, options.namedValueRenames);
    const policy = new ApiManagementApiPolicy(this, "policy", {
      ...this.refs,
      xmlContent: xml,
    });
    policyRegistry(this.gateway).registerPolicy(policy, {
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

