/**
 * The app's configuration: environment variables read and validated in one place, before any
 * construct exists, so that a bad value fails `npm run synth` with one clear message and no
 * Terraform is written.
 */
import { createRequire } from "node:module";
import type { input, output } from "zod/mini";
import { AZURE_LOCATIONS, ENTRA_SCOPE_VALUE, RESOURCE_GROUP_NAME } from "../vocabulary/azure-names.js";
import { KEY_VERSION, KEY_VERSION_RULE, TOKEN_LIFETIMES } from "../vocabulary/limits.js";
import { MCP_PATH } from "../vocabulary/mcp-names.js";
import { RESERVED_GATEWAY_PATHS } from "../vocabulary/oauth-api.js";
import { apimSkuProblem, appServiceSkuProblem } from "../vocabulary/skus.js";

/**
 * Prefix for every resource name. Kept short so that `<prefix>-apim-<13-char suffix>` stays
 * within API Management's 50-character limit and names remain readable.
 */
const ENVIRONMENT_NAME_PATTERN = /^[a-z](?:[a-z0-9]|-(?=[a-z0-9])){0,23}$/;

const EMAIL_PATTERN = /^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$/;

/** Where API Management keeps the OAuth state (codes, grants, pending sign-ins): `APIM_CACHE`. */
export const APIM_CACHE_KINDS = ["builtin", "redis"] as const;
export type ApimCacheKind = (typeof APIM_CACHE_KINDS)[number];

/** What deploy needs that synth can do without: reported by main.ts, never fatal offline. */
export const PLACEHOLDER_PUBLISHER_EMAIL = "apim-admin@example.com";

// zod's compact "mini" API through its CommonJS build: this module is read at every synth, before anything
// else, and the ES build's many files each pass through the TypeScript loader's hooks (see constructs/providers.ts).
const { z } = createRequire(import.meta.url)("zod/mini") as typeof import("zod/mini");

const quoted = (value: unknown) => JSON.stringify(value);

/** A string variable: `problem` returns what is wrong with a value (naming it), or undefined. */
function variable(problem: (value: string) => string | undefined) {
  return z.string().check(
    z.superRefine((value, ctx) => {
      const message = problem(value);
      if (message !== undefined) ctx.addIssue({ code: "custom", message, input: value });
    }),
  );
}

/** A variable with a default when unset. */
const withDefault = (fallback: string, problem: (value: string) => string | undefined) => z._default(variable(problem), fallback);

/** `problem` for a value that must pass `ok`, explained by `expected`. */
const must = (ok: (value: string) => boolean, expected: (quotedValue: string) => string) => (value: string) =>
  ok(value) ? undefined : expected(quoted(value));

/** A whole number of seconds from `min` to `max`, as a problem function for `variable`. */
const seconds = (min: number, max: number, what: string) =>
  must(
    (v) => /^[0-9]{1,9}$/.test(v) && Number(v) >= min && Number(v) <= max,
    (q) => `${q} is not a usable ${what}; expected a whole number of seconds from ${min} to ${max}`,
  );

/** Gateway token lifetimes (McpOAuth accepts the same ranges). */
const { access: ACCESS_TOKEN_LIFETIME, refresh: REFRESH_TOKEN_LIFETIME } = TOKEN_LIFETIMES;

const accessLifetimeProblem = seconds(ACCESS_TOKEN_LIFETIME.min, ACCESS_TOKEN_LIFETIME.max, "access token lifetime");
const refreshLifetimeProblem = seconds(ACCESS_TOKEN_LIFETIME.min + 1, REFRESH_TOKEN_LIFETIME.max, "refresh token lifetime");

const variables = z.object({
  AZURE_LOCATION: withDefault(
    "westeurope",
    must(
      (v) => (AZURE_LOCATIONS as readonly string[]).includes(v),
      (q) => `${q} is not an Azure region name; expected a programmatic region name such as westeurope, swedencentral or eastus2`,
    ),
  ),
  ENVIRONMENT_NAME: withDefault(
    "mcp",
    must(
      (v) => ENVIRONMENT_NAME_PATTERN.test(v),
      (q) =>
        `${q} breaks Azure naming rules for this prefix; expected 1-24 characters, lowercase letters, digits and single hyphens, starting with a letter and not ending with a hyphen`,
    ),
  ),
  RESOURCE_GROUP_NAME: z.optional(
    variable(
      must(
        (v) => RESOURCE_GROUP_NAME.test(v),
        (q) => `${q} is not a valid resource group name; expected 1-90 letters, digits, '_', '-', '.', '(' or ')', not ending with '.'`,
      ),
    ),
  ),
  APIM_SKU: withDefault("BasicV2_1", apimSkuProblem),
  APIM_PUBLISHER_EMAIL: withDefault(
    PLACEHOLDER_PUBLISHER_EMAIL,
    must(
      (v) => v.length <= 100 && EMAIL_PATTERN.test(v),
      (q) => `${q} is not an e-mail address; expected something like platform-team@contoso.com`,
    ),
  ),
  APIM_PUBLISHER_NAME: withDefault(
    "MCP Platform",
    must(
      (v) => v.trim().length > 0 && v.length <= 100 && !/[<>]/.test(v),
      (q) => `${q} is not a usable publisher name; expected 1-100 characters without '<' or '>'`,
    ),
  ),
  APP_SERVICE_SKU: withDefault("B1", appServiceSkuProblem),
  MCP_PATH: withDefault("mcp", (v) => {
    if (!MCP_PATH.test(v)) {
      return `${quoted(v)} is not a usable API path; expected 1-80 lowercase letters, digits, '-', '_' and inner '/', without leading or trailing '/' (for example mcp or weather/mcp)`;
    }
    const first = v.split("/")[0];
    if (RESERVED_GATEWAY_PATHS.includes(first)) {
      return `${quoted(v)} would shadow the gateway's OAuth endpoint /${first}; choose another path (reserved: ${RESERVED_GATEWAY_PATHS.join(", ")})`;
    }
    return undefined;
  }),
  ENTRA_SCOPE_NAME: withDefault(
    "user_impersonate",
    must(
      (v) => ENTRA_SCOPE_VALUE.test(v),
      (q) => `${q} is not a usable delegated scope name; expected 1-40 letters, digits, '_', '-' or '.'`,
    ),
  ),
  ENTRA_ADMIN_CONSENT: withDefault(
    "true",
    must(
      (v) => v === "true" || v === "false",
      (q) => `${q} is not a boolean; expected true (Terraform grants tenant-wide consent: needs an Entra admin role) or false (an administrator consents after deploy)`,
    ),
  ),
  APIM_CACHE: withDefault(
    "builtin",
    must(
      (v) => (APIM_CACHE_KINDS as readonly string[]).includes(v),
      (q) => `${q} is not a cache kind; expected builtin (API Management's own cache, volatile) or redis (an Azure Managed Redis attached as external cache: grants survive platform updates)`,
    ),
  ),
  OAUTH_KEY_VERSION: withDefault(
    "1",
    must(
      (v) => KEY_VERSION.test(v),
      (q) => `${q} is not a usable key version; expected ${KEY_VERSION_RULE} (change it to rotate the gateway's signing keys)`,
    ),
  ),
  OAUTH_ACCESS_TOKEN_LIFETIME: withDefault(String(ACCESS_TOKEN_LIFETIME.default), accessLifetimeProblem),
  OAUTH_REFRESH_TOKEN_LIFETIME: withDefault(String(REFRESH_TOKEN_LIFETIME.default), refreshLifetimeProblem),
  MCP_PLATFORM_CONFIG: z.optional(
    variable(must((v) => /\.json$/i.test(v) && !/[\0\r\n]/.test(v), (q) => `${q} is not the path of a JSON file; expected e.g. examples/two-servers.json`)),
  ),
});

/** Settings that depend on each other, checked once each is valid on its own. */
const consistent = variables.check(
  z.superRefine((env, ctx) => {
    // Only once both are valid on their own (their own problems are already reported).
    if (accessLifetimeProblem(env.OAUTH_ACCESS_TOKEN_LIFETIME) || refreshLifetimeProblem(env.OAUTH_REFRESH_TOKEN_LIFETIME)) return;
    if (Number(env.OAUTH_REFRESH_TOKEN_LIFETIME) <= Number(env.OAUTH_ACCESS_TOKEN_LIFETIME)) {
      ctx.addIssue({
        code: "custom",
        path: ["OAUTH_REFRESH_TOKEN_LIFETIME"],
        input: env.OAUTH_REFRESH_TOKEN_LIFETIME,
        message: `${quoted(env.OAUTH_REFRESH_TOKEN_LIFETIME)} must exceed OAUTH_ACCESS_TOKEN_LIFETIME (${env.OAUTH_ACCESS_TOKEN_LIFETIME} seconds): a refresh token outlives the access tokens it renews`,
      });
    }
  }),
);

const schema = z.pipe(
  consistent,
  z.transform((env) => ({
    location: env.AZURE_LOCATION,
    environmentName: env.ENVIRONMENT_NAME,
    resourceGroupName: env.RESOURCE_GROUP_NAME ?? `${env.ENVIRONMENT_NAME}-rg`,
    apimSku: env.APIM_SKU,
    publisherEmail: env.APIM_PUBLISHER_EMAIL,
    publisherName: env.APIM_PUBLISHER_NAME,
    appServiceSku: env.APP_SERVICE_SKU,
    mcpPath: env.MCP_PATH,
    scopeName: env.ENTRA_SCOPE_NAME,
    keyVersion: env.OAUTH_KEY_VERSION,
    accessTokenLifetimeSeconds: Number(env.OAUTH_ACCESS_TOKEN_LIFETIME),
    refreshTokenLifetimeSeconds: Number(env.OAUTH_REFRESH_TOKEN_LIFETIME),
    entraAdminConsent: env.ENTRA_ADMIN_CONSENT === "true",
    apimCache: env.APIM_CACHE as ApimCacheKind,
    platformConfigFile: env.MCP_PLATFORM_CONFIG,
  })),
);

/** The validated configuration the stack is built from. */
export type AppConfig = output<typeof schema>;

/** The environment variables this app reads, for docs and tests. */
export const CONFIG_VARIABLES = Object.keys(variables.shape) as (keyof input<typeof variables>)[];

/** Thrown for configuration a deploy could not work with; its message lists every problem. */
export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "ConfigError";
  }
}

/**
 * Reads and validates the configuration from environment variables. Empty strings count as unset,
 * so `APIM_SKU= npm run synth` uses the default.
 * @throws ConfigError naming each bad variable and its value.
 */
export function loadConfig(env: Record<string, string | undefined> = process.env): AppConfig {
  const input: Record<string, string> = {};
  for (const name of CONFIG_VARIABLES) {
    const value = env[name];
    if (value !== undefined && value !== "") input[name] = value;
  }
  const result = schema.safeParse(input);
  if (!result.success) {
    throw new ConfigError(result.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`));
  }
  return result.data;
}
