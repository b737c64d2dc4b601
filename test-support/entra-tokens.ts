/**
 * A local Entra ID stand-in for tests: RSA signing keys generated in memory, their public JWKS served from a
 * localhost HTTP server, and a minter of v2-shaped access tokens (iss/aud/azp/scp/oid/tid/name/exp/nbf) that can
 * also produce every kind of bad token (expired, foreign key, alg none, ...). No network beyond 127.0.0.1.
 *
 *   const entra = await startEntraStandIn();
 *   const config = loadConfig({ ...entra.env });   // ENTRA_TENANT_ID / ENTRA_CLIENT_ID / ENTRA_JWKS_URI
 *   const token = await entra.mint();              // valid
 *   const expired = await entra.mint({ claims: { exp: entra.now() - 3600 } });
 *   await entra.close();
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { randomUUID } from "node:crypto";
import { exportJWK, generateKeyPair, SignJWT, UnsecuredJWT, type JWK, type JWTPayload, type CryptoKey } from "jose";

export interface SigningKey {
  readonly kid: string;
  readonly privateKey: CryptoKey;
  readonly publicJwk: JWK;
}

export interface MintOptions {
  /** Claims to set (overriding the defaults) or, with `undefined`, to remove. */
  readonly claims?: Readonly<Record<string, unknown>>;
  /** Key to sign with. @default the current signing key (published in the JWKS) */
  readonly key?: SigningKey;
  /** `"none"` produces an unsigned token. @default "RS256" */
  readonly alg?: "RS256" | "none";
  /** Header `kid`. @default the signing key's kid */
  readonly kid?: string;
}

export interface EntraStandIn {
  readonly tenantId: string;
  readonly clientId: string;
  readonly issuer: string;
  readonly jwksUri: string;
  /** Environment for the MCP server pointing at this stand-in. */
  readonly env: Readonly<Record<string, string>>;
  /** Number of JWKS requests served so far. */
  readonly jwksFetches: number;
  /** Keys currently published. */
  readonly publishedKids: readonly string[];
  /** Seconds since the epoch. */
  now(): number;
  /** Mints an access token; defaults make it valid for the configured app. */
  mint(options?: MintOptions): Promise<string>;
  /** A fresh key pair that is NOT published (for "wrong key" tests, or to publish later). */
  createKey(): Promise<SigningKey>;
  /** Publishes a new key and makes it the signing key (keeps the old one published unless `retireOld`). */
  rotate(options?: { retireOld?: boolean }): Promise<SigningKey>;
  /** Makes the JWKS endpoint fail (HTTP 503) until called with false. */
  setUnavailable(unavailable: boolean): void;
  close(): Promise<void>;
}

export interface EntraStandInOptions {
  /** @default a random GUID */
  readonly tenantId?: string;
  /** @default a random GUID */
  readonly clientId?: string;
  /** Issuer the tokens carry. @default the real Entra v2 issuer `https://login.microsoftonline.com/<tenant>/v2.0` */
  readonly issuer?: string;
  /** Default scope(s) in `scp`. @default "user_impersonate" */
  readonly scope?: string;
}

async function newKey(): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair("RS256", { extractable: true });
  const kid = randomUUID();
  const publicJwk = { ...(await exportJWK(publicKey)), kid, use: "sig", alg: "RS256" };
  return { kid, privateKey, publicJwk };
}

/** Starts the stand-in on 127.0.0.1 (random port). */
export async function startEntraStandIn(options: EntraStandInOptions = {}): Promise<EntraStandIn> {
  const tenantId = options.tenantId ?? randomUUID();
  const clientId = options.clientId ?? randomUUID();
  const issuer = options.issuer ?? `https://login.microsoftonline.com/${tenantId}/v2.0`;
  const scope = options.scope ?? "user_impersonate";
  let published: SigningKey[] = [await newKey()];
  let current = published[0]!;
  let fetches = 0;
  let unavailable = false;

  const server: Server = createServer((req, res) => {
    if (req.method === "GET" && req.url === `/${tenantId}/discovery/v2.0/keys`) {
      fetches++;
      if (unavailable) {
        res.writeHead(503).end();
        return;
      }
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ keys: published.map((k) => k.publicJwk) }));
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const jwksUri = `http://127.0.0.1:${port}/${tenantId}/discovery/v2.0/keys`;
  const now = () => Math.floor(Date.now() / 1000);

  return {
    tenantId,
    clientId,
    issuer,
    jwksUri,
    env: { ENTRA_TENANT_ID: tenantId, ENTRA_CLIENT_ID: clientId, ENTRA_JWKS_URI: jwksUri, ENTRA_ISSUER: issuer, MCP_REQUIRED_SCOPE: "user_impersonate" },
    get jwksFetches() {
      return fetches;
    },
    get publishedKids() {
      return published.map((k) => k.kid);
    },
    now,
    async mint(mint: MintOptions = {}) {
      const t = now();
      const claims: Record<string, unknown> = {
        iss: issuer,
        aud: clientId,
        azp: clientId,
        azpacr: "2",
        scp: scope,
        oid: "00000000-0000-4000-8000-00000000a11c",
        sub: "local-test-subject",
        tid: tenantId,
        name: "Alice Example",
        preferred_username: "alice@example.test",
        ver: "2.0",
        iat: t - 5,
        nbf: t - 5,
        exp: t + 3600,
        uti: randomUUID(),
      };
      for (const [name, value] of Object.entries(mint.claims ?? {})) {
        if (value === undefined) delete claims[name];
        else claims[name] = value;
      }
      if (mint.alg === "none") {
        return new UnsecuredJWT(claims as JWTPayload).encode();
      }
      const key = mint.key ?? current;
      return new SignJWT(claims as JWTPayload).setProtectedHeader({ alg: "RS256", typ: "JWT", kid: mint.kid ?? key.kid }).sign(key.privateKey);
    },
    createKey: newKey,
    async rotate(rotation = {}) {
      const key = await newKey();
      published = rotation.retireOld ? [key] : [...published, key];
      current = key;
      return key;
    },
    setUnavailable(value: boolean) {
      unavailable = value;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
