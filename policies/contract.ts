/**
 * This product's policy contract: what the policies of policies/ promise each other beyond the
 * policy language itself, defined once and read by the static checks (constructs/policy-checks.ts
 * runs the generic rules of apim-policy/rules/ with it) and by `npm run policy`.
 *
 * - The records the OAuth policies keep in API Management's cache: each one's key prefix (the rest
 *   of the key says what it is the record of), the fields of its JSON value with their meaning, and
 *   the context variables that carry it between the cache and the policies. Rule `cache-records`
 *   checks the policies that write and read them against this, and rule `record-field-lists` the
 *   field lists the policy headers give in braces (the way Cloudflare's workers-oauth-provider
 *   keeps its storage layout in one module). Grants and their upstream records are keyed by the grant
 *   family's handle, which stays the same across rotations (docs/oauth-flow.md, "Tokens and codes";
 *   docs/threat-model.md).
 * - The streaming rule: the MCP API answers with Server-Sent Events (Streamable HTTP), so nothing in
 *   its policies may read or buffer the response; McpServer marks its API streaming, and the rule
 *   reports under the id `mcp-streaming`.
 * - The trace exemptions: the variables of the audit event that may be traced although the taint
 *   analysis of `no-secret-trace` would call them sensitive.
 */
import type { CacheRecordLayout, PolicyContract, StreamingContract } from "../apim-policy/rules/index.js";

/** Where the contract is defined, as the rules' messages name it. */
const DEFINED_IN = "policies/contract.ts";

const CLIENT = { cid: "client_id of the MCP client it was issued to", res: "the RFC 8707 resource (the MCP server's URL)", scope: "the scopes granted" };
const ENTRA = {
  eat: "the user's Entra access token for the MCP server's app",
  ert: "the user's Entra refresh token",
  eexp: "when the Entra access token expires (Unix seconds)",
};

/** The records of the OAuth policies in API Management's cache. */
export const CACHE_RECORDS: readonly CacheRecordLayout[] = [
  {
    name: "pending authorization",
    prefix: "oauth:pending:",
    key: "base64url SHA-256 of the gateway's own state sent to Entra",
    description: "The client's authorization request between the consent and Entra's callback; single use, 600 s.",
    fields: {
      cid: CLIENT.cid,
      ru: "the client's redirect URI",
      cc: "the client's PKCE S256 code_challenge",
      st: "the client's state, given back on the redirect",
      res: CLIENT.res,
      scope: "the scopes asked for",
      gv: "the gateway's own PKCE verifier for the Entra code redemption",
    },
    variables: ["pending-record", "pending-json", "pending"],
  },
  {
    name: "authorization code",
    prefix: "oauth:code:",
    key: "base64url SHA-256 of the one-time authorization code",
    description: "What a code is bound to, until /token redeems it once; 120 s.",
    fields: { cid: CLIENT.cid, ru: "the redirect URI the code was sent to", cc: "the client's PKCE S256 code_challenge", res: CLIENT.res, scope: CLIENT.scope, ...ENTRA, uid: "the user's Entra object id (oid), for audit events" },
    variables: ["code-record", "token-record-json", "token-record"],
  },
  {
    name: "grant",
    prefix: "oauth:grant:",
    key: "base64url SHA-256 of the grant family's handle (the part of each token before the dot)",
    description: "A grant family of a client: the current access and refresh secrets (as hashes) and the rotated ones; renewed by each rotation, for the refresh lifetime.",
    fields: {
      ...CLIENT,
      uid: "the user's Entra object id (oid), for audit events",
      ath: "base64url SHA-256 of the current access token's secret",
      rth: "base64url SHA-256 of the current refresh token's secret",
      old: "base64url SHA-256 of rotated refresh secrets, newest first, at most 20 (their reuse revokes the family)",
      aexp: "when the access token expires (Unix seconds)",
      gexp: "when the grant (its refresh token) expires (Unix seconds)",
    },
    variables: ["grant-base", "grant-record", "token-record-json", "token-record", "mcp-grant-json", "mcp-grant", "revoke-record-json"],
  },
  {
    name: "upstream tokens",
    prefix: "oauth:upstream:",
    key: "base64url SHA-256 of the grant family's handle",
    description: "The user's Entra tokens of a grant family, in a record of their own so that an MCP call's upstream refresh writes back only them and can never bring a revoked or rotated grant back; for the refresh lifetime.",
    fields: ENTRA,
    variables: ["upstream-record", "upstream-json", "mcp-upstream", "mcp-upstream-update"],
  },
  {
    name: "client metadata document",
    prefix: "oauth:cimd:",
    key: "the client ID metadata document's URL, hashed",
    description: "A validated copy of a client ID metadata document (the client's JSON, not ours); 3600 s.",
    variables: ["cimd-cached", "cimd-document"],
  },
  {
    name: "used consent ticket",
    prefix: "oauth:consent-used:",
    key: "base64url SHA-256 of the consent ticket's CSRF token",
    description: "Marks a consent ticket used (value `used`), for the ticket's 600 s lifetime.",
    variables: ["consent-used"],
  },
];

/** The MCP API streams (Server-Sent Events): its documents never read or buffer the response. */
export const STREAMING: StreamingContract = {
  id: "mcp-streaming",
  description: "Streaming (MCP) APIs never read or buffer the response body and forward with buffer-response=\"false\".",
};

/**
 * Variables of the audit event that may be traced although the taint analysis, which follows every
 * variable a value's expression mentions, would call them sensitive: the JSON-RPC methods and tool
 * names, read from the request body and each reduced to at most 64 characters of [A-Za-z0-9/_.-]
 * (policies/fragments/mcp-audit-request.xml: names, never arguments), the number of messages of
 * the body, and the user's Entra object id and the client's public id or a hash of it, read from
 * the grant's `uid` and `cid` fields (policies/fragments/mcp-token-check.xml). Nothing else is exempt.
 */
export const LOGGABLE_VARIABLES: ReadonlySet<string> = new Set(["audit-method", "audit-tool", "audit-messages", "audit-user", "audit-client"]);

/** The whole contract, as the static checks take it. */
export const POLICY_CONTRACT: PolicyContract = { definedIn: DEFINED_IN, records: CACHE_RECORDS, streaming: STREAMING, loggableVariables: LOGGABLE_VARIABLES };
