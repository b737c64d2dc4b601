/** Azure's and Entra's naming rules (vocabulary/azure-names.ts): what each accepts and refuses, at its edges. */
import { describe, expect, it } from "vitest";
import {
  APIM_SERVICE_NAME,
  APP_SERVICE_NAME,
  AZURE_LOCATIONS,
  BLOB_CONTAINER_NAME,
  DEFAULT_GATEWAY_HOST,
  DNS_HOST_NAME,
  ENTRA_SCOPE_VALUE,
  KEY_VAULT_ID,
  KEY_VAULT_SECRET_ID,
  MANAGED_IDENTITY_NAME,
  MANAGED_REDIS_NAME,
  RESOURCE_GROUP_NAME,
  STORAGE_ACCOUNT_NAME,
  SUBSCRIPTION_ID,
} from "../../vocabulary/azure-names.js";

const rules: [string, RegExp, string[], string[]][] = [
  ["RESOURCE_GROUP_NAME", RESOURCE_GROUP_NAME, ["rg", "my-rg_(1).x", "a".repeat(90)], ["", "rg.", "has space", "a".repeat(91), "rg/x"]],
  ["APIM_SERVICE_NAME", APIM_SERVICE_NAME, ["a", "Contoso-APIM-1", `a${"b".repeat(49)}`], ["", "1apim", "apim-", "a--b", `a${"b".repeat(50)}`, "a_b"]],
  ["MANAGED_IDENTITY_NAME", MANAGED_IDENTITY_NAME, ["abc", "1-id_x", "a".repeat(128)], ["ab", "-abc", "a".repeat(129), "a.b.c"]],
  ["APP_SERVICE_NAME", APP_SERVICE_NAME, ["ab", "mcp-app-0123456789abc", "a".repeat(60)], ["a", "Mcp-app", "app-", "a--b", "a".repeat(61)]],
  ["MANAGED_REDIS_NAME", MANAGED_REDIS_NAME, ["r", "Mcp-Redis-1", "a".repeat(60)], ["", "1redis", "r-", "a".repeat(61)]],
  ["STORAGE_ACCOUNT_NAME", STORAGE_ACCOUNT_NAME, ["abc", "tfstate0123456789abcdefg"], ["ab", "TfState", "tf-state", "a".repeat(25)]],
  ["BLOB_CONTAINER_NAME", BLOB_CONTAINER_NAME, ["abc", "tf-state", "a".repeat(63)], ["ab", "-abc", "a--b", "Abc", "a".repeat(64)]],
  ["SUBSCRIPTION_ID", SUBSCRIPTION_ID, ["00000000-1111-2222-3333-444444444444"], ["00000000-1111-2222-3333-44444444444", "0000000011112222333344444444444400", "AAAAAAAA-1111-2222-3333-444444444444"]],
  ["DNS_HOST_NAME", DNS_HOST_NAME, ["mcp.contoso.com", "a.b.example"], ["localhost", "MCP.contoso.com", "mcp.contoso.com.", "mcp.contoso.1", "https://mcp.contoso.com", "mcp.contoso.com:443", `${"a".repeat(64)}.com`]],
  ["ENTRA_SCOPE_VALUE", ENTRA_SCOPE_VALUE, ["user_impersonate", "forecast.read", "a".repeat(40)], ["", "has space", "a/b", "a".repeat(41)]],
];

describe("Azure naming rules", () => {
  it.each(rules)("%s accepts and refuses the values at its edges", (_name, rule, good, bad) => {
    expect(good.filter((v) => !rule.test(v))).toEqual([]);
    expect(bad.filter((v) => rule.test(v))).toEqual([]);
  });

  it("knows the default gateway hosts of every cloud, and no custom domain", () => {
    expect(["x.azure-api.net", "x.azure-api.cn", "x.azure-api.us"].every((h) => DEFAULT_GATEWAY_HOST.test(h))).toBe(true);
    expect(DEFAULT_GATEWAY_HOST.test("mcp.contoso.com")).toBe(false);
  });

  it("reads the vault and secret out of a Key Vault secret id and the vault out of a Key Vault id", () => {
    expect(KEY_VAULT_SECRET_ID.exec("https://contoso-kv.vault.azure.net/secrets/mcp-cert")?.slice(1)).toEqual(["contoso-kv", "mcp-cert"]);
    expect(KEY_VAULT_SECRET_ID.test(`https://contoso-kv.vault.usgovcloudapi.net/secrets/mcp-cert/${"0".repeat(32)}`)).toBe(true);
    for (const bad of ["https://contoso-kv.vault.azure.net/keys/mcp-cert", "https://contoso-kv.vault.azure.net/secrets/mcp-cert/", "https://contoso-kv.vault.azure.net:443/secrets/x", "https://contoso-kv.vault.azure.net/secrets/x?v=1", "http://contoso-kv.vault.azure.net/secrets/x", "https://kv.vault.azure.net/secrets/x"]) {
      expect(KEY_VAULT_SECRET_ID.test(bad), bad).toBe(false);
    }
    const id = "/subscriptions/00000000-1111-2222-3333-444444444444/resourceGroups/shared-rg/providers/Microsoft.KeyVault/vaults/contoso-kv";
    expect(KEY_VAULT_ID.exec(id)?.[1]).toBe("contoso-kv");
    expect(KEY_VAULT_ID.test(`${id}/secrets/x`)).toBe(false);
  });

  it("lists Azure regions by their programmatic names", () => {
    expect(AZURE_LOCATIONS).toContain("westeurope");
    expect(AZURE_LOCATIONS.every((l) => /^[a-z0-9]+$/.test(l))).toBe(true);
    expect(new Set(AZURE_LOCATIONS).size).toBe(AZURE_LOCATIONS.length);
  });
});
