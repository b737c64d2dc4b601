/**
 * Which protocol era one parsed `/mcp` POST belongs to: the 2025 leg (2025-11-25 and older) or the SDK's strict
 * 2026-07-28 entry (which also answers the modern ladder's refusals). The SDK's own predicate, `isLegacyRequest`,
 * decides; it costs about as much as the rest of a tool call (it parses the body against several schemas), and the
 * 2026-07-28 entry classifies the request again anyway. So the common shapes are decided here by the SDK's rules
 * (`classifyInboundRequest`, body first), and everything else is left to the SDK:
 *
 * - a single request or notification whose `params._meta` carries the protocol-version key (the envelope claim):
 *   2026-07-28 (the entry serves it, or refuses a malformed claim or disagreeing headers);
 * - one without the claim: 2026-07-28 when the `MCP-Protocol-Version` header names a 2026-era revision (the entry
 *   refuses it: the envelope is missing), else 2025;
 * - `initialize`, posted responses, batches and anything unusual: the SDK's `isLegacyRequest`.
 *
 * era.test.ts checks that this agrees with `isLegacyRequest` on every shape, valid or not.
 */
import { isLegacyRequest, PROTOCOL_VERSION_META_KEY } from "@modelcontextprotocol/server";

/** The first protocol revision of the 2026 era (SDK: FIRST_MODERN_PROTOCOL_VERSION); later revisions sort after it. */
const FIRST_MODERN_REVISION = "2026-07-28";

/** The SDK's notion (envelope.ts, inboundClassification.ts): a non-null, non-array object. */
function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** `true`: 2025 leg; `false`: 2026-07-28 entry; `undefined`: let the SDK decide. */
export function fastEra(body: unknown, protocolVersionHeader: string | undefined): boolean | undefined {
  if (!isPlainObject(body) || body.jsonrpc !== "2.0" || "result" in body || "error" in body) return undefined;
  const { method, id } = body;
  if (typeof method !== "string" || method === "initialize") return undefined;
  if ("id" in body && typeof id !== "string" && typeof id !== "number") return undefined;
  const params = body.params;
  if (params !== undefined && !isPlainObject(params)) return undefined;
  const meta = params?._meta;
  if (meta !== undefined && !isPlainObject(meta)) return undefined;
  if (meta !== undefined && PROTOCOL_VERSION_META_KEY in meta) return false;
  const header = protocolVersionHeader?.replace(/^[\t ]+|[\t ]+$/g, "");
  return !(header !== undefined && header >= FIRST_MODERN_REVISION);
}

/** Whether the SDK's `createMcpHandler` would serve this request on its 2025 leg (see the module comment). */
export async function isLegacyEra(request: Request, body: unknown): Promise<boolean> {
  return fastEra(body, request.headers.get("mcp-protocol-version") ?? undefined) ?? (await isLegacyRequest(request, body));
}
