/**
 * The provider resource classes the constructs use, each loaded by its deep path
 * (`@cdktf/provider-azurerm/lib/<resource>`), never the package root, through Node's CommonJS loader.
 *
 * The provider packages are large CommonJS files. Imported through the ES module loader, every one is
 * scanned for its export names (cjs-module-lexer) and passed through the TypeScript loader's hooks:
 * about 330 ms for these modules against about 95 ms with `require` (measured by `npm run bench:synth`).
 * Types come from the same deep paths with `import type`, which costs nothing at run time.
 */
import { createRequire } from "node:module";

const load = createRequire(import.meta.url);

export const { ApplicationApiAccess } = load("@cdktf/provider-azuread/lib/application-api-access") as typeof import("@cdktf/provider-azuread/lib/application-api-access");
export type ApplicationApiAccess = InstanceType<typeof ApplicationApiAccess>;

export const { ApplicationAppRoleA } = load("@cdktf/provider-azuread/lib/application-app-role") as typeof import("@cdktf/provider-azuread/lib/application-app-role");
export type ApplicationAppRoleA = InstanceType<typeof ApplicationAppRoleA>;

export const { ApplicationFederatedIdentityCredential } = load("@cdktf/provider-azuread/lib/application-federated-identity-credential") as typeof import("@cdktf/provider-azuread/lib/application-federated-identity-credential");
export type ApplicationFederatedIdentityCredential = InstanceType<typeof ApplicationFederatedIdentityCredential>;

export const { ApplicationIdentifierUri } = load("@cdktf/provider-azuread/lib/application-identifier-uri") as typeof import("@cdktf/provider-azuread/lib/application-identifier-uri");
export type ApplicationIdentifierUri = InstanceType<typeof ApplicationIdentifierUri>;

export const { ApplicationPermissionScope } = load("@cdktf/provider-azuread/lib/application-permission-scope") as typeof import("@cdktf/provider-azuread/lib/application-permission-scope");
export type ApplicationPermissionScope = InstanceType<typeof ApplicationPermissionScope>;

export const { ApplicationRedirectUris } = load("@cdktf/provider-azuread/lib/application-redirect-uris") as typeof import("@cdktf/provider-azuread/lib/application-redirect-uris");
export type ApplicationRedirectUris = InstanceType<typeof ApplicationRedirectUris>;

export const { ApplicationRegistration } = load("@cdktf/provider-azuread/lib/application-registration") as typeof import("@cdktf/provider-azuread/lib/application-registration");
export type ApplicationRegistration = InstanceType<typeof ApplicationRegistration>;

export const { AzureadProvider } = load("@cdktf/provider-azuread/lib/provider") as typeof import("@cdktf/provider-azuread/lib/provider");
export type AzureadProvider = InstanceType<typeof AzureadProvider>;

export const { DataAzureadServicePrincipal } = load("@cdktf/provider-azuread/lib/data-azuread-service-principal") as typeof import("@cdktf/provider-azuread/lib/data-azuread-service-principal");
export type DataAzureadServicePrincipal = InstanceType<typeof DataAzureadServicePrincipal>;

export const { ServicePrincipal } = load("@cdktf/provider-azuread/lib/service-principal") as typeof import("@cdktf/provider-azuread/lib/service-principal");
export type ServicePrincipal = InstanceType<typeof ServicePrincipal>;

export const { ServicePrincipalDelegatedPermissionGrant } = load("@cdktf/provider-azuread/lib/service-principal-delegated-permission-grant") as typeof import("@cdktf/provider-azuread/lib/service-principal-delegated-permission-grant");
export type ServicePrincipalDelegatedPermissionGrant = InstanceType<typeof ServicePrincipalDelegatedPermissionGrant>;

export const { ApiManagement } = load("@cdktf/provider-azurerm/lib/api-management") as typeof import("@cdktf/provider-azurerm/lib/api-management");
export type ApiManagement = InstanceType<typeof ApiManagement>;

export const { ApiManagementApi } = load("@cdktf/provider-azurerm/lib/api-management-api") as typeof import("@cdktf/provider-azurerm/lib/api-management-api");
export type ApiManagementApi = InstanceType<typeof ApiManagementApi>;

export const { ApiManagementApiDiagnostic } = load("@cdktf/provider-azurerm/lib/api-management-api-diagnostic") as typeof import("@cdktf/provider-azurerm/lib/api-management-api-diagnostic");
export type ApiManagementApiDiagnostic = InstanceType<typeof ApiManagementApiDiagnostic>;

export const { ApiManagementApiOperation } = load("@cdktf/provider-azurerm/lib/api-management-api-operation") as typeof import("@cdktf/provider-azurerm/lib/api-management-api-operation");
export type ApiManagementApiOperation = InstanceType<typeof ApiManagementApiOperation>;

export const { ApiManagementApiOperationPolicy } = load("@cdktf/provider-azurerm/lib/api-management-api-operation-policy") as typeof import("@cdktf/provider-azurerm/lib/api-management-api-operation-policy");
export type ApiManagementApiOperationPolicy = InstanceType<typeof ApiManagementApiOperationPolicy>;

export const { ApiManagementApiPolicy } = load("@cdktf/provider-azurerm/lib/api-management-api-policy") as typeof import("@cdktf/provider-azurerm/lib/api-management-api-policy");
export type ApiManagementApiPolicy = InstanceType<typeof ApiManagementApiPolicy>;

export const { ApiManagementCustomDomain } = load("@cdktf/provider-azurerm/lib/api-management-custom-domain") as typeof import("@cdktf/provider-azurerm/lib/api-management-custom-domain");
export type ApiManagementCustomDomain = InstanceType<typeof ApiManagementCustomDomain>;

export const { ApiManagementDiagnostic } = load("@cdktf/provider-azurerm/lib/api-management-diagnostic") as typeof import("@cdktf/provider-azurerm/lib/api-management-diagnostic");
export type ApiManagementDiagnostic = InstanceType<typeof ApiManagementDiagnostic>;

export const { ApiManagementLogger } = load("@cdktf/provider-azurerm/lib/api-management-logger") as typeof import("@cdktf/provider-azurerm/lib/api-management-logger");
export type ApiManagementLogger = InstanceType<typeof ApiManagementLogger>;

export const { ApiManagementNamedValue } = load("@cdktf/provider-azurerm/lib/api-management-named-value") as typeof import("@cdktf/provider-azurerm/lib/api-management-named-value");
export type ApiManagementNamedValue = InstanceType<typeof ApiManagementNamedValue>;

export const { ApiManagementPolicy } = load("@cdktf/provider-azurerm/lib/api-management-policy") as typeof import("@cdktf/provider-azurerm/lib/api-management-policy");
export type ApiManagementPolicy = InstanceType<typeof ApiManagementPolicy>;

export const { ApiManagementPolicyFragment } = load("@cdktf/provider-azurerm/lib/api-management-policy-fragment") as typeof import("@cdktf/provider-azurerm/lib/api-management-policy-fragment");
export type ApiManagementPolicyFragment = InstanceType<typeof ApiManagementPolicyFragment>;

export const { ApiManagementRedisCache } = load("@cdktf/provider-azurerm/lib/api-management-redis-cache") as typeof import("@cdktf/provider-azurerm/lib/api-management-redis-cache");
export type ApiManagementRedisCache = InstanceType<typeof ApiManagementRedisCache>;

export const { ApplicationInsights } = load("@cdktf/provider-azurerm/lib/application-insights") as typeof import("@cdktf/provider-azurerm/lib/application-insights");
export type ApplicationInsights = InstanceType<typeof ApplicationInsights>;

export const { DataAzurermApiManagement } = load("@cdktf/provider-azurerm/lib/data-azurerm-api-management") as typeof import("@cdktf/provider-azurerm/lib/data-azurerm-api-management");
export type DataAzurermApiManagement = InstanceType<typeof DataAzurermApiManagement>;

export const { DataAzurermClientConfig } = load("@cdktf/provider-azurerm/lib/data-azurerm-client-config") as typeof import("@cdktf/provider-azurerm/lib/data-azurerm-client-config");
export type DataAzurermClientConfig = InstanceType<typeof DataAzurermClientConfig>;

export const { DataAzurermUserAssignedIdentity } = load("@cdktf/provider-azurerm/lib/data-azurerm-user-assigned-identity") as typeof import("@cdktf/provider-azurerm/lib/data-azurerm-user-assigned-identity");
export type DataAzurermUserAssignedIdentity = InstanceType<typeof DataAzurermUserAssignedIdentity>;

export const { LinuxWebApp } = load("@cdktf/provider-azurerm/lib/linux-web-app") as typeof import("@cdktf/provider-azurerm/lib/linux-web-app");
export type LinuxWebApp = InstanceType<typeof LinuxWebApp>;

export const { LogAnalyticsWorkspace } = load("@cdktf/provider-azurerm/lib/log-analytics-workspace") as typeof import("@cdktf/provider-azurerm/lib/log-analytics-workspace");
export type LogAnalyticsWorkspace = InstanceType<typeof LogAnalyticsWorkspace>;

export const { ManagedRedis } = load("@cdktf/provider-azurerm/lib/managed-redis") as typeof import("@cdktf/provider-azurerm/lib/managed-redis");
export type ManagedRedis = InstanceType<typeof ManagedRedis>;

export const { AzurermProvider } = load("@cdktf/provider-azurerm/lib/provider") as typeof import("@cdktf/provider-azurerm/lib/provider");
export type AzurermProvider = InstanceType<typeof AzurermProvider>;

export const { ResourceGroup } = load("@cdktf/provider-azurerm/lib/resource-group") as typeof import("@cdktf/provider-azurerm/lib/resource-group");
export type ResourceGroup = InstanceType<typeof ResourceGroup>;

export const { RoleAssignment } = load("@cdktf/provider-azurerm/lib/role-assignment") as typeof import("@cdktf/provider-azurerm/lib/role-assignment");
export type RoleAssignment = InstanceType<typeof RoleAssignment>;

export const { ServicePlan } = load("@cdktf/provider-azurerm/lib/service-plan") as typeof import("@cdktf/provider-azurerm/lib/service-plan");
export type ServicePlan = InstanceType<typeof ServicePlan>;

export const { UserAssignedIdentity } = load("@cdktf/provider-azurerm/lib/user-assigned-identity") as typeof import("@cdktf/provider-azurerm/lib/user-assigned-identity");
export type UserAssignedIdentity = InstanceType<typeof UserAssignedIdentity>;

export const { Bytes } = load("@cdktf/provider-random/lib/bytes") as typeof import("@cdktf/provider-random/lib/bytes");
export type Bytes = InstanceType<typeof Bytes>;

export const { Password } = load("@cdktf/provider-random/lib/password") as typeof import("@cdktf/provider-random/lib/password");
export type Password = InstanceType<typeof Password>;

export const { RandomProvider } = load("@cdktf/provider-random/lib/provider") as typeof import("@cdktf/provider-random/lib/provider");
export type RandomProvider = InstanceType<typeof RandomProvider>;

export const { Uuid } = load("@cdktf/provider-random/lib/uuid") as typeof import("@cdktf/provider-random/lib/uuid");
export type Uuid = InstanceType<typeof Uuid>;
