/**
 * Threat: T-client-secret-rotation. A secret that outlives the key rotation meant to end it: the
 * platform team sets a new OAUTH_KEY_VERSION (after a leak, or on schedule) and deploys again.
 * Terraform then replaces the HMAC key (so every registration's client_id and derived secret stop
 * verifying) and every confidential static client's random_password (its keepers hold the version).
 * Here the same gateway (same cache) restarts with those values replaced, as after that deployment:
 * the old secrets are refused everywhere, the new static secret works.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LocalValues } from "../../local/gateway/config.js";
import { ATTACK_REDIRECT, call, clientAuthentication, json, startAttackStack, type AttackEnv, type ClientSecret, type SignedIn } from "../../test-support/attack-client.js";
import { platformWithClients } from "../../test-support/local-oauth-client.js";

const PORTAL_REDIRECT = "https://portal.contoso.example/oauth/callback";
const PLATFORM = platformWithClients({ static: [{ client_id: "portal", client_name: "Portal", redirect_uris: [PORTAL_REDIRECT], application_type: "web", confidential: true }] });

let env: AttackEnv;
let dcr: { flow: SignedIn; secret: ClientSecret };
let portal: { flow: SignedIn; secret: ClientSecret };

beforeAll(async () => {
  env = await startAttackStack({ platform: PLATFORM });
  const registration = json(await call("POST", `${env.base}/register`, { body: JSON.stringify({ redirect_uris: [ATTACK_REDIRECT], token_endpoint_auth_method: "client_secret_post" }), headers: { "Content-Type": "application/json" } }));
  const dcrSecret: ClientSecret = { method: "client_secret_post", secret: registration.client_secret as string };
  dcr = { flow: await env.signIn({ clientId: registration.client_id as string, secret: dcrSecret }), secret: dcrSecret };
  const portalSecret: ClientSecret = { method: "client_secret_basic", secret: env.stack.values.clientSecrets!.portal! };
  portal = { flow: await env.signIn({ clientId: "portal", redirectUri: PORTAL_REDIRECT, secret: portalSecret }), secret: portalSecret };
  // What a new OAUTH_KEY_VERSION does in Azure: Terraform replaces the HMAC key and the static clients' passwords.
  const values = env.stack.values;
  const rotated: LocalValues = { ...values, references: Object.fromEntries(Object.entries(values.references ?? {}).filter(([k]) => !/^random_bytes\.oauth_hmac_key/.test(k))), clientSecrets: {} };
  await env.close();
  env = await startAttackStack({ platform: PLATFORM, previousValues: rotated, cache: env.cache });
}, 240_000);
afterAll(async () => {
  await env?.close();
});

describe("after OAUTH_KEY_VERSION rotated the keys", () => {
  it("refuses a registration's old client_id and secret at /token and /revoke", async () => {
    const refresh = await env.refresh(dcr.flow.clientId, dcr.flow.tokens.refresh_token, dcr.secret);
    expect(refresh.status).toBe(401);
    expect(json(refresh).error).toBe("invalid_client");
    expect(json(refresh).error_description).toContain("its registration key has been rotated");
    const auth = clientAuthentication(dcr.flow.clientId, dcr.secret);
    expect((await env.revoke({ token: dcr.flow.tokens.refresh_token, ...auth.fields }, auth.headers)).status).toBe(401);
  });

  it("refuses the static client's old secret, and gives it a new one that works", async () => {
    const renewed = env.stack.values.clientSecrets!.portal!;
    expect(renewed).toMatch(/^[A-Za-z0-9]{48}$/);
    expect(renewed).not.toBe(portal.secret.secret);
    const old = await env.refresh("portal", portal.flow.tokens.refresh_token, portal.secret);
    expect(old.status).toBe(401);
    expect(old.headers.get("www-authenticate")).toMatch(/^Basic /);
    const flow = await env.signIn({ clientId: "portal", redirectUri: PORTAL_REDIRECT, secret: { method: "client_secret_basic", secret: renewed } });
    expect((await env.mcp(flow.tokens.access_token)).status).toBe(200);
  });

  it("issues a new registration a secret that works, and that differs from the old derivation", async () => {
    const registration = json(await call("POST", `${env.base}/register`, { body: JSON.stringify({ redirect_uris: [ATTACK_REDIRECT], token_endpoint_auth_method: "client_secret_post" }), headers: { "Content-Type": "application/json" } }));
    expect(registration.client_secret).not.toBe(dcr.secret.secret);
    const flow = await env.signIn({ clientId: registration.client_id as string, secret: { method: "client_secret_post", secret: registration.client_secret as string } });
    expect((await env.mcp(flow.tokens.access_token)).status).toBe(200);
  });
});
