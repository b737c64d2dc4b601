import { describe, expect, it } from "vitest";
import { TerraformOutput } from "cdktf";
import { ApimRedisCache, type ApimRedisCacheProps } from "../../constructs/apim-redis-cache.js";
import { gatewayStack } from "../../test-support/gateway.js";
import { onlyResource, synthJson, unhashed } from "../../test-support/synth.js";

function redisStack(props: Partial<ApimRedisCacheProps> = {}) {
  const { stack, resourceGroup, gateway } = gatewayStack();
  const cache = new ApimRedisCache(stack, "redis_cache", { resourceGroup, gateway, name: "test-redis", ...props });
  return { stack, cache };
}

describe("ApimRedisCache", () => {
  it("creates the smallest Azure Managed Redis, highly available, TLS only, with one endpoint any client can use", () => {
    const redis = unhashed(onlyResource(synthJson(redisStack().stack), "azurerm_managed_redis"));
    expect(redis).toEqual({
      name: "test-redis",
      location: "${azurerm_resource_group.rg.location}",
      resource_group_name: "${azurerm_resource_group.rg.name}",
      sku_name: "Balanced_B0",
      high_availability_enabled: true,
      default_database: {
        access_keys_authentication_enabled: true,
        client_protocol: "Encrypted",
        clustering_policy: "EnterpriseCluster",
        eviction_policy: "VolatileLRU",
      },
    });
  });

  it("attaches it to API Management as the external cache, with a TLS connection string built in Terraform", () => {
    const cache = unhashed(onlyResource(synthJson(redisStack().stack), "azurerm_api_management_redis_cache"));
    expect(cache).toEqual({
      name: "redis",
      api_management_id: "${azurerm_api_management.gateway_service.id}",
      cache_location: "default",
      redis_cache_id: "${azurerm_managed_redis.redis_cache_redis.id}",
      description: expect.stringContaining("OAuth"),
      connection_string:
        "${azurerm_managed_redis.redis_cache_redis.hostname}:${azurerm_managed_redis.redis_cache_redis.default_database[0].port}," +
        "password=${azurerm_managed_redis.redis_cache_redis.default_database[0].primary_access_key},ssl=True,abortConnect=False",
    });
  });

  it("keeps the key out of every output", () => {
    const { stack, cache } = redisStack();
    new TerraformOutput(stack, "redis_host", { value: cache.redis.hostname });
    const json = synthJson(stack);
    expect(JSON.stringify(json.output)).not.toMatch(/access_key|connection_string|password/);
    // The only place the key is written is the API Management cache entity (a sensitive attribute).
    const references = JSON.stringify(json.resource).match(/primary_access_key/g) ?? [];
    expect(references).toHaveLength(1);
  });

  it("takes another SKU and no high availability", () => {
    const redis = onlyResource(synthJson(redisStack({ skuName: "MemoryOptimized_M10", highAvailability: false }).stack), "azurerm_managed_redis");
    expect(redis).toMatchObject({ sku_name: "MemoryOptimized_M10", high_availability_enabled: false });
  });

  it("fails for an unknown SKU", () => {
    expect(() => redisStack({ skuName: "Enterprise_E10" })).toThrow(/skuName "Enterprise_E10" is not an Azure Managed Redis SKU/);
    expect(() => redisStack({ skuName: "Premium_P1" })).toThrow(/skuName "Premium_P1"/);
  });

  it("fails for a name that breaks naming rules", () => {
    expect(() => redisStack({ name: "1-redis" })).toThrow(/name "1-redis" breaks Azure Managed Redis naming rules/);
    expect(() => redisStack({ name: "re--dis" })).toThrow(/name "re--dis"/);
  });
});
