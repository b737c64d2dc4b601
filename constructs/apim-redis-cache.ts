/**
 * A durable external cache for the gateway: an Azure Managed Redis instance attached to API
 * Management as its external cache. The cache policies (`cache-lookup-value`, `cache-store-value`,
 * `cache-remove-value`) default to `caching-type="prefer-external"`, so once it is attached every
 * authorization code, grant, refresh token and pending sign-in lives in Redis instead of the
 * built-in cache, which API Management clears on platform updates and scale events.
 *
 * API Management connects with a connection string (it cannot use Entra authentication to Redis),
 * so the database has access keys enabled and TLS only. The connection string is built in
 * Terraform from the database's primary key, a sensitive attribute: it goes only into the API
 * Management cache entity (stored encrypted by the service) and never into an output. It is in the
 * Terraform state, like every key Terraform manages: keep the state private.
 */
import { Construct } from "constructs";
import { Token } from "cdktf";
import type { ResourceGroup } from "@cdktf/provider-azurerm/lib/resource-group";
import type { ApimGateway } from "./apim-gateway.js";
import { ApiManagementRedisCache, ManagedRedis } from "./providers.js";
import { isLiteral } from "./literal.js";
import { MANAGED_REDIS_NAME } from "../vocabulary/azure-names.js";
import { MANAGED_REDIS_SKU_PATTERN } from "../vocabulary/skus.js";

export interface ApimRedisCacheProps {
  /** Resource group of the Redis instance; it takes its location (keep it in the gateway's region). */
  readonly resourceGroup: ResourceGroup;
  /** The gateway whose external cache this becomes. */
  readonly gateway: ApimGateway;
  /**
   * Name of the Managed Redis instance (1-60 letters, digits and single hyphens, starting with a
   * letter; the host is `<name>.<region>.redis.azure.net`). May be a Terraform expression.
   */
  readonly name: string;
  /**
   * Azure Managed Redis SKU (memory and throughput).
   * @default "Balanced_B0" (the smallest, 0.5 GB)
   */
  readonly skuName?: string;
  /**
   * Two nodes with replication, so one node's maintenance or failure keeps the data.
   * @default true
   */
  readonly highAvailability?: boolean;
}

export class ApimRedisCache extends Construct {
  /** The Azure Managed Redis instance. */
  public readonly redis: ManagedRedis;
  /** API Management's external cache entity pointing at it. */
  public readonly cache: ApiManagementRedisCache;

  constructor(scope: Construct, id: string, props: ApimRedisCacheProps) {
    super(scope, id);
    const skuName = props.skuName ?? "Balanced_B0";
    if (!MANAGED_REDIS_SKU_PATTERN.test(skuName)) {
      throw new Error(`ApimRedisCache: skuName ${JSON.stringify(skuName)} is not an Azure Managed Redis SKU this construct supports; expected e.g. Balanced_B0, Balanced_B1, MemoryOptimized_M10 or ComputeOptimized_X3`);
    }
    if (isLiteral(props.name) && !MANAGED_REDIS_NAME.test(props.name)) {
      throw new Error(`ApimRedisCache: name ${JSON.stringify(props.name)} breaks Azure Managed Redis naming rules; expected 1-60 letters, digits and single hyphens, starting with a letter`);
    }

    this.redis = new ManagedRedis(this, "redis", {
      name: props.name,
      location: props.resourceGroup.location,
      resourceGroupName: props.resourceGroup.name,
      skuName,
      highAvailabilityEnabled: props.highAvailability ?? true,
      defaultDatabase: {
        // API Management authenticates with a key (no Entra authentication to an external cache).
        accessKeysAuthenticationEnabled: true,
        clientProtocol: "Encrypted",
        // One endpoint that any Redis client can use; OSS clustering needs a cluster-aware client.
        clusteringPolicy: "EnterpriseCluster",
        // Every entry the gateway stores has a lifetime; under memory pressure the nearest to expiry go first.
        evictionPolicy: "VolatileLRU",
      },
    });
    const database = this.redis.defaultDatabase;
    // StackExchange.Redis syntax, as API Management expects; the key is sensitive in Terraform.
    const connectionString = `${this.redis.hostname}:${Token.asString(database.port)},password=${database.primaryAccessKey},ssl=True,abortConnect=False`;
    this.cache = new ApiManagementRedisCache(this, "apim_cache", {
      name: "redis",
      apiManagementId: props.gateway.service.id,
      connectionString,
      redisCacheId: this.redis.id,
      description: "Durable store of the OAuth authorization server (codes, grants, pending sign-ins).",
      cacheLocation: "default",
    });
  }
}
