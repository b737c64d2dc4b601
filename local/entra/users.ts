/**
 * The Entra stand-in's users: who can sign in (`LOCAL_ENTRA_USERS`, parsed and checked here), each with the app role
 * values every app that defines them issues, and the sign-in page that lets a person pick one when there are several.
 */
import { createHash } from "node:crypto";

export interface EntraUser {
  readonly oid: string;
  readonly name: string;
  readonly preferredUsername: string;
  /**
   * App roles the user is assigned (their values): each app that defines one of them issues it in the `roles`
   * claim; an app that defines none of them issues no claim. @default none (no claim)
   */
  readonly roles?: readonly string[];
}

/** The one user of a stand-in started without `user` or `users`. */
export const DEFAULT_TEST_USER: EntraUser = {
  oid: "11111111-2222-4333-8444-555555555555",
  name: "Local Test User",
  preferredUsername: "test.user@contoso.example",
};

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const ROLE_VALUE = /^[A-Za-z0-9_.-]{1,40}$/;
const USER_KEYS = ["name", "oid", "preferredUsername", "roles"];

/** A GUID derived from `name` (the same on every run), shaped as a version 8 UUID (RFC 9562 §5.8). */
function derivedOid(name: string): string {
  const hex = createHash("sha256").update(`local-entra-user:${name}`).digest("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${((parseInt(hex[16]!, 16) & 3) | 8).toString(16)}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** The user `name` becomes when LOCAL_ENTRA_USERS gives only a name: an oid derived from it, a contoso.example sign-in name. */
export function defaultUser(name: string, roles?: readonly string[]): EntraUser {
  const local = name.toLowerCase().normalize("NFKD").replace(/[^a-z0-9]+/g, ".").replace(/^\.+|\.+$/g, "") || "user";
  return { oid: derivedOid(name), name, preferredUsername: `${local}@contoso.example`, ...(roles ? { roles } : {}) };
}

/**
 * Parses `LOCAL_ENTRA_USERS`: a JSON array of 1-20 users `{"name", "oid"?, "preferredUsername"?, "roles"?}`
 * (`roles`: app role values). A missing oid is derived from the name (stable across runs), a missing
 * preferredUsername from the name too.
 * @throws Error naming the variable, the bad entry and value, and what is expected.
 */
export function parseEntraUsers(raw: string, variable = "LOCAL_ENTRA_USERS"): EntraUser[] {
  const example = `expected a JSON array of users such as [{"name":"Ada","roles":["Tickets.Admin"]},{"name":"Bob"}]`;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (e) {
    throw new Error(`${variable}=${JSON.stringify(raw)} is not valid JSON (${(e as Error).message}); ${example}`);
  }
  if (!Array.isArray(parsed) || parsed.length < 1 || parsed.length > 20) throw new Error(`${variable}=${JSON.stringify(raw)} is not an array of 1 to 20 users; ${example}`);
  const users = parsed.map((entry: unknown, i): EntraUser => {
    const at = `${variable}[${i}]`;
    if (typeof entry !== "object" || entry === null || Array.isArray(entry)) throw new Error(`${at} ${JSON.stringify(entry)} is not an object; ${example}`);
    const fields = entry as Record<string, unknown>;
    const unknown = Object.keys(fields).filter((k) => !USER_KEYS.includes(k));
    if (unknown.length) throw new Error(`${at} has unknown key ${JSON.stringify(unknown[0])}; expected only ${USER_KEYS.join(", ")}`);
    const { name, oid, preferredUsername, roles } = fields;
    if (typeof name !== "string" || name.trim().length === 0 || name.length > 64 || /[<>&"\p{Cc}\p{Cf}]/u.test(name)) {
      throw new Error(`${at}.name ${JSON.stringify(name)} is not a usable name; expected 1-64 characters without <, >, &, " or control characters`);
    }
    if (oid !== undefined && (typeof oid !== "string" || !GUID.test(oid))) throw new Error(`${at}.oid ${JSON.stringify(oid)} is not an object id; expected a lower-case GUID such as 11111111-2222-4333-8444-555555555555`);
    if (preferredUsername !== undefined && (typeof preferredUsername !== "string" || !/^[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9.-]{1,190}$/.test(preferredUsername))) {
      throw new Error(`${at}.preferredUsername ${JSON.stringify(preferredUsername)} is not a sign-in name; expected user@domain`);
    }
    if (roles !== undefined && (!Array.isArray(roles) || roles.some((r) => typeof r !== "string" || !ROLE_VALUE.test(r)))) {
      const bad = Array.isArray(roles) ? roles.find((r) => typeof r !== "string" || !ROLE_VALUE.test(r)) : roles;
      throw new Error(`${at}.roles has ${JSON.stringify(bad)}; expected an array of app role values (1-40 letters, digits, '_', '-' or '.')`);
    }
    const base = defaultUser(name, roles as string[] | undefined);
    return { ...base, ...(oid !== undefined ? { oid: oid as string } : {}), ...(preferredUsername !== undefined ? { preferredUsername: preferredUsername as string } : {}) };
  });
  const seen = new Map<string, number>();
  users.forEach((u, i) => {
    const j = seen.get(u.oid);
    if (j !== undefined) throw new Error(`${variable}[${i}] has the oid ${u.oid} of ${variable}[${j}]; expected one oid per user (give each an "oid", or different names)`);
    seen.set(u.oid, i);
  });
  return users;
}

function escapeHtml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;").replace(/'/g, "&#39;");
}

/** The stand-in's sign-in page: the authorization request as hidden inputs, one button per user. */
export function signInPage(action: string, request: URLSearchParams, users: readonly EntraUser[]): string {
  const hidden = [...request].map(([k, v]) => `<input type="hidden" name="${escapeHtml(k)}" value="${escapeHtml(v)}">`).join("\n");
  const buttons = users.map((u) => `<p><button type="submit" name="user" value="${escapeHtml(u.oid)}">${escapeHtml(u.name)} (${escapeHtml(u.preferredUsername)})</button></p>`).join("\n");
  return `<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>Sign in: Entra ID stand-in</title></head><body>\n<h1>Pick an account</h1>\n<form method="post" action="${escapeHtml(action)}">\n${hidden}\n${buttons}\n</form>\n</body></html>\n`;
}

/** A stand-in's users and their app roles, which a test may change as an administrator would in Entra. */
export interface UserDirectory {
  readonly users: readonly EntraUser[];
  /** The roles `user` holds now among `appRoles` (those an app defines), in the user's order: what that app issues in `roles`. */
  rolesIn(user: EntraUser, appRoles: readonly string[]): string[];
  /** Replaces the app roles of the user `oid`; tokens issued from then on (refreshed ones included) carry them. */
  assignRoles(oid: string, roles: readonly string[]): void;
}

/**
 * The directory of a stand-in given `user` or `users` (not both): at least one user, each oid once.
 * @throws Error naming what is wrong.
 */
export function userDirectory(user: EntraUser | undefined, users: readonly EntraUser[] | undefined): UserDirectory {
  if (user && users) throw new Error("startEntraStandIn: give either user or users, not both");
  const list = users ?? [user ?? DEFAULT_TEST_USER];
  if (list.length === 0) throw new Error("startEntraStandIn: users is empty; expected at least one user");
  if (new Set(list.map((u) => u.oid)).size !== list.length) throw new Error(`startEntraStandIn: users ${JSON.stringify(list.map((u) => u.oid))} repeat an oid; expected one per user`);
  const roles = new Map(list.map((u) => [u.oid, u.roles ?? []]));
  return {
    users: list,
    rolesIn: (who, appRoles) => (roles.get(who.oid) ?? []).filter((r) => appRoles.includes(r)),
    assignRoles(oid, assigned) {
      if (!roles.has(oid)) throw new Error(`assignRoles: no user ${JSON.stringify(oid)} in this stand-in; expected one of ${[...roles.keys()].join(", ")}`);
      const bad = assigned.find((r) => !ROLE_VALUE.test(r));
      if (bad !== undefined) throw new Error(`assignRoles: ${JSON.stringify(bad)} is not an app role value; expected 1-40 letters, digits, '_', '-' or '.'`);
      roles.set(oid, [...assigned]);
    },
  };
}
