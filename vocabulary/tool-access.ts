/**
 * Who may call which tool, as rules: the shape of a tool access table (the delegated scope, and
 * optionally the Entra app role, each tool of an MCP server needs), its checks, and its
 * resolution against a base scope. The MCP server (mcp-app/) enforces a table at run time, the
 * constructs (`McpServer`, `EntraAppRegistration`) turn one into the gateway's step-up table and
 * the application's scopes; the sample server's own table is mcp-app/tool-scopes.ts, another
 * server's is its `tools` in the platform configuration.
 *
 * The base scope (every call needs it: `ENTRA_SCOPE_NAME` / `MCP_REQUIRED_SCOPE`, default
 * `user_impersonate`) is a deployment setting, not part of a table: an entry without `scope` needs
 * the base scope alone; an entry with `scope` needs the base scope AND that one.
 *
 * Plain data and pure functions: it imports only the name rules beside it and reads no environment.
 */
import { ENTRA_SCOPE_VALUE } from "./azure-names.js";
import { TOOL_NAME } from "./mcp-names.js";

/** One tool's access rule: an entry of a tool access table. */
export interface ToolAccess {
  /** The tool's name, as clients call it in `tools/call` (and send in the `Mcp-Name` header). */
  readonly tool: string;
  /**
   * A delegated scope the caller's token must carry in addition to the base scope; it must be one of
   * the application's delegated scopes. @default none: the base scope alone
   */
  readonly scope?: string;
  /**
   * An Entra app role (its `value`, one of the application's app roles) the signed-in user must have been assigned (`roles`
   * claim of the Entra token). Without it the tool is absent from `tools/list` and its calls are refused.
   * @default none: every user with the scopes may call the tool
   */
  readonly appRole?: string;
}

/** A delegated scope (beyond the base scope) the Entra application exposes, with the texts of its consent prompt. */
export interface DelegatedScope {
  /** Scope value: 1-40 letters, digits, `_`, `-` or `.` (Entra's rule), e.g. `forecast.read`. */
  readonly value: string;
  /** Shown to administrators granting consent for the organisation. */
  readonly adminConsentDisplayName: string;
  readonly adminConsentDescription: string;
  /** Shown to a user granting consent (and on the gateway's consent page). */
  readonly userConsentDisplayName: string;
  readonly userConsentDescription: string;
}

/** An Entra app role that users (not applications) are assigned, which a tool may require. */
export interface AppRole {
  /** Role value as it appears in the token's `roles` claim, e.g. `Forecast.Admin`. */
  readonly value: string;
  readonly displayName: string;
  readonly description: string;
}

/** A {@link ToolAccess} with the base scope resolved: what a policy generator needs per tool. */
export interface ResolvedToolScope {
  readonly tool: string;
  /** The one scope that decides the tool: its own `scope`, or the base scope when it has none. */
  readonly scope: string;
  /** Every scope a call needs, the base scope first (the `scope` of a step-up challenge). */
  readonly requiredScopes: readonly string[];
  readonly appRole?: string;
}

/** The access rule of `tool` in `table`. @throws Error naming the tool and the known ones when it has none. */
export function toolAccess(tool: string, table: readonly ToolAccess[]): ToolAccess {
  const entry = table.find((candidate) => candidate.tool === tool);
  if (entry === undefined) {
    throw new Error(`Tool ${JSON.stringify(tool)} has no entry in the tool scope table: expected one of ${table.map((e) => e.tool).join(", ")}`);
  }
  return entry;
}

/** Every scope a call of a tool with `access` needs, the base scope first. */
export function requiredScopesOf(access: ToolAccess, baseScope: string): readonly string[] {
  return access.scope === undefined || access.scope === baseScope ? [baseScope] : [baseScope, access.scope];
}


/**
 * Checks a table against the application's delegated `scopes` and app `roles`: unique tool names (the MCP tool-name characters), scopes from `scopes` with Entra's value rule,
 * roles from `roles`. @returns one message per problem, each naming the entry and the bad value; empty when valid.
 */
export function toolScopeProblems(table: readonly ToolAccess[], scopes: readonly DelegatedScope[], roles: readonly AppRole[]): string[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  const scopeValues = new Set(scopes.map((s) => s.value));
  const roleValues = new Set(roles.map((r) => r.value));
  for (const scope of scopes) {
    if (!ENTRA_SCOPE_VALUE.test(scope.value)) problems.push(`delegated scope ${JSON.stringify(scope.value)} is invalid: expected 1-40 letters, digits, '_', '-' or '.'`);
  }
  for (const [index, entry] of table.entries()) {
    const where = `tool scope table entry ${index} (${JSON.stringify(entry.tool)})`;
    if (!TOOL_NAME.test(entry.tool)) problems.push(`${where}: tool name is invalid: expected 1-128 letters, digits, '_', '-' or '.'`);
    if (seen.has(entry.tool)) problems.push(`${where}: the tool is listed twice`);
    seen.add(entry.tool);
    if (entry.scope !== undefined && !scopeValues.has(entry.scope)) {
      problems.push(`${where}: scope ${JSON.stringify(entry.scope)} is not a delegated scope of the application: expected one of ${[...scopeValues].join(", ") || "(none)"}`);
    }
    if (entry.appRole !== undefined && !roleValues.has(entry.appRole)) {
      problems.push(`${where}: app role ${JSON.stringify(entry.appRole)} is not an app role of the application: expected one of ${[...roleValues].join(", ") || "(none)"}`);
    }
  }
  return problems;
}

/**
 * The table with the base scope resolved, for a policy generator: `[{ tool, scope, requiredScopes, appRole? }]`.
 * @throws Error listing every problem of the table, or a bad `baseScope` (same rule as the Entra scope value).
 */
export function resolveToolScopes(
  baseScope: string,
  table: readonly ToolAccess[],
  scopes: readonly DelegatedScope[],
  roles: readonly AppRole[],
): readonly ResolvedToolScope[] {
  if (!ENTRA_SCOPE_VALUE.test(baseScope)) throw new Error(`base scope ${JSON.stringify(baseScope)} is invalid: expected 1-40 letters, digits, '_', '-' or '.'`);
  const problems = toolScopeProblems(table, scopes, roles);
  if (problems.length > 0) throw new Error(`Invalid tool scope table:\n  - ${problems.join("\n  - ")}`);
  return table.map((entry) => {
    const requiredScopes = requiredScopesOf(entry, baseScope);
    return Object.freeze({
      tool: entry.tool,
      scope: requiredScopes[requiredScopes.length - 1]!,
      requiredScopes: Object.freeze([...requiredScopes]),
      ...(entry.appRole !== undefined ? { appRole: entry.appRole } : {}),
    });
  });
}

/**
 * The gateway's step-up table of a server, as its named value holds it (`mcp-tool-scopes`): one
 * `tool=scope` entry per tool that needs a scope besides the base scope, space-separated, each
 * scope by its value (the policy `mcp-tool-scope` finds its full URI among the server's scopes);
 * `none` when no tool needs more (a named value is never empty). Quote-free, so the policy reads
 * it as a literal. The base scope is left out: every call needs it anyway.
 */
export function toolScopeTableText(tools: readonly Pick<ResolvedToolScope, "tool" | "requiredScopes">[]): string {
  return tools.filter((t) => t.requiredScopes.length > 1).map((t) => `${t.tool}=${t.requiredScopes.slice(1).join(",")}`).join(" ") || "none";
}
