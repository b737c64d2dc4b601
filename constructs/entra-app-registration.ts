/**
 * The Microsoft Entra ID application that represents one MCP server: an identifier URI, one
 * delegated scope, the gateway's OAuth callback as its Web redirect URI, a service principal, and
 * a federated identity credential that trusts API Management's user-assigned managed identity. The
 * gateway redeems codes with a client assertion from that identity, so no client secret exists.
 *
 * The gateway signs users in as this application itself and asks Entra for the application's own
 * scope plus Microsoft Graph `openid profile offline_access`. The application declares exactly those
 * permissions (API permissions in the portal), so that one admin consent covers them; with
 * `adminConsent` Terraform grants that consent tenant-wide (two delegated permission grants, one per
 * resource), otherwise synth warns with what an administrator must do. One instance per MCP server:
 * each has its own grants; the Microsoft Graph service principal is looked up once per stack.
 *
 * App roles (`appRoles`): the roles its tools name, each with an id derived from `appRoleIdSeed` and
 * the role's value (a name-based UUID, so the id Entra's assignments point at is known at synth and
 * never changes), assignable to users and groups and to applications (agents). Users get them in
 * Enterprise applications > the application > Users and groups; they arrive in the `roles` claim of
 * the user's access token for this application. `assignmentRequired` lets only assigned users sign in.
 */
import { Annotations, TerraformStack } from "cdktf";
import { Construct } from "constructs";
import {
  ApplicationApiAccess,
  ApplicationAppRoleA,
  ApplicationFederatedIdentityCredential,
  ApplicationIdentifierUri,
  ApplicationPermissionScope,
  ApplicationRedirectUris,
  ApplicationRegistration,
  DataAzureadServicePrincipal,
  ServicePrincipal,
  ServicePrincipalDelegatedPermissionGrant,
  Uuid,
} from "./providers.js";
import { isLiteral } from "./literal.js";
import { nameBasedUuid } from "./name-uuid.js";
import type { AppRole, DelegatedScope } from "../vocabulary/tool-access.js";
import { ENTRA_SCOPE_VALUE } from "../vocabulary/azure-names.js";

/** The audience Entra expects in a managed identity's token used as a federated credential. */
export const TOKEN_EXCHANGE_AUDIENCE = "api://AzureADTokenExchange";

/** Microsoft Graph's application (client) id, the same in every tenant. */
export const MICROSOFT_GRAPH_APP_ID = "00000003-0000-0000-c000-000000000000";

/** The Microsoft Graph delegated permissions the gateway asks Entra for next to the server's scope. */
export const GRAPH_SIGN_IN_SCOPES: readonly string[] = ["openid", "profile", "offline_access"];

/** Consent texts of the base scope (`scopeName`), whatever its value. */
export const BASE_SCOPE_TEXTS: Omit<DelegatedScope, "value"> = Object.freeze({
  adminConsentDisplayName: "Use the MCP server as the signed-in user",
  adminConsentDescription: "Allows MCP clients, through the API Management gateway, to call the MCP server's tools on behalf of the signed-in user.",
  userConsentDisplayName: "Use the MCP server as you",
  userConsentDescription: "Allows MCP clients, through the gateway, to call the MCP server's tools on your behalf.",
});

/** Who an app role may be assigned to: users and groups, and applications (workload identities of agents). */
export const APP_ROLE_MEMBER_TYPES: readonly string[] = ["User", "Application"];

/** Id of the stack-wide Microsoft Graph service principal data source (one per stack, shared by every application). */
const GRAPH_DATA_ID = "microsoft_graph_service_principal";

export interface EntraAppRegistrationProps {
  /** Display name of the application in Entra ID. */
  readonly displayName: string;
  /** Directory (tenant) id; usually `data.azurerm_client_config.current.tenant_id`. */
  readonly tenantId: string;
  /** Web redirect URIs: the gateway's `<ApimGateway.gatewayUrl>/oauth-callback`. At least one. */
  readonly redirectUris: string[];
  /**
   * The user-assigned managed identity the gateway uses to prove itself to Entra (federated
   * credential subject): `ApimGateway.identity`, created or read from an existing instance.
   */
  readonly trustedIdentity: { readonly principalId: string };
  /**
   * Value of the delegated scope users consent to.
   * @default "user_impersonate"
   */
  readonly scopeName?: string;
  /**
   * Who may sign in.
   * @default "AzureADMyOrg" (single tenant)
   */
  readonly signInAudience?: "AzureADMyOrg" | "AzureADMultipleOrgs";
  /**
   * More delegated scopes the application exposes besides `scopeName` (tools that need more than
   * the base scope, e.g. `forecast.read`): a value alone (its consent texts then say "MCP server
   * permission <value>"), or with its consent texts (mcp-app/tool-scopes.ts `DELEGATED_SCOPES`).
   * @default none
   */
  readonly additionalScopes?: readonly (string | DelegatedScope)[];
  /**
   * App roles the application defines (the roles its tools need: mcp-app/tool-scopes.ts `APP_ROLES`, or the
   * platform configuration's `tools[].appRole`), assignable to users and groups and to applications.
   * @default none
   */
  readonly appRoles?: readonly AppRole[];
  /**
   * What each app role's id is derived from, with the role's value (a name-based UUID): the MCP server's name, so the
   * ids stay the same when the application is renamed or recreated.
   * @default the construct's path
   */
  readonly appRoleIdSeed?: string;
  /**
   * Only users and groups assigned to the application (Enterprise applications > Users and groups, any app role) may
   * sign in: the service principal's `app_role_assignment_required`. Entra refuses everyone else (AADSTS50105).
   * @default false: every user of the tenant may sign in (tools that need an app role still need it)
   */
  readonly assignmentRequired?: boolean;
  /**
   * Grant tenant-wide (admin) consent to the application for its own scope and Microsoft Graph
   * `openid profile offline_access`, so no user sees "Need admin approval". The deploying principal
   * needs Cloud Application Administrator, Application Administrator or Privileged Role
   * Administrator (the azuread provider documents Global Administrator; a service principal needs
   * `DelegatedPermissionGrant.ReadWrite.All` or `Directory.ReadWrite.All`). When false, nothing is
   * granted and synth warns, naming the application, with what an administrator must do.
   * @default false
   */
  readonly adminConsent?: boolean;
}

export class EntraAppRegistration extends Construct {
  /** The application registration. */
  public readonly application: ApplicationRegistration;
  /** The service principal (enterprise application) in the tenant. */
  public readonly servicePrincipal: ServicePrincipal;
  /** Application (client) id; the audience and authorized party of tokens for the MCP server. */
  public readonly clientId: string;
  /** Directory (tenant) id. */
  public readonly tenantId: string;
  /** Identifier URI, `api://<clientId>`. */
  public readonly identifierUri: string;
  /** Delegated scope value, e.g. `user_impersonate`. */
  public readonly scopeName: string;
  /** The other delegated scopes it exposes (`additionalScopes`), their values. */
  public readonly additionalScopes: readonly string[];
  /** The same scopes with their consent texts (the user consent display name is also shown on the gateway's consent page). */
  public readonly additionalScopeTexts: readonly DelegatedScope[];
  /** Fully qualified scope, `api://<clientId>/<scopeName>`, as requested from Entra. */
  public readonly fullScope: string;
  /** Entra's v2 issuer for this tenant. */
  public readonly issuer: string;
  /** Display name of the application (as in the Entra admin center). */
  public readonly displayName: string;
  /** Whether Terraform grants admin consent (see `adminConsent`). */
  public readonly adminConsent: boolean;
  /** The application's delegated permission grants (its own scope, Microsoft Graph); empty without adminConsent. */
  public readonly consentGrants: readonly ServicePrincipalDelegatedPermissionGrant[];
  /** The app roles it defines: value, id (name-based, stable) and texts. */
  public readonly appRoles: readonly (AppRole & { readonly id: string })[];
  /** Whether only assigned users may sign in (`assignmentRequired`). */
  public readonly assignmentRequired: boolean;

  constructor(scope: Construct, id: string, props: EntraAppRegistrationProps) {
    super(scope, id);
    const scopeName = props.scopeName ?? "user_impersonate";
    if (!ENTRA_SCOPE_VALUE.test(scopeName)) {
      throw new Error(`EntraAppRegistration: scopeName ${JSON.stringify(scopeName)} is invalid; expected 1-40 letters, digits, '_', '-' or '.'`);
    }
    const additionalScopeTexts = (props.additionalScopes ?? []).map((s) => (typeof s === "string" ? defaultScopeTexts(s) : s));
    const additionalScopes = additionalScopeTexts.map((s) => s.value);
    for (const extra of additionalScopes) {
      if (!ENTRA_SCOPE_VALUE.test(extra) || extra === scopeName) {
        throw new Error(`EntraAppRegistration: additional scope ${JSON.stringify(extra)} is invalid; expected 1-40 letters, digits, '_', '-' or '.', other than scopeName`);
      }
    }
    if (new Set(additionalScopes).size !== additionalScopes.length) {
      throw new Error(`EntraAppRegistration: additionalScopes ${JSON.stringify(additionalScopes)} repeats a scope; expected each once`);
    }
    const roleSeed = props.appRoleIdSeed ?? this.node.path;
    const appRoles = (props.appRoles ?? []).map((role) => {
      if (!ENTRA_SCOPE_VALUE.test(role.value)) {
        throw new Error(`EntraAppRegistration: app role value ${JSON.stringify(role.value)} is invalid; expected 1-40 letters, digits, '_', '-' or '.'`);
      }
      if (role.displayName.trim().length === 0 || role.displayName.length > 100 || role.description.trim().length === 0) {
        throw new Error(`EntraAppRegistration: app role ${JSON.stringify(role.value)} needs a display name (1-100 characters) and a description; got ${JSON.stringify({ displayName: role.displayName, description: role.description })}`);
      }
      return { ...role, id: nameBasedUuid(`app-role:${roleSeed}:${role.value}`) };
    });
    const roleIds = new Map<string, string>();
    for (const role of appRoles) {
      const id = `app_role_${role.value.replace(/[^A-Za-z0-9]/g, "_")}`;
      if (roleIds.has(id)) throw new Error(`EntraAppRegistration: app roles ${JSON.stringify(roleIds.get(id))} and ${JSON.stringify(role.value)} ${roleIds.get(id) === role.value ? "repeat a value" : "differ only in punctuation"}; expected each role once, with values that differ in their letters or digits`);
      roleIds.set(id, role.value);
    }
    if (props.redirectUris.length === 0) {
      throw new Error("EntraAppRegistration: redirectUris is empty; expected the gateway's https://<apim>.azure-api.net/oauth-callback");
    }
    for (const uri of props.redirectUris) {
      if (!uri.startsWith("https://") && isLiteral(uri)) {
        throw new Error(`EntraAppRegistration: redirect URI ${JSON.stringify(uri)} is not HTTPS; Entra requires https:// for Web redirect URIs`);
      }
    }

    this.application = new ApplicationRegistration(this, "application", {
      displayName: props.displayName,
      signInAudience: props.signInAudience ?? "AzureADMyOrg",
      // v2 access tokens: issuer https://login.microsoftonline.com/<tenant>/v2.0, aud = client id, azp claim.
      requestedAccessTokenVersion: 2,
    });
    this.clientId = this.application.clientId;
    this.tenantId = props.tenantId;
    this.scopeName = scopeName;
    this.additionalScopes = additionalScopes;
    this.additionalScopeTexts = additionalScopeTexts;
    this.identifierUri = `api://${this.clientId}`;
    this.fullScope = `${this.identifierUri}/${scopeName}`;
    this.issuer = `https://login.microsoftonline.com/${props.tenantId}/v2.0`;

    this.displayName = props.displayName;
    this.adminConsent = props.adminConsent ?? false;
    this.appRoles = appRoles;
    this.assignmentRequired = props.assignmentRequired ?? false;

    new ApplicationIdentifierUri(this, "identifier_uri", {
      applicationId: this.application.id,
      identifierUri: this.identifierUri,
    });
    const scopeId = new Uuid(this, "scope_id", {});
    const permissionScope = new ApplicationPermissionScope(this, "scope", {
      applicationId: this.application.id,
      scopeId: scopeId.result,
      value: scopeName,
      type: "User",
      adminConsentDisplayName: BASE_SCOPE_TEXTS.adminConsentDisplayName,
      adminConsentDescription: BASE_SCOPE_TEXTS.adminConsentDescription,
      userConsentDisplayName: BASE_SCOPE_TEXTS.userConsentDisplayName,
      userConsentDescription: BASE_SCOPE_TEXTS.userConsentDescription,
    });
    const extraScopes = additionalScopeTexts.map((texts) => {
      const value = texts.value;
      const id = new Uuid(this, `scope_id_${value.replace(/[^A-Za-z0-9]/g, "_")}`, {});
      const resource = new ApplicationPermissionScope(this, `scope_${value.replace(/[^A-Za-z0-9]/g, "_")}`, {
        applicationId: this.application.id,
        scopeId: id.result,
        value,
        type: "User",
        adminConsentDisplayName: texts.adminConsentDisplayName,
        adminConsentDescription: texts.adminConsentDescription,
        userConsentDisplayName: texts.userConsentDisplayName,
        userConsentDescription: texts.userConsentDescription,
      });
      return { id, resource };
    });
    new ApplicationRedirectUris(this, "redirect_uris", {
      applicationId: this.application.id,
      type: "Web",
      redirectUris: props.redirectUris,
    });
    for (const role of appRoles) {
      new ApplicationAppRoleA(this, `app_role_${role.value.replace(/[^A-Za-z0-9]/g, "_")}`, {
        applicationId: this.application.id,
        roleId: role.id,
        value: role.value,
        displayName: role.displayName,
        description: role.description,
        allowedMemberTypes: [...APP_ROLE_MEMBER_TYPES],
      });
    }
    this.servicePrincipal = new ServicePrincipal(this, "service_principal", {
      clientId: this.clientId,
      // Omitted unless true, so an application without it plans exactly as before.
      ...(this.assignmentRequired ? { appRoleAssignmentRequired: true } : {}),
    });
    new ApplicationFederatedIdentityCredential(this, "gateway_identity_credential", {
      applicationId: this.application.id,
      displayName: "apim-managed-identity",
      description: "API Management's user-assigned managed identity redeems authorization codes with a client assertion (no secret).",
      audiences: [TOKEN_EXCHANGE_AUDIENCE],
      issuer: this.issuer,
      subject: props.trustedIdentity.principalId,
    });

    // API permissions: what the gateway asks for at sign-in, declared so that one consent covers it
    // (the portal's "Grant admin consent" and `az ad app permission admin-consent` grant these).
    const graph = microsoftGraph(this);
    new ApplicationApiAccess(this, "own_api_access", {
      applicationId: this.application.id,
      apiClientId: this.clientId,
      scopeIds: [scopeId.result, ...extraScopes.map((x) => x.id.result)],
      dependsOn: [permissionScope, ...extraScopes.map((x) => x.resource)],
    });
    new ApplicationApiAccess(this, "graph_api_access", {
      applicationId: this.application.id,
      apiClientId: MICROSOFT_GRAPH_APP_ID,
      scopeIds: GRAPH_SIGN_IN_SCOPES.map((name) => graph.oauth2PermissionScopeIds.lookup(name)),
    });

    if (this.adminConsent) {
      // consent_type AllPrincipals (no user_object_id): for every user of the tenant.
      this.consentGrants = [
        new ServicePrincipalDelegatedPermissionGrant(this, "own_scope_consent", {
          servicePrincipalObjectId: this.servicePrincipal.objectId,
          resourceServicePrincipalObjectId: this.servicePrincipal.objectId,
          claimValues: [scopeName, ...additionalScopes],
          dependsOn: [permissionScope, ...extraScopes.map((x) => x.resource)],
        }),
        new ServicePrincipalDelegatedPermissionGrant(this, "graph_consent", {
          servicePrincipalObjectId: this.servicePrincipal.objectId,
          resourceServicePrincipalObjectId: graph.objectId,
          claimValues: [...GRAPH_SIGN_IN_SCOPES],
        }),
      ];
    } else {
      this.consentGrants = [];
      Annotations.of(this).addWarning(this.adminConsentInstructions());
    }
  }

  /** What an administrator must do when Terraform does not grant consent (`adminConsent` false). */
  public adminConsentInstructions(): string {
    return (
      `Admin consent is not part of this deployment (adminConsent false, ENTRA_ADMIN_CONSENT=false): in tenants that restrict user consent, sign-in to ` +
      `the Entra application "${this.displayName}" stops at "Need admin approval" until an administrator (Cloud Application Administrator, ` +
      `Application Administrator or Privileged Role Administrator) grants tenant-wide consent for its scope ${this.scopeName} and ` +
      `Microsoft Graph ${GRAPH_SIGN_IN_SCOPES.join(", ")}. After deploy: az ad app permission admin-consent --id <its client id, output entra_client_id>, ` +
      `or Entra admin center > App registrations > "${this.displayName}" > API permissions > Grant admin consent.`
    );
  }
}

/** Consent texts of a delegated scope given by its value alone. */
export function defaultScopeTexts(value: string): DelegatedScope {
  return {
    value,
    adminConsentDisplayName: `MCP server permission ${value}`,
    adminConsentDescription: `Allows MCP clients, through the API Management gateway, to call the MCP server's tools that need ${value}, on behalf of the signed-in user.`,
    userConsentDisplayName: `MCP server permission ${value}`,
    userConsentDescription: `Allows MCP clients, through the gateway, to call the MCP server's tools that need ${value}, on your behalf.`,
  };
}

/** The tenant's Microsoft Graph service principal, looked up once per stack. */
function microsoftGraph(scope: Construct): DataAzureadServicePrincipal {
  const stack = TerraformStack.of(scope);
  const existing = stack.node.tryFindChild(GRAPH_DATA_ID);
  if (existing instanceof DataAzureadServicePrincipal) return existing;
  return new DataAzureadServicePrincipal(stack, GRAPH_DATA_ID, { clientId: MICROSOFT_GRAPH_APP_ID });
}
