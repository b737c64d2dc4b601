/**
 * Threat: shape checks that a trailing newline slips past (issue 8 finding 10; RFC 9700 §4.8: the
 * PKCE code challenge; OWASP input validation). In .NET, `$` also matches before a final `\n`, so a
 * policy's `^[A-Za-z0-9_-]{43}$` accepted 43 valid characters followed by a newline: a
 * code_challenge that is not a base64url SHA-256 was stored with the request, and malformed codes,
 * refresh tokens and callback states went on to cache lookups as if well formed. Every pattern is
 * now anchored with `\z` (and the `regex-anchors` policy rule keeps it so); a value with a trailing
 * newline is refused exactly like any other malformed value.
 */
import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { call, json, pkce, useAttackStack, type AttackEnv } from "../../test-support/attack-client.js";

let env: AttackEnv;
useAttackStack((started) => (env = started));

const b64 = (bytes: number) => randomBytes(bytes).toString("base64url");

describe("a trailing newline after a well-formed value", () => {
  it("is refused as a code_challenge at /authorize (no consent page)", async () => {
    const clientId = await env.register();
    const ok = await call("GET", env.authorizeUrl({ clientId, challenge: pkce().challenge }));
    expect(ok.status).toBe(200);
    for (const suffix of ["\n", "\r\n"]) {
      const reply = await call("GET", env.authorizeUrl({ clientId, challenge: `${pkce().challenge}${suffix}` }));
      expect(reply.status, JSON.stringify(suffix)).not.toBe(200);
      expect(reply.status, JSON.stringify(suffix)).toBeLessThan(500);
      expect(reply.text, JSON.stringify(suffix)).not.toContain('name="csrf"');
    }
  });

  it("makes a code at /token as malformed as any other malformed code", async () => {
    const clientId = await env.register();
    const fields = (code: string) => ({ grant_type: "authorization_code", code, client_id: clientId, redirect_uri: "http://127.0.0.1:33418/callback", code_verifier: b64(32) });
    const malformed = json(await env.token(fields("!")));
    const newline = json(await env.token(fields(`${b64(32)}\n`)));
    expect(malformed.error).toBe("invalid_grant");
    expect(newline).toEqual(malformed);
  });

  it("makes a real refresh token as malformed as any other malformed refresh token, and leaves the grant alone", async () => {
    const signed = await env.signIn();
    const malformed = json(await env.refresh(signed.clientId, "!.!"));
    const newline = json(await env.refresh(signed.clientId, `${signed.tokens.refresh_token}\n`));
    expect(malformed.error).toBe("invalid_grant");
    expect(newline).toEqual(malformed);
    const honest = await env.refresh(signed.clientId, signed.tokens.refresh_token);
    expect(honest.status, honest.text).toBe(200);
  });

  it("makes an Entra callback state as malformed as any other malformed state", async () => {
    const malformed = await call("GET", `${env.base}/oauth-callback?code=x&state=!`);
    const newline = await call("GET", `${env.base}/oauth-callback?code=x&state=${encodeURIComponent(`${b64(32)}\n`)}`);
    expect(malformed.status).toBe(400);
    expect(newline.status).toBe(400);
    expect(newline.text).toBe(malformed.text);
  });
});
