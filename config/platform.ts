/**
 * The platform configuration file: the structure of a deployment (which MCP servers, where their
 * backends run, which API Management instance, the gateway's host name, which MCP clients may sign
 * in, where Terraform keeps its state). JSON, validated with zod, its path in MCP_PLATFORM_CONFIG.
 * Without it the stack is one sample server at MCP_PATH (`defaultPlatform`).
 *
 * A bad file fails synth with one message per problem naming the file, the key path and the value;
 * nothing is written. Documented in README.md ("Platform configuration file") and examples/.
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, isAbsolute, resolve } from "node:path";
import type { output } from "zod/mini";
import { ConfigError } from "./config.js";
import {
  APIM_SERVICE_NAME,
  BLOB_CONTAINER_NAME,
  DEFAULT_GATEWAY_HOST,
  DNS_HOST_NAME,
  ENTRA_SCOPE_VALUE,
  KEY_VAULT_ID,
  KEY_VAULT_SECRET_ID,
  MANAGED_IDENTITY_NAME,
  RESOURCE_GROUP_NAME,
  STORAGE_ACCOUNT_NAME,
  SUBSCRIPTION_ID,
} from "../vocabulary/azure-names.js";
import { APIM_LIMITS, PLATFORM_LIMITS, SERVER_LIMITS } from "../vocabulary/limits.js";
import { requiredScopesOf, toolScopeTableText } from "../vocabulary/tool-access.js";
import { MCP_PATH, SERVER_NAME, TOOL_NAME } from "../vocabulary/mcp-names.js";
import { keyPath, type KeyPathProblem } from "../vocabulary/key-path.js";
import { RESERVED_GATEWAY_PATHS } from "../vocabulary/oauth-api.js";
import { clientPolicyProblems, queryBudgetClientBytes, STATIC_CLIENT_ID } from "../vocabulary/oauth-clients.js";
import { APP_SERVICE_RUNTIMES } from "../vocabulary/skus.js";

const { z } = createRequire(import.meta.url)("zod/mini") as typeof import("zod/mini");


const quoted = (v: unknown): string => JSON.stringify(v) ?? String(v);

/** A string checked by `problem` (which names the value in its message, or returns undefined). */
function text(problem: (value: string) => string | undefined) {
  return z.string().check(
    z.superRefine((value, ctx) => {
      const message = problem(value);
      if (message !== undefined) ctx.addIssue({ code: "custom", message, input: value });
    }),
  );
}

const matches = (re: RegExp, expected: string) => (v: string) => (re.test(v) ? undefined : `${quoted(v)} is not ${expected}`);

function httpsUrl(what: string, extra?: (url: URL, raw: string) => string | undefined) {
  return text((v) => {
    let url: URL;
    try {
      url = new URL(v);
    } catch {
      return `${quoted(v)} is not a URL; expected ${what}`;
    }
    if (url.protocol !== "https:") return `${quoted(v)} is not https; expected ${what}`;
    if (url.username || url.password || url.hash || v.includes("#")) return `${quoted(v)} has user info or a fragment; expected ${what}`;
    return extra?.(url, v);
  });
}

const int = (min: number, max: number, unit: string) =>
  z.number().check(
    z.superRefine((value, ctx) => {
      if (!Number.isInteger(value) || value < min || value > max) ctx.addIssue({ code: "custom", message: `${quoted(value)} is not a whole number of ${unit} from ${min} to ${max}`, input: value });
    }),
  );

/**
 * An array of `min` to `max` items, `what` naming them in the message (the array itself is not
 * printed: a list of 51 servers would fill the screen).
 */
function items<T extends Parameters<typeof z.array>[0]>(item: T, min: number, max: number, what: string, why: string) {
  return z.array(item).check(
    z.superRefine((list, ctx) => {
      if (list.length < min || list.length > max) ctx.addIssue({ code: "custom", message: `has ${list.length} ${what}; expected ${min === 0 ? "at most" : `${min} to`} ${max} (${why})`, input: list });
    }),
  );
}

const tool = z.strictObject({
  /** The tool's name as the MCP server lists it. */
  name: text(matches(TOOL_NAME, "a tool name (1-128 letters, digits, '_', '-', '.')")),
  /** A delegated scope (of this server's `scopes`, or the base scope) the tool needs. @default the base scope */
  scope: z.optional(text(matches(ENTRA_SCOPE_VALUE, "a scope name (1-40 letters, digits, '_', '-', '.')"))),
  /**
   * An Entra app role the signed-in user must hold (the `roles` of the user's Entra token for this server's
   * application): the server's application defines it, and the gateway refuses a call without it (403). @default none
   */
  appRole: z.optional(text(matches(ENTRA_SCOPE_VALUE, "an app role value (1-40 letters, digits, '_', '-', '.')"))),
});

const backend = z.discriminatedUnion("kind", [
  z.strictObject({ kind: z.literal("sample") }),
  z.strictObject({
    kind: z.literal("url"),
    /** The MCP endpoint of an existing server (Container Apps, Functions, AKS, a vendor's). */
    url: httpsUrl("the https URL of an existing MCP endpoint, e.g. https://tickets.contoso.com/mcp"),
  }),
  z.strictObject({
    kind: z.literal("app-service"),
    /** A prebuilt zip (relative to the configuration file), deployed content-hashed. */
    package: text((v) => (/\.zip$/i.test(v) ? undefined : `${quoted(v)} is not a .zip package; expected the path of a prebuilt zip, e.g. dist/reports.zip`)),
    runtime: text((v) => ((APP_SERVICE_RUNTIMES as readonly string[]).includes(v) ? undefined : `${quoted(v)} is not a supported runtime; expected one of ${APP_SERVICE_RUNTIMES.join(", ")}`)),
    /** App Service startup command. @default the runtime's default (npm start, or gunicorn for Python) */
    startupCommand: z.optional(text((v) => (v.length > 0 && v.length <= 512 && !/[\r\n]/.test(v) ? undefined : `${quoted(v)} is not a usable startup command; expected one line of at most 512 characters`))),
  }),
]);

const server = z.strictObject({
  name: text(matches(SERVER_NAME, "a server name; expected a DNS label of 1-30 lowercase letters, digits and single hyphens, starting with a letter")),
  path: text((v) => {
    if (!MCP_PATH.test(v)) return `${quoted(v)} is not a usable API path; expected 1-80 lowercase letters, digits, '-', '_' and inner '/', without leading or trailing '/' (for example mcp or tickets/mcp)`;
    const first = v.split("/")[0]!;
    if (RESERVED_GATEWAY_PATHS.includes(first)) return `${quoted(v)} would shadow the gateway's OAuth endpoint /${first} (reserved: ${RESERVED_GATEWAY_PATHS.join(", ")})`;
    return undefined;
  }),
  /** Shown on consent pages and in API Management. @default the name */
  title: z.optional(text((v) => (v.trim().length > 0 && v.length <= 100 && !/[<>\p{Cc}]/u.test(v) ? undefined : `${quoted(v)} is not a usable title; expected 1-100 characters without '<', '>' or control characters`))),
  backend,
  /** `entra-user`: the backend receives the user's Entra token for this server's own application; `none`: nothing is forwarded. @default "entra-user" */
  backendAuth: z.optional(z.enum(["entra-user", "none"])),
  /** Seconds the gateway waits for the backend to start answering. @default 120 */
  timeoutSeconds: z.optional(int(SERVER_LIMITS.timeoutSeconds.min, SERVER_LIMITS.timeoutSeconds.max, "seconds")),
  /** Delegated scopes the server's Entra application exposes besides the base scope. @default none */
  scopes: z.optional(items(text(matches(ENTRA_SCOPE_VALUE, "a scope name (1-40 letters, digits, '_', '-', '.')")), 0, PLATFORM_LIMITS.scopesPerServer, "scopes", "besides the base scope; each one is in the server's named values, which API Management limits to 4,096 characters")),
  /** Tools that need more than the base scope, or an app role. @default none */
  tools: z.optional(items(tool, 0, PLATFORM_LIMITS.toolsPerServer, "tools", "list only the tools that need a scope besides the base scope, or an app role")),
  /**
   * Only users assigned to this server's Entra application (any of its app roles, Enterprise applications > Users and
   * groups) may sign in: the service principal's app_role_assignment_required. @default false: every user of the tenant
   */
  assignmentRequired: z.optional(z.boolean()),
  /** Calls per user (Entra object id) per period at this server, whichever client they use. @default { calls: 120, renewalPeriod: 60 } */
  rateLimit: z.optional(z.strictObject({
    calls: int(SERVER_LIMITS.rateLimitCalls.min, SERVER_LIMITS.rateLimitCalls.max, "calls"),
    renewalPeriod: int(SERVER_LIMITS.rateLimitPeriod.min, SERVER_LIMITS.rateLimitPeriod.max, "seconds"),
  })),
});

const staticClient = z.strictObject({
  client_id: text(matches(STATIC_CLIENT_ID, "a static client_id; expected 1-64 letters, digits, '.', '_', '~' or '-'")),
  client_name: text((v) => (v.trim().length > 0 && v.length <= 100 && !/[\p{Cc}\p{Cf}]/u.test(v) ? undefined : `${quoted(v)} is not a usable client name; expected 1-100 characters without control or formatting characters`)),
  redirect_uris: z.array(text((v) => (v.length > 0 && v.length <= 2000 && /^[\x21-\x7e]+$/.test(v) && !v.includes("#") ? undefined : `${quoted(v)} is not a usable redirect URI; expected printable ASCII without spaces or '#'`))).check(z.minLength(1), z.maxLength(10)),
  /** `native` (loopback any port, private-use schemes) or `web` (https only). @default "native" */
  application_type: z.optional(z.enum(["native", "web"])),
  /** A confidential client: the stack generates its secret (output `static_client_secrets`). @default false */
  confidential: z.optional(z.boolean()),
  /** How a confidential client sends its secret. @default "client_secret_basic" */
  token_endpoint_auth_method: z.optional(z.enum(["client_secret_basic", "client_secret_post"], { error: () => `a confidential static client authenticates with "client_secret_basic" (HTTP Basic, the default) or "client_secret_post" (form body); private_key_jwt and mTLS are not supported` })),
});

const platform = z.strictObject({
  servers: items(server, 1, PLATFORM_LIMITS.servers, "servers", "one gateway serves at most 50 within API Management's limits; deploy another platform for more"),
  apim: z.optional(z.strictObject({
    /**
     * Deploy into this existing API Management instance instead of creating one: its APIs, named
     * values, fragments, logger and per-API diagnostics are created there, and `cdktf destroy`
     * removes only those. Requirements: README "Into an existing API Management".
     */
    existing: z.optional(z.strictObject({
      name: text(matches(APIM_SERVICE_NAME, "an API Management service name (1-50 letters, digits and single hyphens, starting with a letter)")),
      resourceGroupName: text(matches(RESOURCE_GROUP_NAME, "a resource group name (1-90 letters, digits, '_', '-', '.', '(' or ')')")),
      /**
       * The user-assigned managed identity already assigned to the instance: the gateway presents it
       * to Entra ID (each server's application trusts it through a federated credential, no secret)
       * and to Key Vault (the custom domain's certificate). The stack cannot assign it: the
       * instance's identities belong to its owner.
       */
      identity: z.strictObject({
        name: text(matches(MANAGED_IDENTITY_NAME, "a user-assigned managed identity name (3-128 letters, digits, '-' or '_', starting with a letter or digit)")),
        resourceGroupName: text(matches(RESOURCE_GROUP_NAME, "a resource group name (1-90 letters, digits, '_', '-', '.', '(' or ')')")),
      }),
    })),
  })),
  gateway: z.optional(z.strictObject({
    /**
     * Custom domain of the gateway: the issuer, resource URIs, metadata and each Entra redirect URI
     * use `https://<hostName>`. DNS (a CNAME to `<apim>.azure-api.net`) is yours.
     */
    hostName: z.optional(text((v) => {
      if (!DNS_HOST_NAME.test(v)) return `${quoted(v)} is not a DNS host name; expected a lowercase host name such as mcp.contoso.com (no scheme, port or path)`;
      if (DEFAULT_GATEWAY_HOST.test(v)) return `${quoted(v)} is a default API Management host, not a custom domain; leave gateway.hostName out to use the default host`;
      return undefined;
    })),
    /**
     * Key Vault secret id of its TLS certificate (imported into Key Vault as a certificate, PKCS#12);
     * without a version API Management follows renewals. API Management reads it with the gateway's
     * user-assigned identity. Left out with `apim.existing`: the host is already bound to the instance.
     */
    keyVaultCertificateId: z.optional(httpsUrl("a Key Vault secret id such as https://contoso-kv.vault.azure.net/secrets/mcp-cert", (_url, raw) =>
      KEY_VAULT_SECRET_ID.test(raw) ? undefined : `${quoted(raw)} is not a Key Vault secret id; expected https://<vault>.vault.azure.net/secrets/<name>`)),
    /**
     * Resource id of that Key Vault (Azure RBAC permission model). When set, the stack lets the
     * gateway's identity read the certificate (role Key Vault Secrets User on that one secret; the
     * deployer then needs a role that may assign roles there). @default none: you grant it
     */
    keyVaultId: z.optional(text(matches(KEY_VAULT_ID, "a Key Vault resource id such as /subscriptions/<subscription id>/resourceGroups/<group>/providers/Microsoft.KeyVault/vaults/<vault>"))),
  })),
  clients: z.optional(z.strictObject({
    /** Dynamic client registration (POST /register). @default true */
    registration: z.optional(z.boolean()),
    metadataDocuments: z.optional(z.strictObject({
      /** Exact https URLs, or prefixes ending in `*`. @default any https document */
      allow: z.optional(z.array(httpsUrl("an https URL, or a prefix ending in *", (_url, raw) => (raw.indexOf("*") === -1 || raw.indexOf("*") === raw.length - 1 ? undefined : `${quoted(raw)} has a '*' before its end; expected an exact URL or a prefix ending in *`)))),
    })),
    static: z.optional(z.array(staticClient)),
  })),
  state: z.optional(z.discriminatedUnion("backend", [
    z.strictObject({ backend: z.literal("local") }),
    z.strictObject({
      backend: z.literal("azurerm"),
      resourceGroupName: text(matches(RESOURCE_GROUP_NAME, "a resource group name")),
      storageAccountName: text(matches(STORAGE_ACCOUNT_NAME, "a storage account name (3-24 lowercase letters and digits)")),
      containerName: text(matches(BLOB_CONTAINER_NAME, "a blob container name (3-63 lowercase letters, digits and single hyphens)")),
      key: text(matches(/^[A-Za-z0-9._/-]{1,256}$/, "a state blob name such as mcp.tfstate")),
      /** @default the subscription of the deployment */
      subscriptionId: z.optional(text(matches(SUBSCRIPTION_ID, "a subscription id (GUID)"))),
    }),
  ])),
});

export type PlatformConfig = output<typeof platform>;
export type ServerConfig = PlatformConfig["servers"][number];

/** The stack without a configuration file: the sample server at `mcpPath`. */
export function defaultPlatform(mcpPath: string): PlatformConfig {
  return { servers: [{ name: "weather", path: mcpPath, title: "Weather", backend: { kind: "sample" } }] };
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let v: unknown = root;
  for (const key of path) v = v !== null && typeof v === "object" ? (v as Record<PropertyKey, unknown>)[key] : undefined;
  return v;
}

/** Cross-field rules zod's per-field checks cannot see. */
function relations(config: PlatformConfig, baseDir: string, baseScope: string): KeyPathProblem[] {
  const out: KeyPathProblem[] = [];
  const names = new Map<string, number>();
  const paths = new Map<string, number>();
  config.servers.forEach((s, i) => {
    const n = names.get(s.name);
    if (n !== undefined) out.push({ path: ["servers", i, "name"], message: `${quoted(s.name)} is already the name of servers[${n}]; server names must be unique` });
    else names.set(s.name, i);
    for (const [other, j] of paths) {
      if (other === s.path) out.push({ path: ["servers", i, "path"], message: `${quoted(s.path)} is already the path of servers[${j}]; paths must be unique` });
      else if (s.path.startsWith(`${other}/`) || other.startsWith(`${s.path}/`)) {
        out.push({ path: ["servers", i, "path"], message: `${quoted(s.path)} and servers[${j}].path ${quoted(other)} nest; one server's path may not shadow another's` });
      }
    }
    paths.set(s.path, i);
    if (s.backend.kind === "app-service") {
      const file = isAbsolute(s.backend.package) ? s.backend.package : resolve(baseDir, s.backend.package);
      if (!existsSync(file) || !statSync(file).isFile()) out.push({ path: ["servers", i, "backend", "package"], message: `${quoted(s.backend.package)} does not exist (looked for ${file}); expected a prebuilt zip` });
    }
    if (s.backend.kind === "sample") {
      for (const key of ["scopes", "tools"] as const) {
        if (s[key] !== undefined) out.push({ path: ["servers", i, key], message: `is set for a sample server, whose scopes and tools are its own table (mcp-app/tool-scopes.ts); leave ${key} out` });
      }
    }
    const scopes = new Set([baseScope, ...(s.scopes ?? [])]);
    (s.tools ?? []).forEach((t, k) => {
      if (t.scope !== undefined && !scopes.has(t.scope)) out.push({ path: ["servers", i, "tools", k, "scope"], message: `${quoted(t.scope)} is not a scope of this server; expected the base scope ${baseScope} (ENTRA_SCOPE_NAME) or one of its scopes ${quoted(s.scopes ?? [])}` });
    });
    // The gateway's step-up table is one named value (McpServer writes it with the same function).
    const table = toolScopeTableText((s.tools ?? []).map((t) => ({ tool: t.name, requiredScopes: requiredScopesOf({ tool: t.name, scope: t.scope }, baseScope) })));
    if (table.length > APIM_LIMITS.namedValueCharacters) {
      out.push({ path: ["servers", i, "tools"], message: `the gateway's tool scope table of this server (tool=scope for each tool that needs a scope besides the base scope) would be ${table.length} characters; an API Management named value holds ${APIM_LIMITS.namedValueCharacters}: shorten tool or scope names, or list fewer tools that need a scope` });
    }
  });
  const ids = new Map<string, number>();
  (config.clients?.static ?? []).forEach((c, i) => {
    const j = ids.get(c.client_id);
    if (j !== undefined) out.push({ path: ["clients", "static", i, "client_id"], message: `${quoted(c.client_id)} is already the client_id of clients.static[${j}]` });
    else ids.set(c.client_id, i);
  });
  if (config.clients) {
    // What the gateway's policies would refuse at run time (vocabulary/oauth-clients.ts; McpOAuth checks it again).
    // The query budget is counted for the longest server path on the gateway's host (its longest default name without one).
    const longestPath = config.servers.map((s) => s.path).reduce((a, b) => (b.length > a.length ? b : a), "");
    const budget = queryBudgetClientBytes(config.gateway?.hostName ? `https://${config.gateway.hostName}` : "${unknown}", longestPath);
    const known = new Set(out.map((p) => keyPath(p.path)));
    for (const problem of clientPolicyProblems(config.clients, budget)) {
      if (!known.has(keyPath(problem.path))) out.push(problem);
    }
  }
  const gateway = config.gateway;
  if (gateway?.keyVaultCertificateId && !gateway.hostName) {
    out.push({ path: ["gateway", "keyVaultCertificateId"], message: "is set without gateway.hostName; expected both, or neither" });
  }
  if (gateway?.hostName && !gateway.keyVaultCertificateId && !config.apim?.existing) {
    out.push({ path: ["gateway", "hostName"], message: `${quoted(gateway.hostName)} needs gateway.keyVaultCertificateId (the TLS certificate for it); only a host already bound to an existing API Management (apim.existing) goes without` });
  }
  if (gateway?.keyVaultId && !gateway.keyVaultCertificateId) {
    out.push({ path: ["gateway", "keyVaultId"], message: "is set without gateway.keyVaultCertificateId; expected the Key Vault holding that certificate, or neither" });
  }
  if (gateway?.keyVaultId && gateway.keyVaultCertificateId) {
    const vault = KEY_VAULT_ID.exec(gateway.keyVaultId)![1]!.toLowerCase();
    const host = KEY_VAULT_SECRET_ID.exec(gateway.keyVaultCertificateId)![1]!.toLowerCase();
    if (vault !== host) out.push({ path: ["gateway", "keyVaultId"], message: `${quoted(gateway.keyVaultId)} names the vault ${quoted(vault)}, but gateway.keyVaultCertificateId is in ${quoted(host)}; expected the vault holding the certificate` });
  }
  return out;
}

/** The environment settings the platform file is checked against. */
export interface PlatformSettings {
  /** The base scope of every server's Entra application (`ENTRA_SCOPE_NAME`): a tool may name it as its scope. */
  readonly baseScope: string;
}

/**
 * Reads and validates a platform configuration file.
 * @throws ConfigError with one problem per bad key: `<file>: <key path>: <what is wrong, naming the value>`.
 */
export function loadPlatformConfig(file: string, settings: PlatformSettings): PlatformConfig {
  const where = `MCP_PLATFORM_CONFIG ${file}`;
  let raw: string;
  try {
    raw = readFileSync(file, "utf8");
  } catch (e) {
    throw new ConfigError([`${where}: cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); expected the path of a JSON file`]);
  }
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch (e) {
    throw new ConfigError([`${where}: is not valid JSON (${(e as Error).message})`]);
  }
  const result = platform.safeParse(json);
  if (!result.success) {
    throw new ConfigError(
      result.error.issues.map((issue) => {
        const path = issue.path as PropertyKey[];
        if (issue.code === "unrecognized_keys") {
          return `${where}: ${keyPath(path)}: unknown key${issue.keys.length > 1 ? "s" : ""} ${issue.keys.map(quoted).join(", ")}`;
        }
        if (issue.code === "custom") return `${where}: ${keyPath(path)}: ${issue.message}`;
        const value = valueAt(json, path);
        const last = path[path.length - 1];
        const expected =
          last === "kind" ? "unknown backend kind; expected \"sample\", \"url\" or \"app-service\""
          : last === "backend" && path[0] === "state" ? "unknown state backend; expected \"local\" or \"azurerm\""
          : last === "identity" && path[1] === "existing" && value === undefined ? "expected the user-assigned managed identity already assigned to the instance, { \"name\": ..., \"resourceGroupName\": ... } (the Entra applications trust it; the stack cannot assign identities to an instance it does not own)"
          : issue.message;
        return `${where}: ${keyPath(path)}: ${expected}${value === undefined ? " (missing)" : ` (got ${quoted(value)})`}`;
      }),
    );
  }
  const baseDir = dirname(resolve(file));
  const problems = relations(result.data, baseDir, settings.baseScope);
  if (problems.length) throw new ConfigError(problems.map((p) => `${where}: ${keyPath(p.path)}: ${p.message}`));
  // Packages are named relative to the file; the stack gets them absolute.
  for (const server of result.data.servers) {
    if (server.backend.kind === "app-service" && !isAbsolute(server.backend.package)) server.backend.package = resolve(baseDir, server.backend.package);
  }
  return result.data;
}

/**
 * Every key path of the platform configuration file, derived from its schema: `servers`, `servers[].tools`,
 * `servers[].tools[].scope`, ... (an array's items as `[]`, a backend kind's own keys under the same path).
 * docs/threat-model.md says for each whether it has a security effect, and which test attacks it
 * (__tests__/docs/threat-model.test.ts fails when a key is added without that).
 */
export function platformKeyPaths(): string[] {
  const paths = new Set<string>();
  const walk = (node: Record<string, unknown>, at: string): void => {
    for (const alternative of (node.oneOf ?? node.anyOf ?? []) as Record<string, unknown>[]) walk(alternative, at);
    if (node.type === "array" && node.items) walk(node.items as Record<string, unknown>, `${at}[]`);
    for (const [key, child] of Object.entries((node.properties ?? {}) as Record<string, Record<string, unknown>>)) {
      const path = at === "" ? key : `${at}.${key}`;
      paths.add(path);
      walk(child, path);
    }
  };
  walk(z.toJSONSchema(platform, { io: "input", unrepresentable: "any" }) as Record<string, unknown>, "");
  return [...paths];
}
