/**
 * A custom domain of the gateway (`ApimGatewayProps.customDomain`): `gatewayUrl` becomes
 * `https://<hostName>`; with a certificate the domain is bound (one
 * `azurerm_api_management_custom_domain`), its certificate read from Key Vault with the gateway's
 * identity, which the stack lets read that one secret when the vault is given.
 */
import { Annotations, Fn } from "cdktf";
import type { Construct } from "constructs";
import { isLiteral } from "./literal.js";
import { ApiManagementCustomDomain, RoleAssignment } from "./providers.js";
import { DEFAULT_GATEWAY_HOST, DNS_HOST_NAME, KEY_VAULT_ID, KEY_VAULT_SECRET_ID } from "../vocabulary/azure-names.js";

/** A custom domain of the gateway (see `ApimGatewayProps.customDomain`). */
export interface GatewayCustomDomainProps {
  /**
   * Host name such as `mcp.contoso.com`; `gatewayUrl` becomes `https://<hostName>`. DNS is yours: a
   * CNAME from it to `<name>.azure-api.net` (`defaultHostName`).
   */
  readonly hostName: string;
  /**
   * Key Vault secret id of the TLS certificate (`https://<vault>.vault.azure.net/secrets/<name>`,
   * imported into Key Vault as a certificate; without a version API Management follows renewals;
   * may be a reference such as `azurerm_key_vault_certificate.versionless_secret_id`),
   * read with the gateway's identity. The domain is then bound by this stack (one
   * `azurerm_api_management_custom_domain`, which holds every custom domain of the instance).
   * @default none: only with `existing`, for a host already bound to the instance (checked at plan)
   */
  readonly keyVaultCertificateId?: string;
  /**
   * Resource id of that Key Vault (Azure RBAC permission model): the stack then grants the gateway's
   * identity Key Vault Secrets User on the certificate's secret, before binding the domain.
   * @default none: you grant the identity read access to the secret (synth warns)
   */
  readonly keyVaultId?: string;
}

/** The built-in role that reads a Key Vault secret's value (the certificate's PFX) and metadata. */
export const KEY_VAULT_SECRET_READER_ROLE = "Key Vault Secrets User";
/** The built-in role Key Vault Secrets User, by id: the same in every tenant. */
export const KEY_VAULT_SECRET_READER_ROLE_ID = "4633458b-17de-408a-b874-0445c86b69e6";

/**
 * The full role definition id of Key Vault Secrets User in the vault's subscription
 * (`/subscriptions/<sub>/providers/Microsoft.Authorization/roleDefinitions/<guid>`, what azurerm's
 * role_definition_id expects): an id, unlike a role name, needs no lookup at the secret's scope.
 */
function secretReaderRoleId(keyVaultId: string): string {
  const subscription = isLiteral(keyVaultId) ? keyVaultId.split("/")[2]! : Fn.element(Fn.split("/", keyVaultId), 2);
  return `/subscriptions/${subscription}/providers/Microsoft.Authorization/roleDefinitions/${KEY_VAULT_SECRET_READER_ROLE_ID}`;
}

/** Validates a custom domain (`existing`: the gateway deploys into an existing instance). */
export function checkCustomDomain(domain: GatewayCustomDomainProps, existing: boolean): void {
  const literal = isLiteral;
  const { hostName, keyVaultCertificateId, keyVaultId } = domain;
  if (literal(hostName) && !DNS_HOST_NAME.test(hostName)) throw new Error(`ApimGateway: customDomain.hostName ${JSON.stringify(hostName)} is not a DNS host name; expected a lowercase host name such as mcp.contoso.com`);
  if (literal(hostName) && DEFAULT_GATEWAY_HOST.test(hostName)) throw new Error(`ApimGateway: customDomain.hostName ${JSON.stringify(hostName)} is a default API Management host, not a custom domain`);
  if (keyVaultCertificateId === undefined) {
    if (!existing) throw new Error(`ApimGateway: customDomain ${JSON.stringify(hostName)} has no keyVaultCertificateId; a new instance needs the certificate to bind the domain (only a host already bound to an existing instance goes without)`);
    if (keyVaultId !== undefined) throw new Error(`ApimGateway: customDomain.keyVaultId is set without keyVaultCertificateId; expected the Key Vault holding that certificate, or neither`);
    return;
  }
  if (!literal(keyVaultCertificateId)) return;
  const secret = KEY_VAULT_SECRET_ID.exec(keyVaultCertificateId);
  if (!secret) throw new Error(`ApimGateway: customDomain.keyVaultCertificateId ${JSON.stringify(keyVaultCertificateId)} is not a Key Vault secret id; expected https://<vault>.vault.azure.net/secrets/<name>`);
  if (keyVaultId !== undefined && literal(keyVaultId)) {
    const vault = KEY_VAULT_ID.exec(keyVaultId);
    if (!vault) throw new Error(`ApimGateway: customDomain.keyVaultId ${JSON.stringify(keyVaultId)} is not a Key Vault resource id; expected /subscriptions/<id>/resourceGroups/<group>/providers/Microsoft.KeyVault/vaults/<vault>`);
    if (vault[1]!.toLowerCase() !== secret[1]!.toLowerCase()) throw new Error(`ApimGateway: customDomain.keyVaultId names the vault ${JSON.stringify(vault[1])}, but the certificate is in ${JSON.stringify(secret[1])}; expected the vault holding the certificate`);
  }
}

/** What binding a domain needs of the gateway. */
interface BindingTarget {
  readonly service: { readonly id: string };
  readonly identity: { readonly principalId: string; readonly clientId: string };
  readonly defaultHostName: string;
}

/**
 * Binds a domain that has a certificate (children `certificate_access`, when the vault is given,
 * and `custom_domain` of `gateway`); warns with what to grant when the vault is not given.
 */
export function bindCustomDomain(
  gateway: Construct & BindingTarget,
  domain: GatewayCustomDomainProps & { readonly keyVaultCertificateId: string },
): { customDomain: ApiManagementCustomDomain; certificateAccess?: RoleAssignment } {
  // https://<vault>.vault.azure.net/secrets/<name>[/<version>]: the name is the fifth '/' segment.
  const certificateId = domain.keyVaultCertificateId;
  const secretName = isLiteral(certificateId) ? KEY_VAULT_SECRET_ID.exec(certificateId)![2]! : Fn.element(Fn.split("/", certificateId), 4);
  let certificateAccess: RoleAssignment | undefined;
  if (domain.keyVaultId) {
    // Least privilege: read access to the one secret that holds the certificate, nothing else in the vault.
    certificateAccess = new RoleAssignment(gateway, "certificate_access", {
      scope: `${domain.keyVaultId}/secrets/${secretName}`,
      roleDefinitionId: secretReaderRoleId(domain.keyVaultId),
      principalId: gateway.identity.principalId,
      principalType: "ServicePrincipal",
      description: `API Management reads the TLS certificate of ${domain.hostName}.`,
    });
  } else {
    Annotations.of(gateway).addWarning(
      `Custom domain ${domain.hostName}: API Management reads its certificate (${domain.keyVaultCertificateId}) with the gateway's user-assigned identity, and nothing in this deployment grants that: give the identity read access to the secret (Azure RBAC: ${KEY_VAULT_SECRET_READER_ROLE} on the secret or its vault; access policies: Get and List on secrets) before the custom domain is created, or set gateway.keyVaultId so that the stack grants it. The CNAME from ${domain.hostName} to ${gateway.defaultHostName} is yours.`,
    );
  }
  const customDomain = new ApiManagementCustomDomain(gateway, "custom_domain", {
    apiManagementId: gateway.service.id,
    gateway: [{
      hostName: domain.hostName,
      keyVaultCertificateId: domain.keyVaultCertificateId,
      sslKeyvaultIdentityClientId: gateway.identity.clientId,
      negotiateClientCertificate: false,
    }],
    dependsOn: certificateAccess ? [certificateAccess] : undefined,
  });
  return { customDomain, ...(certificateAccess ? { certificateAccess } : {}) };
}
