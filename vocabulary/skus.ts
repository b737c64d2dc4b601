/**
 * Which Azure SKUs and runtimes can carry this product, and why some cannot. Pure data, shared by
 * the configuration (checked before any construct exists) and the constructs (checked for reuse).
 */

/** API Management SKUs (`<tier>_<units>`) with a built-in cache and SSE streaming. */
export const APIM_SKU_PATTERN = /^(Developer_1|Basic_[12]|Standard_[1-4]|Premium_([1-9]|[1-2][0-9]|3[01])|BasicV2_([1-9]|10)|StandardV2_([1-9]|10))$/;

export const APIM_SKU_EXPECTED =
  "<tier>_<units> with tier BasicV2, StandardV2, Developer, Basic, Standard or Premium (for example BasicV2_1)";

/** Why the Consumption tier is refused. */
export const CONSUMPTION_REASON =
  "the Consumption tier cannot carry this gateway: it has no built-in cache (authorization codes, tokens and pending " +
  "requests live there), it does not stream server-sent events, and it caps each policy at 16 KiB";

/** Returns a problem with an API Management SKU, or undefined when it is usable. */
export function apimSkuProblem(sku: string): string | undefined {
  if (/^Consumption(_0)?$/i.test(sku)) return `${JSON.stringify(sku)} is refused: ${CONSUMPTION_REASON}; use BasicV2_1 (the default) or StandardV2_1`;
  if (!APIM_SKU_PATTERN.test(sku)) return `${JSON.stringify(sku)} is not an API Management SKU this product supports; expected ${APIM_SKU_EXPECTED}`;
  return undefined;
}

/**
 * Whether an API Management SKU takes the service's protocol and cipher settings (HTTP/2, TLS 1.0/1.1,
 * SSL 3.0, 3DES and CBC ciphers: the `protocols` and `security` blocks). The classic tiers do; the v2
 * tiers (BasicV2, StandardV2, PremiumV2) do not offer them (their gateway accepts TLS 1.2 and later
 * only), and sending them gives a perpetual Terraform diff or an apply error.
 */
export function apimSkuTakesProtocolSettings(sku: string): boolean {
  return !/^[A-Za-z]+V2_/.test(sku);
}

/** Linux App Service plan SKUs with always-on and health checks. */
export const APP_SERVICE_SKU_PATTERN = /^(B[1-3]|S[1-3]|P[0-3]v3|P[1-3]v2|P[1-5]mv3|I[1-6]v2)$/;

/** Returns a problem with an App Service plan SKU, or undefined when it is usable. */
export function appServiceSkuProblem(sku: string): string | undefined {
  if (/^(F1|D1|FREE|SHARED)$/i.test(sku)) {
    return `${JSON.stringify(sku)} is refused: Free and Shared plans have no always-on and stop the MCP server when idle; use B1 (the default) or larger`;
  }
  if (!APP_SERVICE_SKU_PATTERN.test(sku)) {
    return `${JSON.stringify(sku)} is not a Linux App Service plan SKU this product supports; expected B1-B3, S1-S3, P0v3-P3v3, P1v2-P3v2, P1mv3-P5mv3 or I1v2-I6v2`;
  }
  return undefined;
}

/** Azure Managed Redis SKUs the external cache accepts (`Balanced_B0` is the smallest). */
export const MANAGED_REDIS_SKU_PATTERN = /^(Balanced_B(0|1|3|5|10|20|50|100|150|250|350|500|700|1000)|MemoryOptimized_M(10|20|50|100|150|250|350|500|700|1000|1500|2000)|ComputeOptimized_X(3|5|10|20|50|100|150|250|350|500|700))$/;

/** App Service Linux runtimes for an MCP server (`<stack>:<version>`, as in linuxFxVersion). */
export const APP_SERVICE_RUNTIMES = ["node:22-lts", "node:20-lts", "python:3.13", "python:3.12", "python:3.11"] as const;
export type AppServiceRuntime = (typeof APP_SERVICE_RUNTIMES)[number];
