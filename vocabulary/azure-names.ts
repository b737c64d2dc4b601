/**
 * Azure's and Entra ID's naming rules, as this product checks them: once here, for the
 * configuration (before any construct exists), the reusable constructs (for literal props) and the
 * post-deploy checks. Plain data: it imports nothing.
 */

/** Azure public-cloud regions (programmatic names) where this topology can be placed. */
export const AZURE_LOCATIONS = [
  "australiacentral", "australiaeast", "australiasoutheast", "austriaeast", "belgiumcentral", "brazilsouth",
  "brazilsoutheast", "canadacentral", "canadaeast", "centralindia", "centralus", "chilecentral", "denmarkeast",
  "eastasia", "eastus", "eastus2", "francecentral", "francesouth", "germanynorth", "germanywestcentral",
  "indonesiacentral", "israelcentral", "italynorth", "japaneast", "japanwest", "jioindiacentral", "jioindiawest",
  "koreacentral", "koreasouth", "malaysiawest", "mexicocentral", "newzealandnorth", "northcentralus",
  "northeurope", "norwayeast", "norwaywest", "polandcentral", "qatarcentral", "southafricanorth",
  "southafricawest", "southcentralus", "southeastasia", "southindia", "spaincentral", "swedencentral",
  "swedensouth", "switzerlandnorth", "switzerlandwest", "uaecentral", "uaenorth", "uksouth", "ukwest",
  "westcentralus", "westeurope", "westindia", "westus", "westus2", "westus3",
] as const;

/** A resource group name: 1-90 letters, digits, '_', '-', '.', '(' or ')', not ending with '.'. */
export const RESOURCE_GROUP_NAME = /^[-\w.()]{0,89}[-\w()]$/;

/** An API Management service name: 1-50 letters, digits and single hyphens, starting with a letter. */
export const APIM_SERVICE_NAME = /^[a-zA-Z](?:[a-zA-Z0-9]|-(?=[a-zA-Z0-9])){0,49}$/;

/** A user-assigned managed identity name: 3-128 letters, digits, '-' or '_', starting with a letter or digit. */
export const MANAGED_IDENTITY_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{2,127}$/;

/** A Linux App Service (web app) name: 2-60 lowercase letters, digits and single hyphens. */
export const APP_SERVICE_NAME = /^[a-z0-9](?:[a-z0-9]|-(?=[a-z0-9])){1,59}$/;

/** An Azure Managed Redis name: 1-60 letters, digits and single hyphens, starting with a letter. */
export const MANAGED_REDIS_NAME = /^[A-Za-z](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,59}$/;

/** A storage account name: 3-24 lowercase letters and digits. */
export const STORAGE_ACCOUNT_NAME = /^[a-z0-9]{3,24}$/;

/** A blob container name: 3-63 lowercase letters, digits and single hyphens. */
export const BLOB_CONTAINER_NAME = /^[a-z0-9](?:[a-z0-9]|-(?=[a-z0-9])){2,62}$/;

/** A subscription id (a lowercase GUID). */
export const SUBSCRIPTION_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** A DNS host name for a custom domain: lowercase labels and a top-level domain of letters, at most 253 characters. */
export const DNS_HOST_NAME = /^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;

/** The default gateway hosts of API Management (public and sovereign clouds): never a custom domain. */
export const DEFAULT_GATEWAY_HOST = /\.azure-api\.(net|cn|us)$/;

/** A Key Vault secret id, `https://<vault>.vault.azure.net/secrets/<name>[/<version>]` (groups: vault, secret). */
export const KEY_VAULT_SECRET_ID = /^https:\/\/([a-z0-9](?:[a-z0-9]|-(?=[a-z0-9])){2,23})\.vault\.(?:azure\.net|azure\.cn|usgovcloudapi\.net)\/secrets\/([A-Za-z0-9-]{1,127})(?:\/[0-9a-f]{32})?$/i;

/** A Key Vault resource id (group: the vault's name). */
export const KEY_VAULT_ID = /^\/subscriptions\/[0-9a-fA-F-]{36}\/resourceGroups\/[-\w.()]{1,90}\/providers\/Microsoft\.KeyVault\/vaults\/([A-Za-z0-9-]{3,24})$/i;

/** A delegated scope value of an Entra application (also used for app role values): 1-40 letters, digits, '_', '-' or '.'. */
export const ENTRA_SCOPE_VALUE = /^[A-Za-z0-9_.-]{1,40}$/;
