/**
 * The Entra stand-in's workload identities (agents without a user: a Foundry agent's or a job's
 * managed identity): the app-only access tokens its IMDS-shaped `/msi/token` issues when asked with
 * the `client_id` of a workload instead of the gateway's own identity.
 *
 * As Entra does, a token is issued for any workload of the tenant asking for a registered
 * application (`resource` = its application id URI `api://<client id>` or its client id): audience
 * the application's client id, `azp` = `appid` = the workload's client id, `idtyp` app, `oid`/`sub`
 * the workload's service principal, and `roles` only the app roles the application defines that
 * were assigned to that workload (none for an unlisted one: Entra issues such tokens without roles
 * when the application does not require assignment). A resource that names no registered
 * application is refused like Entra's AADSTS500011.
 */
import { createHash } from "node:crypto";

/** A workload identity's app roles in one application, as the platform assigns them (azuread_app_role_assignment). */
export interface EntraAgentAssignment {
  /** The workload identity's client (application) id. */
  readonly clientId: string;
  /** The values of the app roles assigned to it in this application. @default none */
  readonly roles?: readonly string[];
}

/** What the token endpoint needs to know of one application. */
export interface WorkloadApp {
  readonly appRoles: readonly string[];
  readonly agents: readonly EntraAgentAssignment[];
}

/** The client id of the registered application `resource` names (`api://<id>`, `api://<id>/.default`, `<id>`), or undefined. */
export function resourceApp(resource: string, apps: ReadonlyMap<string, unknown>): string | undefined {
  const id = resource.replace(/^api:\/\//, "").replace(/\/(\.default)?$/, "");
  return apps.has(id) ? id : undefined;
}

/** A stable object id for a workload's service principal in this tenant (the stand-in has no directory of them). */
export function workloadPrincipalId(tenant: string, clientId: string): string {
  const h = createHash("sha256").update(`${tenant}:sp:${clientId}`).digest("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** The claims of the app-only access token the workload `clientId` gets for the application `appClientId`. */
export function workloadTokenClaims(tenant: string, appClientId: string, app: WorkloadApp, clientId: string): Record<string, unknown> {
  const assigned = app.agents.filter((a) => a.clientId.toLowerCase() === clientId.toLowerCase()).flatMap((a) => a.roles ?? []);
  const roles = [...new Set(assigned.filter((r) => app.appRoles.includes(r)))];
  const principal = workloadPrincipalId(tenant, clientId.toLowerCase());
  return {
    aud: appClientId,
    azp: clientId,
    appid: clientId,
    azpacr: "2",
    idtyp: "app",
    oid: principal,
    sub: principal,
    tid: tenant,
    ver: "2.0",
    ...(roles.length ? { roles } : {}),
  };
}
