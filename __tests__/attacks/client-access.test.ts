/**
 * Ending a client's access (README "MCP clients": per-client control). A platform team signs
 * clients in, then changes the client policy and deploys again: a metadata document removed from
 * the allow list, a static client removed, registration turned off, or the registration key
 * rotated. The same gateway (same keys, same cache) must then refuse those clients at /authorize
 * (an error page) and at /token (invalid_client for their refresh tokens, and their grant
 * families revoked, so re-allowing a client does not bring its old tokens back), while the clients
 * still allowed keep working. Threats: T-client-allow-list, T-registration-off, T-static-client.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LocalValues } from "../../local/gateway/config.js";
import { CIMD_ORIGIN, call, json, pkce, startAttackStack, type AttackEnv, type SignedIn } from "../../test-support/attack-client.js";
import { platformWithClients } from "../../test-support/local-oauth-client.js";

const KEPT_DOC = `${CIMD_ORIGIN}/kept.json`;
const REMOVED_DOC = `${CIMD_ORIGIN}/removed.json`;
const REDIRECT = "http://127.0.0.1:33418/callback";
const EVERYONE = {
  registration: true,
  metadataDocuments: { allow: [KEPT_DOC, REMOVED_DOC] },
  static: [
    { client_id: "kept-cli", client_name: "Kept CLI", redirect_uris: ["http://127.0.0.1/callback"] },
    { client_id: "removed-cli", client_name: "Removed CLI", redirect_uris: ["http://127.0.0.1/callback"] },
  ],
};
const FEWER = { registration: false, metadataDocuments: { allow: [KEPT_DOC] }, static: [EVERYONE.static[0]!] };

function serveDocuments(env: AttackEnv): void {
  for (const id of [KEPT_DOC, REMOVED_DOC]) env.serveDocument(new URL(id).pathname, { client_id: id, client_name: "Document client", redirect_uris: [REDIRECT], token_endpoint_auth_method: "none" });
}

/** Starts the stack with `clients`, keeping `before`'s keys and cache (a redeploy of the same gateway). */
async function redeploy(before: AttackEnv, clients: Record<string, unknown>, values: LocalValues = before.stack.values): Promise<AttackEnv> {
  await before.close();
  const env = await startAttackStack({ platform: platformWithClients(clients), previousValues: values, cache: before.cache });
  serveDocuments(env);
  return env;
}

let env: AttackEnv;
const signedIn: Record<string, SignedIn> = {};
beforeAll(async () => {
  env = await startAttackStack({ platform: platformWithClients(EVERYONE) });
  serveDocuments(env);
  signedIn.dcr = await env.signIn({ redirectUri: REDIRECT });
  signedIn.keptDoc = await env.signIn({ clientId: KEPT_DOC, redirectUri: REDIRECT });
  signedIn.removedDoc = await env.signIn({ clientId: REMOVED_DOC, redirectUri: REDIRECT });
  signedIn.keptCli = await env.signIn({ clientId: "kept-cli", redirectUri: "http://127.0.0.1:40100/callback" });
  signedIn.removedCli = await env.signIn({ clientId: "removed-cli", redirectUri: "http://127.0.0.1:40101/callback" });
}, 240_000);
afterAll(async () => {
  await env?.close();
});

const refreshOf = async (who: keyof typeof signedIn) => env.refresh(signedIn[who]!.clientId, signedIn[who]!.tokens.refresh_token);

describe("after the policy shrinks (document removed, static client removed, registration off)", () => {
  const next: Record<string, string> = {};
  beforeAll(async () => {
    env = await redeploy(env, FEWER);
  }, 180_000);

  it("keeps the clients still allowed working: their refresh tokens rotate", async () => {
    for (const who of ["keptDoc", "keptCli"] as const) {
      const reply = await refreshOf(who);
      expect(reply.status, who).toBe(200);
      next[who] = json(reply).refresh_token as string;
    }
  });

  it.each(["removedDoc", "removedCli", "dcr"] as const)("answers the %s client's refresh with invalid_client", async (who) => {
    const reply = await refreshOf(who);
    expect(reply.status).toBe(400);
    expect(json(reply).error).toBe("invalid_client");
  });

  it("refuses them a new sign-in with an error page, never a redirect", async () => {
    for (const [clientId, redirectUri] of [[REMOVED_DOC, REDIRECT], ["removed-cli", "http://127.0.0.1/callback"], [signedIn.dcr!.clientId, REDIRECT]] as const) {
      const reply = await call("GET", env.authorizeUrl({ clientId, challenge: pkce().challenge, redirectUri }));
      expect(reply.status, clientId).toBe(400);
      expect(reply.headers.get("location")).toBeNull();
      expect(reply.text).toContain("unauthorized_client");
    }
  });

  describe("and grows back", () => {
    beforeAll(async () => {
      env = await redeploy(env, EVERYONE);
    }, 180_000);

    it("does not bring the refused clients' old grants back: their families were revoked", async () => {
      for (const who of ["removedDoc", "removedCli", "dcr"] as const) {
        const reply = await refreshOf(who);
        expect(reply.status, who).toBe(400);
        expect(json(reply).error, who).toBe("invalid_grant");
      }
    });

    it("keeps the clients that stayed allowed on their rotated tokens", async () => {
      expect((await env.refresh(KEPT_DOC, next.keptDoc!)).status).toBe(200);
      expect((await env.refresh("kept-cli", next.keptCli!)).status).toBe(200);
    });

    it("ends every self-registered client's access when the registration key rotates, and only theirs", async () => {
      const dcr = await env.signIn({ redirectUri: REDIRECT });
      const doc = await env.signIn({ clientId: KEPT_DOC, redirectUri: REDIRECT });
      // What a new OAUTH_KEY_VERSION does in Azure: Terraform replaces the key.
      const values = env.stack.values;
      const references = Object.fromEntries(Object.entries(values.references ?? {}).filter(([k]) => !/^random_bytes\.oauth_hmac_key/.test(k)));
      expect(Object.keys(references).length).toBe(Object.keys(values.references ?? {}).length - 1);
      env = await redeploy(env, EVERYONE, { ...values, references });
      const refused = await env.refresh(dcr.clientId, dcr.tokens.refresh_token);
      expect(json(refused).error).toBe("invalid_client");
      expect(json(refused).error_description).toMatch(/registration key has been rotated; register the client again/);
      const page = await call("GET", env.authorizeUrl({ clientId: dcr.clientId, challenge: pkce().challenge, redirectUri: REDIRECT }));
      expect(page.status).toBe(400);
      expect(page.text).toContain("invalid_client");
      expect((await env.refresh(KEPT_DOC, doc.tokens.refresh_token)).status).toBe(200);
      const again = await env.signIn({ redirectUri: REDIRECT });
      expect((await env.mcp(again.tokens.access_token)).status).toBe(200);
    });
  });
});
