/**
 * The Microsoft Entra ID application that represents the MCP server: an identifier URI, one
 * delegated scope, the gateway's OAuth callback as its Web redirect URI, a service principal, and
 * a federated identity credential that trusts API Management's user-assigned managed identity. The
 * gateway redeems codes with a client assertion from that identity, so no client secret exists.
 */
import { Token } from "cdktf";
import { Construct } from "constructs";
import type { UserAssignedIdentity } from "@cdktf/provider-azurerm/lib/user-assigned-identity";
import { ApplicationFederatedIdentityCredential, ApplicationIdentifierUri, ApplicationPermissionScope, ApplicationRedirectUris, ApplicationRegistration, ServicePrincipal, Uuid } from "./providers.js";

/** The audience Entra expects in a managed identity's token used as a federated credential. */
export const TOKEN_EXCHANGE_AUDIENCE = "api://AzureADTokenExchange";

export interface EntraAppRegistrationProps {
  /** Display name of the application in Entra ID. */
  readonly displayName: string;
  /** Directory (tenant) id; usually `data.azurerm_client_config.current.tenant_id`. */
  readonly tenantId: string;
  /** Web redirect URIs: the gateway's `https://<apim>.azure-api.net/oauth-callback`. At least one. */
  readonly redirectUris: string[];
  /** The managed identity the gateway uses to prove itself to Entra (federated credential subject). */
  readonly trustedIdentity: UserAssignedIdentity;
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
  /** Fully qualified scope, `api://<clientId>/<scopeName>`, as requested from Entra. */
  public readonly fullScope: string;
  /** Entra's v2 issuer for this tenant. */
  public readonly issuer: string;

  constructor(scope: Construct, id: string, props: EntraAppRegistrationProps) {
    super(scope, id);
    const scopeName = props.scopeName ?? "user_impersonate";
    if (!/^[A-Za-z0-9_.-]{1,40}$/.test(scopeName)) {
      throw new Error(`EntraAppRegistration: scopeName ${JSON.stringify(scopeName)} is invalid; expected 1-40 letters, digits, '_', '-' or '.'`);
    }
    if (props.redirectUris.length === 0) {
      throw new Error("EntraAppRegistration: redirectUris is empty; expected the gateway's https://<apim>.azure-api.net/oauth-callback");
    }
    for (const uri of props.redirectUris) {
      if (!uri.startsWith("https://") && !Token.isUnresolved(uri)) {
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
    this.identifierUri = `api://${this.clientId}`;
    this.fullScope = `${this.identifierUri}/${scopeName}`;
    this.issuer = `https://login.microsoftonline.com/${props.tenantId}/v2.0`;

    new ApplicationIdentifierUri(this, "identifier_uri", {
      applicationId: this.application.id,
      identifierUri: this.identifierUri,
    });
    const scopeId = new Uuid(this, "scope_id", {});
    new ApplicationPermissionScope(this, "scope", {
      applicationId: this.application.id,
      scopeId: scopeId.result,
      value: scopeName,
      type: "User",
      adminConsentDisplayName: "Use the MCP server as the signed-in user",
      adminConsentDescription: "Allows MCP clients, through the API Management gateway, to call the MCP server's tools on behalf of the signed-in user.",
      userConsentDisplayName: "Use the MCP server as you",
      userConsentDescription: "Allows MCP clients, through the gateway, to call the MCP server's tools on your behalf.",
    });
    new ApplicationRedirectUris(this, "redirect_uris", {
      applicationId: this.application.id,
      type: "Web",
      redirectUris: props.redirectUris,
    });
    this.servicePrincipal = new ServicePrincipal(this, "service_principal", {
      clientId: this.clientId,
    });
    new ApplicationFederatedIdentityCredential(this, "gateway_identity_credential", {
      applicationId: this.application.id,
      displayName: "apim-managed-identity",
      description: "API Management's user-assigned managed identity redeems authorization codes with a client assertion (no secret).",
      audiences: [TOKEN_EXCHANGE_AUDIENCE],
      issuer: this.issuer,
      subject: props.trustedIdentity.principalId,
    });
  }
}
