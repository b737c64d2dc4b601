/**
 * What a backend's token check expects, under the environment variable names that README's token
 * checks ("Protect your own MCP server") read: `npm run local` prints them per server for the Entra
 * stand-in, and in Azure they are the `servers` Terraform output's fields of that server.
 */

/** Each variable README's checks read, and the field of the `servers` output that holds its value in Azure. */
export const TOKEN_CHECK_VARIABLES = {
  ENTRA_ISSUER: "issuer",
  ENTRA_JWKS_URI: "jwks_uri",
  ENTRA_CLIENT_ID: "entra_client_id",
  REQUIRED_SCOPE: "required_scope",
} as const;

export type TokenCheckEnvironment = Record<keyof typeof TOKEN_CHECK_VARIABLES, string>;

/** The values of one server's token check against the Entra stand-in. */
export function tokenCheckEnvironment(entra: { readonly issuer: string; readonly jwksUri: string }, server: { readonly entraClientId: string; readonly requiredScope: string }): TokenCheckEnvironment {
  return { ENTRA_ISSUER: entra.issuer, ENTRA_JWKS_URI: entra.jwksUri, ENTRA_CLIENT_ID: server.entraClientId, REQUIRED_SCOPE: server.requiredScope };
}

/** `NAME=value` pairs, as `npm run local` prints them (values hold no spaces: URLs, a GUID, a scope value). */
export function formatTokenCheckEnvironment(env: TokenCheckEnvironment): string {
  return Object.entries(env)
    .map(([name, value]) => `${name}=${value}`)
    .join(" ");
}
