/**
 * An API Management instance that exists already (`ApimGatewayProps.existing`): nothing of the
 * instance itself is created or changed. The service and the user-assigned identity already
 * assigned to it are read with data sources, whose postconditions refuse at plan time what the data
 * shows to be wrong (the Consumption tier, an identity that is not assigned, a custom domain that
 * is missing or that this stack would take over), each naming the instance and what to do.
 */
import { Annotations, Lazy, type TerraformElement } from "cdktf";
import type { Construct } from "constructs";
import type { GatewayCustomDomainProps } from "./gateway-custom-domain.js";
import { isLiteral } from "./literal.js";
import { DataAzurermApiManagement, DataAzurermUserAssignedIdentity } from "./providers.js";
import { APIM_SERVICE_NAME, MANAGED_IDENTITY_NAME, RESOURCE_GROUP_NAME } from "../vocabulary/azure-names.js";
import { CONSUMPTION_REASON } from "../vocabulary/skus.js";

/** An API Management instance that exists already (see `ApimGatewayProps.existing`). */
export interface ExistingApiManagementProps {
  /** Name of the instance; its default gateway host is `<name>.azure-api.net`. */
  readonly name: string;
  /** Its resource group. */
  readonly resourceGroupName: string;
  /**
   * The user-assigned managed identity already assigned to the instance. The gateway presents it to
   * Entra ID (federated credentials trust it, no secret) and to Key Vault. The stack cannot assign
   * it (the instance's identities belong to its owner); the plan fails, naming both, when it is not
   * assigned.
   */
  readonly identity: { readonly name: string; readonly resourceGroupName: string };
}

/** What the gateway reads of an existing instance: its service and its identity (data sources). */
export interface ExistingInstance {
  readonly name: string;
  readonly service: DataAzurermApiManagement;
  readonly identity: DataAzurermUserAssignedIdentity;
}

/**
 * Reads the instance and its identity with data sources (children `identity` and `service` of
 * `gateway`), checking `existing` (and a `name` given next to it) first.
 */
export function readExistingInstance(gateway: Construct, existing: ExistingApiManagementProps, name: string | undefined, customDomain: GatewayCustomDomainProps | undefined): ExistingInstance {
  checkExisting(existing, name);
  const identity = new DataAzurermUserAssignedIdentity(gateway, "identity", {
    name: existing.identity.name,
    resourceGroupName: existing.identity.resourceGroupName,
  });
  const service = new DataAzurermApiManagement(gateway, "service", {
    name: existing.name,
    resourceGroupName: existing.resourceGroupName,
    lifecycle: { postcondition: existingServiceChecks(existing, identity, customDomain) },
  });
  if (customDomain?.keyVaultCertificateId) {
    Annotations.of(gateway).addWarning(
      `Custom domain ${customDomain.hostName} on the existing API Management "${existing.name}": azurerm manages all custom domains of an instance as one resource, so the plan refuses an instance that has other custom domains, and \`cdktf destroy\` removes every custom domain of "${existing.name}". To keep the instance's domains in its owner's hands, bind ${customDomain.hostName} yourself and leave the certificate out.`,
    );
  }
  return { name: existing.name, service, identity };
}

/** Validates `existing` (and a `name` given next to it). */
function checkExisting(existing: ExistingApiManagementProps, name: string | undefined): void {
  const literal = isLiteral;
  const problems: string[] = [];
  if (literal(existing.name) && !APIM_SERVICE_NAME.test(existing.name)) problems.push(`existing.name ${JSON.stringify(existing.name)} breaks API Management naming rules; expected 1-50 letters, digits and single hyphens, starting with a letter`);
  if (literal(existing.resourceGroupName) && !RESOURCE_GROUP_NAME.test(existing.resourceGroupName)) problems.push(`existing.resourceGroupName ${JSON.stringify(existing.resourceGroupName)} is not a resource group name; expected 1-90 letters, digits, '_', '-', '.', '(' or ')'`);
  if (literal(existing.identity.name) && !MANAGED_IDENTITY_NAME.test(existing.identity.name)) problems.push(`existing.identity.name ${JSON.stringify(existing.identity.name)} is not a user-assigned managed identity name; expected 3-128 letters, digits, '-' or '_'`);
  if (literal(existing.identity.resourceGroupName) && !RESOURCE_GROUP_NAME.test(existing.identity.resourceGroupName)) problems.push(`existing.identity.resourceGroupName ${JSON.stringify(existing.identity.resourceGroupName)} is not a resource group name; expected 1-90 letters, digits, '_', '-', '.', '(' or ')'`);
  if (name !== undefined && name !== existing.name) problems.push(`name ${JSON.stringify(name)} differs from existing.name ${JSON.stringify(existing.name)}; expected the existing instance's name, or no name`);
  if (problems.length > 0) throw new Error(`ApimGateway: ${problems.join("; ")}`);
}

/** Terraform's address of a data source, rendered at synth (after any logical id override). */
const dataAddress = (element: TerraformElement & { terraformResourceType: string }): string =>
  Lazy.stringValue({ produce: () => `data.${element.terraformResourceType}.${element.friendlyUniqueId}` });

/**
 * What the data of an existing instance must show, checked when Terraform reads it (plan time,
 * before anything changes); each failure names the instance and says what to do.
 */
function existingServiceChecks(existing: ExistingApiManagementProps, identity: DataAzurermUserAssignedIdentity, domain: GatewayCustomDomainProps | undefined) {
  const where = `API Management "${existing.name}" (resource group "${existing.resourceGroupName}")`;
  const hcl = (s: string) => JSON.stringify(s.toLowerCase());
  const checks = [
    {
      condition: '${!can(regex("(?i)^consumption", self.sku_name))}',
      errorMessage: `${where} is on the Consumption tier, and ${CONSUMPTION_REASON}; deploy into an instance of another tier (BasicV2, StandardV2, Developer, Basic, Standard, Premium), or leave apim.existing out to create one.`,
    },
    {
      condition: `\${contains([for id in try(self.identity[0].identity_ids, []) : lower(id)], lower(${dataAddress(identity)}.id))}`,
      errorMessage: `The managed identity "${existing.identity.name}" (resource group "${existing.identity.resourceGroupName}") is not assigned to ${where}: assign it there (Security > Managed identities > User assigned), then plan again. The gateway presents it to Entra ID and Key Vault.`,
    },
  ];
  if (domain && !domain.keyVaultCertificateId) {
    checks.push({
      condition: `\${contains([for h in try(self.hostname_configuration[0].proxy, []) : lower(h.host_name)], ${hcl(domain.hostName)})}`,
      errorMessage: `${where} has no gateway custom domain "${domain.hostName}": bind it there first (Custom domains), or give its certificate (gateway.keyVaultCertificateId) so that this stack binds it.`,
    });
  }
  if (domain?.keyVaultCertificateId) {
    const own = `[${hcl(domain.hostName)}, ${hcl(`${existing.name}.azure-api.net`)}]`;
    checks.push({
      condition: `\${alltrue([for h in flatten([for c in self.hostname_configuration : concat(c.proxy[*].host_name, c.portal[*].host_name, c.developer_portal[*].host_name, c.management[*].host_name, c.scm[*].host_name)]) : contains(${own}, lower(h))])}`,
      errorMessage: `${where} has custom domains already: azurerm manages every custom domain of an instance as one resource, so binding "${domain.hostName}" from this stack would replace them and \`cdktf destroy\` would remove them. Bind "${domain.hostName}" there yourself and leave gateway.keyVaultCertificateId out.`,
    });
  }
  return checks;
}
