/**
 * The numeric ranges of the product's settings (whole numbers, inclusive), checked by the
 * configuration and again by the constructs for their props. Plain data: it imports nothing.
 */

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
