/**
 * Generates `local.values.json`: what a deployment would know but the synthesized config does not
 * (ids Azure assigns, random keys Terraform makes, host names), plus the URL rewrites that point
 * Azure hosts at the local stand-ins. Existing values are kept, so ids and keys (and with them
 * registered clients) survive restarts; rewrites are written anew on every run.
 */
import { randomBytes, randomUUID } from "node:crypto";
import { clientSecretReferences, loadGatewayConfig, ConfigError, terraformResolver, type LocalValues } from "./config.js";

export interface LocalEndpoints {
  /** The local gateway, e.g. `http://127.0.0.1:8080`: the gateway's host (default or custom domain) is rewritten to it. */
  readonly gatewayUrl: string;
  /**
   * A local MCP server every App Service host is rewritten to, e.g. `http://127.0.0.1:8081`.
   * @default none: the caller adds one rewrite per server (`localServers`), as `npm run local` does
   */
  readonly mcpAppUrl?: string;
  /** The Entra stand-in, e.g. `http://127.0.0.1:8082`. */
  readonly entraUrl: string;
}

/** One MCP server of the synthesized configuration, as the local run needs it. */
export interface LocalServer {
  /** Its name (the `server-name` its MCP API's policy sets), e.g. `tickets`. */
  readonly name: string;
  /** Its MCP API's name in API Management, e.g. `mcp-tickets`. */
  readonly apiName: string;
  /** Its path at the gateway, e.g. `tickets/mcp`. */
  readonly path: string;
  /**
   * `sample`: the bundled MCP server, run locally; `app-service`: a prebuilt package on App Service
   * (not run locally); `url`: a server elsewhere (reached only through a URL rewrite).
   */
  readonly kind: "sample" | "app-service" | "url";
  /** The backend's origin as deployed, e.g. `https://tickets.contoso.com` or `https://<app>.azurewebsites.net`. */
  readonly backendOrigin: string;
  /** The Entra application's client id (the audience of the tokens its backend gets). */
  readonly entraClientId: string;
  /** The settings a local sample MCP server needs, from its web app's app_settings (sample only). */
  readonly appSettings?: { readonly ENTRA_TENANT_ID: string; readonly ENTRA_CLIENT_ID: string; readonly MCP_REQUIRED_SCOPE: string };
}

/** One Entra application registration of the configuration, as the Entra stand-in serves it. */
export interface LocalEntraApp {
  readonly clientId: string;
  /** Its Web redirect URIs as deployed (before URL rewrites). */
  readonly redirectUris: readonly string[];
  /** Its first delegated scope (the base scope). */
  readonly scopeName: string;
  readonly extraScopeNames: readonly string[];
  /** The values of its app roles. */
  readonly appRoles: readonly string[];
  /** Whether its service principal requires assignment (app_role_assignment_required). */
  readonly assignmentRequired: boolean;
}

/** Who is who locally, read back from the generated values. */
export interface LocalIdentities {
  readonly tenantId: string;
  readonly appClientId: string;
  readonly managedIdentityClientId: string;
  readonly managedIdentityPrincipalId: string;
  readonly scopeName: string;
}

type Json = Record<string, unknown>;

/** How a computed attribute is made up locally, by reference pattern. */
const GENERATORS: [RegExp, (key: string) => string][] = [
  [/^data\.azurerm_client_config\.[^.]+\.(tenant_id|subscription_id|object_id|client_id)$/, () => randomUUID()],
  [/^azuread_application(_registration)?\.[^.]+\.(client_id|application_id|object_id|id)$/, () => randomUUID()],
  [/^azuread_service_principal\.[^.]+\.(object_id|id)$/, () => randomUUID()],
  [/^azurerm_user_assigned_identity\.[^.]+\.(client_id|principal_id|tenant_id)$/, () => randomUUID()],
  // An existing API Management's identity (apim.existing) is read with a data source.
  [/^data\.azurerm_user_assigned_identity\.[^.]+\.(client_id|principal_id|tenant_id)$/, () => randomUUID()],
  [/^random_bytes\.[^.]+\.base64$/, () => randomBytes(32).toString("base64")],
  [/^random_bytes\.[^.]+\.hex$/, () => randomBytes(32).toString("hex")],
  [/^random_(password|string)\.[^.]+\.result$/, () => randomBytes(24).toString("base64url")],
  [/^random_uuid\.[^.]+\.result$/, () => randomUUID()],
  [/^random_id\.[^.]+\.(hex|b64_url|b64_std|id)$/, () => randomBytes(16).toString("hex")],
];

function resources(tf: Json, type: string): [string, Json][] {
  return Object.entries(((tf.resource ?? {}) as Record<string, Record<string, Json>>)[type] ?? {});
}

function dataSources(tf: Json, type: string): [string, Json][] {
  return Object.entries(((tf.data ?? {}) as Record<string, Record<string, Json>>)[type] ?? {});
}

/** The gateway's user-assigned identities: created (`azurerm_user_assigned_identity.x`) or read (`data.azurerm_user_assigned_identity.x`). */
function identityAddresses(tf: Json): string[] {
  return [
    ...resources(tf, "azurerm_user_assigned_identity").map(([id]) => `azurerm_user_assigned_identity.${id}`),
    ...dataSources(tf, "azurerm_user_assigned_identity").map(([id]) => `data.azurerm_user_assigned_identity.${id}`),
  ];
}

/** The origin of the `gateway-url` named value (the default host or the custom domain), resolved. */
function gatewayOrigin(tf: Json, resolve: (v: unknown) => unknown): string | undefined {
  const nv = resources(tf, "azurerm_api_management_named_value").find(([, r]) => r.name === "gateway-url");
  if (!nv) return undefined;
  try {
    return new URL(String(resolve(nv[1].value))).origin;
  } catch {
    return undefined;
  }
}

const ALPHANUMERIC = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/** A secret like Terraform's random_password with length 48 and special false (constructs/static-client-secrets.ts). */
function clientSecret(): string {
  let out = "";
  while (out.length < 48) {
    for (const b of randomBytes(64)) if (b < 248 && out.length < 48) out += ALPHANUMERIC[b % 62];
  }
  return out;
}

/**
 * Builds local values for a synthesized config. Fails naming any computed reference it does not
 * know how to make up locally. Confidential static clients' secrets are kept under
 * `clientSecrets.<client_id>` (what the `static_client_secrets` output gives in Azure).
 */
export function generateLocalValues(tf: Json, endpoints: LocalEndpoints, previous: LocalValues = {}): LocalValues {
  const clientSecrets = Object.fromEntries(Object.keys(clientSecretReferences(tf)).map((id) => [id, previous.clientSecrets?.[id] ?? clientSecret()]));
  const references: Record<string, unknown> = {};
  const prev = previous.references ?? {};
  // The tenant id must be shared by data sources and identities; keep the first one made.
  let tenantId: string | undefined = Object.entries(prev).find(([k]) => /\.tenant_id$/.test(k))?.[1] as string | undefined;
  const unknown: string[] = [];
  const make = (key: string): unknown => {
    if (key in references) return references[key];
    if (Object.prototype.hasOwnProperty.call(prev, key)) return (references[key] = prev[key]);
    const host = /^azurerm_(linux|windows)_web_app\.([^.]+)\.default_hostname$/.exec(key);
    if (host) {
      const r = ((tf.resource ?? {}) as Record<string, Record<string, Json>>)[`azurerm_${host[1]}_web_app`]?.[host[2]!];
      const name = r?.name === undefined ? `${host[2]}` : String(resolve(r.name));
      return (references[key] = `${name}.azurewebsites.net`);
    }
    if (/\.tenant_id$/.test(key)) return (references[key] = tenantId ??= randomUUID());
    const gen = GENERATORS.find(([re]) => re.test(key));
    if (!gen) {
      unknown.push(key);
      return `<${key}>`;
    }
    return (references[key] = gen[1](key));
  };
  // Discover what the gateway needs, and what the stand-ins need (identities, app settings).
  const resolve = terraformResolver(tf, { references, clientSecrets }, { onUnresolved: make });
  loadGatewayConfig(tf, { references, clientSecrets }, { onUnresolved: make });
  for (const address of identityAddresses(tf)) {
    make(`${address}.client_id`);
    make(`${address}.principal_id`);
  }
  for (const [, r] of resources(tf, "azuread_application_federated_identity_credential")) resolve(r.subject);
  for (const [, r] of resources(tf, "azuread_application_redirect_uris")) resolve(r.redirect_uris);
  for (const [id] of resources(tf, "azuread_application_registration")) make(`azuread_application_registration.${id}.client_id`);
  for (const [, r] of resources(tf, "azurerm_linux_web_app")) resolve(pick(r.app_settings, APP_SETTINGS));
  for (const [, r] of resources(tf, "azurerm_linux_web_app")) resolve(r.name);
  for (const [, r] of resources(tf, "azurerm_api_management_api")) if (r.service_url !== undefined) resolve(r.service_url);
  if (unknown.length) {
    throw new ConfigError(
      `local values cannot be generated for ${[...new Set(unknown)].join(", ")}: add them to "references" in local.values.json`,
    );
  }

  const rewrites: Record<string, string> = {};
  const apim = resources(tf, "azurerm_api_management")[0];
  if (apim) rewrites[`https://${String(resolve(apim[1].name))}.azure-api.net`] = endpoints.gatewayUrl;
  // The host the policies, metadata and redirect URIs name: a created instance's default host, an
  // existing instance's (apim.existing), or the custom domain (gateway.hostName).
  const gateway = gatewayOrigin(tf, resolve);
  if (gateway) rewrites[gateway] = endpoints.gatewayUrl;
  if (endpoints.mcpAppUrl !== undefined) {
    for (const [, r] of resources(tf, "azurerm_linux_web_app")) rewrites[`https://${String(resolve(r.name))}.azurewebsites.net`] = endpoints.mcpAppUrl;
  }
  rewrites["https://login.microsoftonline.com"] = endpoints.entraUrl;
  return { namedValues: previous.namedValues ?? {}, references, urlRewrites: rewrites, ...(Object.keys(clientSecrets).length > 0 ? { clientSecrets } : {}) };
}

/** The MCP server's settings the local run reads from its app_settings. */
const APP_SETTINGS = ["ENTRA_TENANT_ID", "ENTRA_CLIENT_ID", "MCP_REQUIRED_SCOPE"];

function pick(settings: unknown, names: readonly string[]): Record<string, unknown> {
  const all = (settings ?? {}) as Record<string, unknown>;
  return Object.fromEntries(names.filter((n) => n in all).map((n) => [n, all[n]]));
}

/** Reads back who is who from the config and the generated values. */
export function localIdentities(tf: Json, values: LocalValues): LocalIdentities {
  const resolve = terraformResolver(tf, values);
  const app = resources(tf, "azurerm_linux_web_app")[0];
  const settings = (app ? resolve(pick(app[1].app_settings, APP_SETTINGS)) : {}) as Record<string, string>;
  const identities = identityAddresses(tf);
  if (identities.length === 0) throw new ConfigError("the config has no azurerm_user_assigned_identity (resource or data source): the gateway's managed identity is missing");
  const creds = resources(tf, "azuread_application_federated_identity_credential");
  const principalOf = (address: string) => String(resolve(`\${${address}.principal_id}`));
  // The gateway's identity is the one the applications' federated credentials trust.
  const trusted = creds.length ? String(resolve(creds[0]![1].subject)) : undefined;
  const mi = identities.find((a) => principalOf(a) === trusted) ?? identities[0]!;
  const miPrincipal = principalOf(mi);
  for (const [id, cred] of creds) {
    if (String(resolve(cred.subject)) !== miPrincipal) {
      throw new ConfigError(`the federated credential ${id}'s subject is not the gateway identity's principal id (${mi}.principal_id)`);
    }
  }
  const need = (name: string): string => {
    const v = settings[name];
    if (typeof v !== "string" || v === "") throw new ConfigError(`the MCP app's app_settings lack ${name}; the local MCP server needs it`);
    return v;
  };
  const client = dataSources(tf, "azurerm_client_config")[0];
  const firstApp = resources(tf, "azuread_application_registration")[0];
  return {
    tenantId: app ? need("ENTRA_TENANT_ID") : String(resolve(`\${data.azurerm_client_config.${client?.[0] ?? "current"}.tenant_id}`)),
    appClientId: app ? need("ENTRA_CLIENT_ID") : String(resolve(`\${azuread_application_registration.${firstApp?.[0] ?? "app"}.client_id}`)),
    scopeName: settings.MCP_REQUIRED_SCOPE ?? "user_impersonate",
    managedIdentityClientId: String(resolve(`\${${mi}.client_id}`)),
    managedIdentityPrincipalId: miPrincipal,
  };
}

/** The `{{named value}}` a set-variable of the policy sets `variable` from, or undefined. */
function setVariableSource(policyXml: string | undefined, variable: string): string | undefined {
  const m = new RegExp(`<set-variable\\s+name="${variable}"\\s+value="\\{\\{([^}]+)\\}\\}"`).exec(policyXml ?? "");
  return m?.[1];
}

/**
 * The MCP servers of the configuration: every API with a backend (service URL), with its name and
 * Entra client id as its policy sets them, its backend's kind (from the `servers` output the platform
 * stack writes; without it an App Service backend counts as the sample) and origin as deployed.
 * @throws ConfigError when a sample server's web app lacks a setting its local MCP server needs.
 */
export function localServers(tf: Json, values: LocalValues): LocalServer[] {
  const resolve = terraformResolver(tf, values);
  const namedValues = new Map(resources(tf, "azurerm_api_management_named_value").map(([, r]) => [String(r.name), r.value]));
  const policies = new Map(resources(tf, "azurerm_api_management_api_policy").map(([, r]) => [String(r.api_name), String(r.xml_content ?? "")]));
  const apiKeyOf = (apiName: unknown) => /^\$\{azurerm_api_management_api\.([^.]+)\.name\}$/.exec(String(apiName))?.[1];
  const output = (((tf.output ?? {}) as Record<string, { value?: unknown }>).servers?.value ?? {}) as Record<string, { backend?: unknown }>;
  const servers: LocalServer[] = [];
  for (const [id, api] of resources(tf, "azurerm_api_management_api")) {
    if (api.service_url === undefined) continue;
    const apiName = String(resolve(api.name));
    const policy = [...policies].find(([ref]) => apiKeyOf(ref) === id || ref === apiName)?.[1];
    const valueOf = (variable: string): string | undefined => {
      const source = setVariableSource(policy, variable);
      return source !== undefined && namedValues.has(source) ? String(resolve(namedValues.get(source))) : undefined;
    };
    const name = valueOf("server-name") ?? apiName;
    const raw = String(api.service_url);
    const webApp = /\$\{azurerm_linux_web_app\.([^.]+)\.default_hostname\}/.exec(raw)?.[1];
    const declared = output[name]?.backend;
    const kind: LocalServer["kind"] = declared === "sample" || declared === "app-service" || declared === "url" ? declared : webApp ? "sample" : "url";
    const backendOrigin = new URL(String(resolve(raw))).origin;
    let appSettings: LocalServer["appSettings"];
    if (kind === "sample" && webApp) {
      const settings = resolve(pick(resources(tf, "azurerm_linux_web_app").find(([w]) => w === webApp)?.[1].app_settings, APP_SETTINGS)) as Record<string, unknown>;
      const need = (setting: string): string => {
        const v = settings[setting];
        if (typeof v !== "string" || v === "") throw new ConfigError(`the web app ${webApp} of MCP server "${name}" lacks the app setting ${setting}; the local MCP server needs it`);
        return v;
      };
      appSettings = { ENTRA_TENANT_ID: need("ENTRA_TENANT_ID"), ENTRA_CLIENT_ID: need("ENTRA_CLIENT_ID"), MCP_REQUIRED_SCOPE: typeof settings.MCP_REQUIRED_SCOPE === "string" ? settings.MCP_REQUIRED_SCOPE : "user_impersonate" };
    }
    const entraClientId = valueOf("server-entra-client-id") ?? appSettings?.ENTRA_CLIENT_ID ?? "";
    servers.push({ name, apiName, path: String(resolve(api.path ?? "")).replace(/^\/+|\/+$/g, ""), kind, backendOrigin, entraClientId, appSettings });
  }
  return servers;
}

/** The Entra application registrations of the configuration, with their redirect URIs, delegated scopes, app roles and whether assignment is required. */
export function localEntraApps(tf: Json, values: LocalValues): LocalEntraApp[] {
  const resolve = terraformResolver(tf, values);
  const ownedBy = (id: string) => (r: [string, Json]) => String(r[1].application_id) === `\${azuread_application_registration.${id}.id}`;
  return resources(tf, "azuread_application_registration").map(([id]) => {
    const scopes = resources(tf, "azuread_application_permission_scope").filter(ownedBy(id)).map(([, r]) => String(resolve(r.value)));
    const redirectUris = resources(tf, "azuread_application_redirect_uris").filter(ownedBy(id)).flatMap(([, r]) => (resolve(r.redirect_uris) as unknown[]).map(String));
    const appRoles = resources(tf, "azuread_application_app_role").filter(ownedBy(id)).map(([, r]) => String(resolve(r.value)));
    const principal = resources(tf, "azuread_service_principal").find(([, r]) => String(r.client_id) === `\${azuread_application_registration.${id}.client_id}`);
    return {
      clientId: String(resolve(`\${azuread_application_registration.${id}.client_id}`)),
      redirectUris,
      scopeName: scopes[0] ?? "user_impersonate",
      extraScopeNames: scopes.slice(1),
      appRoles,
      assignmentRequired: principal?.[1].app_role_assignment_required === true,
    };
  });
}
