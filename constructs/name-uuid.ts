/**
 * Name-based UUIDs (version 5, RFC 9562 §5.5): the same namespace and name always give the same id, so an id
 * that Entra ID keeps (an app role's id, which its assignments point at) is known at synth and survives a lost
 * Terraform state.
 */
import { createHash } from "node:crypto";

/** This product's namespace for name-based ids (a fixed random UUID). */
export const PRODUCT_UUID_NAMESPACE = "3b0e6a52-8f0e-4c1e-9d57-6a3f2c8b4e11";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * The version 5 UUID of `name` in `namespace` (lower case, canonical form).
 * @throws Error naming the namespace when it is not a UUID.
 */
export function nameBasedUuid(name: string, namespace: string = PRODUCT_UUID_NAMESPACE): string {
  if (!UUID.test(namespace)) throw new Error(`nameBasedUuid: namespace ${JSON.stringify(namespace)} is not a UUID; expected the canonical lower-case form`);
  const hash = createHash("sha1").update(Buffer.from(namespace.replace(/-/g, ""), "hex")).update(name, "utf8").digest();
  hash[6] = (hash[6]! & 0x0f) | 0x50;
  hash[8] = (hash[8]! & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
