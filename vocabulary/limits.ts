/**
 * The numeric ranges of the product's settings (whole numbers, inclusive), checked by the
 * configuration and again by the constructs for their props. Plain data: it imports nothing.
 */

/**
 * The gateway's key version (OAUTH_KEY_VERSION, McpOAuth's keyVersion): changing it makes Terraform
 * generate new HMAC and cookie keys and new confidential static client secrets.
 */
export const KEY_VERSION = /^[A-Za-z0-9._-]{1,32}$/;
/** What a key version must be, for error messages. */
export const KEY_VERSION_RULE = "1-32 letters, digits, '.', '_' or '-'";

/** The ranges of a server's settings (whole numbers, inclusive). */
export const SERVER_LIMITS = {
  /** Seconds the gateway waits for the backend to start answering (API Management's forward-request timeout). */
  timeoutSeconds: { min: 1, max: 240, default: 120 },
  /** Calls per client per renewal period. */
  rateLimitCalls: { min: 1, max: 1000000, default: 120 },
  /** Renewal period of the rate limit, seconds (API Management's limit for rate-limit-by-key). */
  rateLimitPeriod: { min: 1, max: 300, default: 60 },
} as const;

/** The lifetimes of the gateway's tokens, seconds (the refresh token outlives the access token). */
export const TOKEN_LIFETIMES = {
  access: { min: 5, max: 86400, default: 3600 },
  refresh: { max: 7776000, default: 604800 },
} as const;

/**
 * What is wrong with a setting that must be a whole number in `range`, or undefined:
 * `<name> <value> is invalid; expected a whole number of <unit> from <min> to <max>`.
 */
export function wholeNumberProblem(name: string, value: number, range: { readonly min: number; readonly max: number }, unit: string): string | undefined {
  if (Number.isInteger(value) && value >= range.min && value <= range.max) return undefined;
  return `${name} ${JSON.stringify(value)} is invalid; expected a whole number of ${unit} from ${range.min} to ${range.max}`;
}

/**
 * API Management's limits that the generated policies and named values must fit (Microsoft Learn,
 * "API Management limits": gateway runtime limits; "Reuse policy configurations in your API
 * Management policy definitions": fragments). Where Learn has raised a limit (documents and fragments
 * to 512 KiB in 2026), the older, stricter figure is kept: instances are not all updated at once.
 */
export const APIM_LIMITS = {
  /** Characters of a named value's value ("Length of named value"). */
  namedValueCharacters: 4096,
  /** Bytes of a policy fragment ("The maximum size of a policy fragment is 32 KB", read as 32,000). */
  fragmentBytes: 32_000,
  /** Bytes of a policy document ("Policy document size", 256 KiB). */
  documentBytes: 256 * 1024,
} as const;

/**
 * How large a platform may be (the platform configuration file's limits, README "Platform
 * configuration file"). Within them every generated fragment, policy and named value fits
 * `APIM_LIMITS` at the longest names the configuration allows (shown by the 50-server test of
 * __tests__/stack/platform-scale.test.ts); the tool table alone is bounded by its length instead of a
 * count (`toolScopeTableText`): a named value of 4,096 characters holds 20 tools at the longest
 * names (128-character tool names, 40-character scopes and app roles), more when names are shorter.
 */
export const PLATFORM_LIMITS = {
  /** MCP servers behind one gateway. */
  servers: 50,
  /** Delegated scopes of a server besides its base scope. */
  scopesPerServer: 10,
  /** Entries of a server's `tools`. */
  toolsPerServer: 100,
} as const;
