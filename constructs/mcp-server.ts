/**
 * One MCP server behind the gateway: its MCP API (streaming, the gateway's token checked on every
 * request and never forwarded), its protected-resource metadata (RFC 9728) at
 * `/.well-known/oauth-protected-resource/<path>`, its 401 challenge and rate limit, and the named
 * values its policies read. Added through `McpOAuth.addServer`; the authorization server (one
 * issuer) is shared by every server, and each server's tokens are bound to it (RFC 8707).
 */
import { Construct } from "constructs";
import type { ApiManagementNamedValue } from "@cdktf/provider-azurerm/lib/api-management-named-value";
import type { ApimGateway } from "./apim-gateway.js";
import { operationConstructId, type GatewayApi } from "./gateway-api.js";
import { MCP_API, ROOT_METADATA_OPERATIONS, SERVER_METADATA_OPERATIONS, serverUrlTemplate, type ApiOperationSpec } from "../vocabulary/oauth-api.js";
import type { EntraAppRegistration } from "./entra-app-registration.js";
import { BASE_SCOPE_TEXTS, GRAPH_SIGN_IN_SCOPES } from "./entra-app-registration.js";
import { resolveToolScopes, toolScopeTableText, type ResolvedToolScope, type ToolAccess } from "../vocabulary/tool-access.js";
import type { McpOAuthRateLimit } from "./mcp-oauth.js";
import { isLiteral } from "./literal.js";
import type { ServerNaming } from "./server-naming.js";
import { APIM_LIMITS, SERVER_LIMITS, wholeNumberProblem } from "../vocabulary/limits.js";
import { serverRecordValue } from "./oauth-servers-fragment.js";
import { isApiPath } from "../vocabulary/mcp-names.js";

/** The named values each server's policies read, under the server's own names (`<name>-<server>`). */
export const SERVER_NAMED_VALUES = [
  "mcp-server-name",
  "mcp-path",
  "mcp-title",
  "mcp-scope",
  "mcp-oauth-server",
  "entra-client-id",
  "entra-upstream-scope",
  "mcp-rate-limit-calls",
  "mcp-rate-limit-period",
  "mcp-backend-auth",
  "mcp-backend-path",
  "mcp-backend-timeout",
  "mcp-server-scopes",
  "mcp-tool-scopes",
  "mcp-tool-roles",
] as const;
export type ServerNamedValue = (typeof SERVER_NAMED_VALUES)[number];

export interface McpServerOptions {
  /** Path of the MCP endpoint at the gateway, without slashes at either end, e.g. `tickets/mcp`. */
  readonly path: string;
  /**
   * Shown in the protected-resource metadata (`resource_name`) and API Management.
   * @default the server's name
   */
  readonly title?: string;
  /** The server's own Entra application: users sign in against it; its tokens go to the backend. */
  readonly entra: EntraAppRegistration;
  /**
   * The MCP endpoint the gateway forwards to, e.g. `https://tickets.contoso.com/mcp`, or an App
   * Service's base URL (then `/mcp` is used).
   */
  readonly backendUrl: string;
  /**
   * `entra-user`: the backend receives the signed-in user's Entra access token for this server's
   * application; `none`: no token is forwarded. The client's gateway token is never forwarded.
   * @default "entra-user"
   */
  readonly backendAuth?: "entra-user" | "none";
  /**
   * Seconds the gateway waits for the backend to start answering (then 504); a stream that has
   * started may stay open.
   * @default 120
   */
  readonly timeoutSeconds?: number;
  /**
   * Per-client rate limit of this server.
   * @default { calls: 120, renewalPeriod: 60 }
   */
  readonly rateLimit?: McpOAuthRateLimit;
  /**
   * Which tool needs which delegated scope (and app role): the tables the gateway's policies
   * refuse calls by, before the backend: a missing scope with a `403 insufficient_scope` step-up
   * challenge (`mcp-tool-scope`), a missing app role with a 403 naming it (`mcp-tool-role`, from
   * the `roles` of the user's Entra token for the application). Each `scope` must be the
   * application's `scopeName` or one of its `additionalScopes`, each `appRole` one of its
   * `appRoles`. A tool not listed needs the base scope alone.
   * @default none: every tool needs the base scope alone
   */
  readonly tools?: readonly ToolAccess[];
  /**
   * The names of its resources (construct ids, API Management names, named values): the same
   * `serverNaming` result the stack gave the server's Entra application and App Service.
   * @default serverNaming(name): every id and named value carries the server's name
   */
  readonly naming?: ServerNaming;
}

/** What `McpOAuth.addServer` gives the server it creates. */
export interface McpServerProps extends McpServerOptions {
  readonly naming: ServerNaming;
  /** The gateway serving its MCP API. */
  readonly gateway: ApimGateway;
  /** The OAuth API, which serves its protected-resource metadata. */
  readonly oauthApi: GatewayApi;
  /** Creates one of its named values (once per name, among all of the authorization server's), with the most characters it can resolve to. */
  readonly addNamedValue: (name: string, value: string, maxLength: number) => ApiManagementNamedValue;
  /** The first server also answers the root protected-resource metadata URL. */
  readonly first: boolean;
}

export class McpServer extends Construct {
  /** The server's name (a DNS label). */
  public readonly name: string;
  /** Its path at the gateway. */
  public readonly path: string;
  /** The URL MCP clients connect to, `<gateway>/<path>`: also its RFC 8707 resource. */
  public readonly endpointUrl: string;
  /** RFC 9728 metadata URL (the one its 401 challenge names). */
  public readonly protectedResourceMetadataUrl: string;
  /** Its MCP API. */
  public readonly api: GatewayApi;
  /** The server's Entra application. */
  public readonly entra: EntraAppRegistration;
  /** The delegated scopes a client may ask for (the Entra application's full scopes). */
  public readonly scopes: readonly string[];
  /** Per tool that needs more than the base scope: every scope a call needs (full scope URIs, the base scope first). */
  public readonly toolScopes: readonly { readonly tool: string; readonly requiredScopes: readonly string[] }[];
  /** Per tool that needs an app role: its value (the gateway refuses a call by a user without it). */
  public readonly toolRoles: readonly { readonly tool: string; readonly appRole: string }[];
  /** The user consent display name of each of its scopes, by full scope URI (shown on the gateway's consent page). */
  public readonly scopeDisplayNames: Readonly<Record<string, string>>;
  /** Its named values, by their generic name (`mcp-path`, ...). */
  public readonly namedValues: Readonly<Record<ServerNamedValue, ApiManagementNamedValue>>;
  private readonly suffix: string;

  constructor(scope: Construct, id: string, props: McpServerProps) {
    super(scope, id);
    if (!isApiPath(props.path)) {
      throw new Error(`McpServer: path ${JSON.stringify(props.path)} is invalid; expected URL path segments of letters, digits, '.', '_', '~' or '-' without a leading or trailing '/', e.g. "mcp"`);
    }
    const { timeoutSeconds: timeoutRange, rateLimitCalls, rateLimitPeriod } = SERVER_LIMITS;
    const timeout = props.timeoutSeconds ?? timeoutRange.default;
    requireInteger("timeoutSeconds", timeout, timeoutRange, "seconds");
    const rateLimit = props.rateLimit ?? { calls: rateLimitCalls.default, renewalPeriod: rateLimitPeriod.default };
    requireInteger("rateLimit.calls", rateLimit.calls, rateLimitCalls, "calls");
    requireInteger("rateLimit.renewalPeriod", rateLimit.renewalPeriod, rateLimitPeriod, "seconds");
    const { backendOrigin, backendPath } = splitBackend(props.backendUrl);
    const { gateway, naming } = props;
    this.name = naming.server;
    this.path = props.path;
    this.entra = props.entra;
    this.suffix = naming.suffix;
    this.endpointUrl = `${gateway.gatewayUrl}/${props.path}`;
    this.protectedResourceMetadataUrl = `${gateway.gatewayUrl}/.well-known/oauth-protected-resource/${props.path}`;
    this.scopes = [props.entra.fullScope, ...props.entra.additionalScopes.map((s) => `${props.entra.identifierUri}/${s}`)];
    const resolvedTools = resolveTools(this.name, props.entra, props.tools ?? []);
    this.toolScopes = resolvedTools
      .filter((t) => t.requiredScopes.length > 1)
      .map((t) => ({ tool: t.tool, requiredScopes: t.requiredScopes.map((s) => `${props.entra.identifierUri}/${s}`) }));
    this.toolRoles = (props.tools ?? []).flatMap((t) => (t.appRole === undefined ? [] : [{ tool: t.tool, appRole: t.appRole }]));
    this.scopeDisplayNames = Object.fromEntries([
      [props.entra.fullScope, BASE_SCOPE_TEXTS.userConsentDisplayName],
      ...props.entra.additionalScopeTexts.map((t): [string, string] => [`${props.entra.identifierUri}/${t.value}`, t.userConsentDisplayName]),
    ]);

    const upstreamScope = [...this.scopes, ...GRAPH_SIGN_IN_SCOPES].join(" ");
    const values: Record<ServerNamedValue, string> = {
      "mcp-server-name": this.name,
      "mcp-path": props.path,
      "mcp-title": props.title ?? this.name,
      "mcp-scope": props.entra.fullScope,
      // What the OAuth endpoints need of the server, in one named value (oauth-servers reads it).
      "mcp-oauth-server": serverRecordValue({ name: this.name, scope: props.entra.fullScope, entraClientId: props.entra.clientId, upstreamScope, scopes: this.scopes, scopeDisplayNames: this.scopeDisplayNames }),
      "entra-client-id": props.entra.clientId,
      "entra-upstream-scope": upstreamScope,
      "mcp-rate-limit-calls": String(rateLimit.calls),
      "mcp-rate-limit-period": String(rateLimit.renewalPeriod),
      "mcp-backend-auth": props.backendAuth ?? "entra-user",
      "mcp-backend-path": backendPath,
      "mcp-backend-timeout": String(timeout),
      "mcp-server-scopes": this.scopes.join(" "),
      // tool=scope ... by scope value (vocabulary/tool-access.ts); "none" for an empty table.
      "mcp-tool-scopes": toolScopeTableText(resolvedTools),
      // tool=role ... (the same quote-free form); "none" when no tool needs an app role.
      "mcp-tool-roles": this.toolRoles.map((t) => `${t.tool}=${t.appRole}`).join(" ") || "none",
    };
    const namedValues = {} as Record<ServerNamedValue, ApiManagementNamedValue>;
    for (const name of SERVER_NAMED_VALUES) {
      const maxLength = longestValue(values[name], props.entra.clientId);
      if (maxLength > APIM_LIMITS.namedValueCharacters) {
        throw new Error(`McpServer ${JSON.stringify(this.name)}: its named value ${this.valueName(name)} would be ${maxLength} characters; API Management's limit is ${APIM_LIMITS.namedValueCharacters}: ${SHORTEN[name] ?? "shorten it"}`);
      }
      namedValues[name] = props.addNamedValue(this.valueName(name), values[name], maxLength);
    }
    this.namedValues = namedValues;
    const renames = this.renames();

    this.api = gateway.addApi(naming.apiId, {
      name: naming.apiName,
      path: props.path,
      displayName: naming.apiDisplayName(props.title ?? this.name),
      serviceUrl: backendOrigin,
      streaming: true,
    });
    this.api.setPolicy(MCP_API.policyFile, { namedValueRenames: omit(renames, ["mcp-title", "mcp-oauth-server"]) });
    for (const op of MCP_API.operations) this.api.addOperation(operationConstructId(op.operationId), op);

    // Protected resource metadata (RFC 9728): path-suffixed for this server, and at the root for the first.
    const withRenames = (op: ApiOperationSpec) => (op.serverNamedValues ? { namedValueRenames: pick(renames, op.serverNamedValues) } : {});
    const { oauthApi } = props;
    for (const op of SERVER_METADATA_OPERATIONS) {
      const operationId = `${op.operationId}${naming.suffix}`;
      oauthApi.addOperation(operationConstructId(operationId), { ...op, operationId, displayName: `${op.displayName} (${props.path})`, urlTemplate: serverUrlTemplate(op, props.path), ...withRenames(op) });
    }
    if (props.first) {
      for (const op of ROOT_METADATA_OPERATIONS) oauthApi.addOperation(operationConstructId(op.operationId), { ...op, ...withRenames(op) });
    }
  }

  /** The name of one of this server's named values (`mcp-path` or `mcp-path-<server>`). */
  public valueName(name: ServerNamedValue): string {
    return `${name}${this.suffix}`;
  }

  /** The renames that turn the shared policy files into this server's. */
  public renames(): Record<string, string> {
    return this.suffix === "" ? {} : Object.fromEntries(SERVER_NAMED_VALUES.map((n) => [n, this.valueName(n)]));
  }
}

/**
 * The tool table `tools` with the base scope resolved (`resolveToolScopes` of vocabulary/tool-access.ts
 * checks it against the application's scopes).
 * @throws Error naming the server and every problem of the table.
 */
function resolveTools(server: string, entra: EntraAppRegistration, tools: readonly ToolAccess[]): readonly ResolvedToolScope[] {
  const roles = entra.appRoles;
  // The base scope written as a tool's scope means the base scope alone.
  const table = tools.map((t) => (t.scope === entra.scopeName ? { tool: t.tool, ...(t.appRole !== undefined ? { appRole: t.appRole } : {}) } : t));
  try {
    return resolveToolScopes(entra.scopeName, table, entra.additionalScopeTexts, roles);
  } catch (e) {
    throw new Error(`McpServer ${JSON.stringify(server)}: tools: ${(e as Error).message}`);
  }
}

/** What to shorten when one of a server's named values would not fit API Management's 4,096 characters. */
const SHORTEN: Partial<Record<ServerNamedValue, string>> = {
  "mcp-tool-scopes": "list fewer tools that need a scope, or shorten their names or their scopes' names",
  "mcp-tool-roles": "list fewer tools that need an app role, or shorten their names or their roles' names",
  "mcp-oauth-server": "give it fewer scopes, or shorter scope names or consent display names",
  "mcp-server-scopes": "give it fewer scopes, or shorter scope names",
  "entra-upstream-scope": "give it fewer scopes, or shorter scope names",
  "mcp-title": "shorten its title",
};

/** A GUID's length: what an Entra application's client id resolves to. */
const GUID_LENGTH = 36;

/**
 * The most characters `value` can have once Terraform resolves it: its text, with the application's
 * client id (a Terraform reference until apply) counted as the GUID it becomes.
 */
function longestValue(value: string, clientId: string): number {
  if (isLiteral(clientId)) return value.length;
  return value.split(clientId).reduce((sum, part) => sum + part.length, 0) + (value.split(clientId).length - 1) * GUID_LENGTH;
}

function requireInteger(name: string, value: number, range: { readonly min: number; readonly max: number }, unit: string): void {
  const problem = wholeNumberProblem(name, value, range, unit);
  if (problem) throw new Error(`McpServer: ${problem}`);
}

function omit(renames: Record<string, string>, names: readonly string[]): Record<string, string> {
  return Object.fromEntries(Object.entries(renames).filter(([k]) => !names.includes(k)));
}

function pick(renames: Record<string, string>, names: readonly string[]): Record<string, string> {
  return Object.fromEntries(Object.entries(renames).filter(([k]) => names.includes(k)));
}

/** The backend's origin (the API's service URL) and the path requests are sent to. */
function splitBackend(url: string): { backendOrigin: string; backendPath: string } {
  if (!isLiteral(url)) return { backendOrigin: url, backendPath: "/mcp" };
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error(`McpServer: backendUrl ${JSON.stringify(url)} is not a URL; expected e.g. https://tickets.contoso.com/mcp`);
  }
  if (parsed.protocol !== "https:" || parsed.username || parsed.password || parsed.hash || parsed.search) {
    throw new Error(`McpServer: backendUrl ${JSON.stringify(url)} is invalid; expected an https URL without user info, query or fragment`);
  }
  return { backendOrigin: parsed.origin, backendPath: parsed.pathname === "/" ? "/mcp" : parsed.pathname };
}
