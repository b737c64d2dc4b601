/**
 * Generates `local.values.json`: what a deployment would know but the synthesized config does not
 * (ids Azure assigns, random keys Terraform makes, host names), plus the URL rewrites that point
 * Azure hosts at the local stand-ins. Existing values are kept, so ids and keys (and with them
 * registered clients) survive restarts; rewrites are written anew on every run.
 */
import { randomBytes, randomUUID } from "node:crypto";
import { loadGatewayConfig, ConfigError, terraformResolver, type LocalValues } from "./config.js";

export interface LocalEndpoints {
  /** The local gateway, e.g. `http://127.0.0.1:8080`. */
  readonly gatewayUrl: string;
  /** The local MCP server, e.g. `http://127.0.0.1:8081`. */
  readonly mcpAppUrl: string;
  /** The Entra stand-in, e.g. `http://127.0.0.1:8082`. */
  readonly entraUrl: string;
}

/** Who is who locally, read back from the generated values. */
export interface LocalIdentities {
  readonly tenantId: string;
  readonly appClientId: string;
  readonly managedIdentityClientId: string;
  readonly managedIdentityPrincipalId: string;
  readonly scopeName: string;
  /** The other delegated scopes the (first) MCP server's application exposes (its azuread_application_permission_scope values). */
  readonly extraScopeNames: readonly string[];
}

type Json = Record<string, unknown>;

/** How a computed attribute is made up locally, by reference pattern. */
const GENERATORS: [RegExp, (key: string) => string][] = [
  [/^data\.azurerm_client_config\.[^.]+\.(tenant_id|subscription_id|object_id|client_id)$/, () => randomUUID()],
  [/^azuread_application(_registration)?\.[^.]+\.(client_id|application_id|object_id|id)$/, () => randomUUID()],
  [/^azuread_service_principal\.[^.]+\.(object_id|id)$/, () => randomUUID()],
  [/^azurerm_user_assigned_identity\.[^.]+\.(client_id|principal_id|tenant_id)$/, () => randomUUID()],
  [/^random_bytes\.[^.]+\.base64$/, () => randomBytes(32).toString("base64")],
  [/^random_bytes\.[^.]+\.hex$/, () => randomBytes(32).toString("hex")],
  [/^random_(password|string)\.[^.]+\.result$/, () => randomBytes(24).toString("base64url")],
  [/^random_uuid\.[^.]+\.result$/, () => randomUUID()],
  [/^random_id\.[^.]+\.(hex|b64_url|b64_std|id)$/, () => randomBytes(16).toString("hex")],
];

function resources(tf: Json, type: string): [string, Json][] {
  return Object.entries(((tf.resource ?? {}) as Record<string, Record<string, Json>>)[type] ?? {});
}

/**
 * Builds local values for a synthesized config. Fails naming any computed reference it does not
 * know how to make up locally.
 */
export function generateLocalValues(tf: Json, endpoints: LocalEndpoints, previous: LocalValues = {}): LocalValues {
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
  const resolve = terraformResolver(tf, { references }, { onUnresolved: make });
  loadGatewayConfig(tf, { references }, { onUnresolved: make });
  for (const [id] of resources(tf, "azurerm_user_assigned_identity")) {
    make(`azurerm_user_assigned_identity.${id}.client_id`);
    make(`azurerm_user_assigned_identity.${id}.principal_id`);
  }
  for (const [, r] of resources(tf, "azuread_application_federated_identity_credential")) resolve(r.subject);
  for (const [, r] of resources(tf, "azurerm_linux_web_app")) resolve(pick(r.app_settings, APP_SETTINGS));
  for (const [, r] of resources(tf, "azurerm_linux_web_app")) resolve(r.name);
  if (unknown.length) {
    throw new ConfigError(
      `local values cannot be generated for ${[...new Set(unknown)].join(", ")}: add them to "references" in local.values.json`,
    );
  }

  const rewrites: Record<string, string> = {};
  const apim = resources(tf, "azurerm_api_management")[0];
  if (apim) rewrites[`https://${String(resolve(apim[1].name))}.azure-api.net`] = endpoints.gatewayUrl;
  for (const [, r] of resources(tf, "azurerm_linux_web_app")) rewrites[`https://${String(resolve(r.name))}.azurewebsites.net`] = endpoints.mcpAppUrl;
  rewrites["https://login.microsoftonline.com"] = endpoints.entraUrl;
  return { namedValues: previous.namedValues ?? {}, references, urlRewrites: rewrites };
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
  const mi = resources(tf, "azurerm_user_assigned_identity")[0];
  if (!mi) throw new ConfigError("the config has no azurerm_user_assigned_identity: the gateway's managed identity is missing");
  const cred = resources(tf, "azuread_application_federated_identity_credential")[0];
  const principal = `azurerm_user_assigned_identity.${mi[0]}.principal_id`;
  const miPrincipal = String(resolve(`\${${principal}}`));
  if (cred && String(resolve(cred[1].subject)) !== miPrincipal) {
    throw new ConfigError(`the federated credential's subject is not the gateway identity's principal id (${principal})`);
  }
  const need = (name: string): string => {
    const v = settings[name];
    if (typeof v !== "string" || v === "") throw new ConfigError(`the MCP app's app_settings lack ${name}; the local MCP server needs it`);
    return v;
  };
  const scopeName = settings.MCP_REQUIRED_SCOPE ?? "user_impersonate";
  // The application the MCP app's ENTRA_CLIENT_ID names: its permission scopes are the stand-in's.
  const rawClientId = app ? (pick(app[1].app_settings, ["ENTRA_CLIENT_ID"]).ENTRA_CLIENT_ID as string | undefined) : undefined;
  const appRef = rawClientId === undefined ? undefined : /^\$\{azuread_application_registration\.([^.]+)\.client_id\}$/.exec(rawClientId);
  const appId = appRef ? `\${azuread_application_registration.${appRef[1]}.id}` : undefined;
  return {
    tenantId: need("ENTRA_TENANT_ID"),
    appClientId: need("ENTRA_CLIENT_ID"),
    scopeName,
    extraScopeNames: resources(tf, "azuread_application_permission_scope")
      .filter(([, r]) => appId === undefined || r.application_id === appId)
      .map(([, r]) => String(r.value))
      .filter((v) => v !== scopeName),
    managedIdentityClientId: String(resolve(`\${azurerm_user_assigned_identity.${mi[0]}.client_id}`)),
    managedIdentityPrincipalId: miPrincipal,
  };
}
