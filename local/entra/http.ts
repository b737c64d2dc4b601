/** Entra-shaped HTTP helpers of the stand-in: AADSTS error bodies, form bodies with a size limit, constant-time compares. */
import http from "node:http";
import { randomUUID, timingSafeEqual } from "node:crypto";

export function aadError(res: http.ServerResponse, status: number, error: string, code: number, description: string): void {
  res.writeHead(status, { "Content-Type": "application/json; charset=utf-8", "Cache-Control": "no-store" });
  res.end(
    JSON.stringify({
      error,
      error_description: `AADSTS${code}: ${description}`,
      error_codes: [code],
      timestamp: new Date().toISOString(),
      trace_id: randomUUID(),
      correlation_id: randomUUID(),
    }),
  );
}

export function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export const PKCE_VERIFIER = /^[A-Za-z0-9\-._~]{43,128}$/;

export async function readForm(req: http.IncomingMessage, limit = 64 * 1024): Promise<URLSearchParams | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > limit) return undefined;
    chunks.push(c as Buffer);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString("utf8"));
}
