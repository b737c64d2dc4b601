/**
 * The Entra stand-in's signing keys: RSA keys generated in memory, the ones published in its JWKS,
 * the current signing key, rotation (optionally retiring the old keys from the JWKS), keys that are
 * never published (for "wrong key" tests), and signing of any claims, unsigned (`alg: none`) too.
 */
import { randomUUID } from "node:crypto";
import { exportJWK, generateKeyPair, SignJWT, UnsecuredJWT, type CryptoKey, type JWK, type JWTPayload } from "jose";

export interface SigningKey {
  readonly kid: string;
  readonly privateKey: CryptoKey;
  readonly publicJwk: JWK;
}

export interface SignOptions {
  /** Key to sign with. @default the current signing key (published in the JWKS) */
  readonly key?: SigningKey;
  /** `"none"` produces an unsigned token. @default "RS256" */
  readonly alg?: "RS256" | "none";
  /** Header `kid`. @default the signing key's kid */
  readonly kid?: string;
}

/** A fresh RS256 key pair that is not published anywhere. */
export async function newSigningKey(): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair("RS256", { extractable: true });
  const kid = randomUUID();
  const publicJwk = { ...(await exportJWK(publicKey)), kid, use: "sig", alg: "RS256" };
  return { kid, privateKey, publicJwk };
}

export class SigningKeys {
  private published: SigningKey[];
  private signing: SigningKey;
  /** While true the JWKS endpoint answers 503. */
  unavailable = false;
  /** JWKS requests served so far (answered or not). */
  fetches = 0;

  private constructor(first: SigningKey) {
    this.published = [first];
    this.signing = first;
  }

  static async create(): Promise<SigningKeys> {
    return new SigningKeys(await newSigningKey());
  }

  /** The kids currently in the JWKS. */
  get publishedKids(): string[] {
    return this.published.map((k) => k.kid);
  }

  /** The JWKS document. */
  jwks(): { keys: JWK[] } {
    return { keys: this.published.map((k) => k.publicJwk) };
  }

  /** Publishes a new key and signs with it from now on; the old keys stay published unless `retireOld`. */
  async rotate(options: { retireOld?: boolean } = {}): Promise<SigningKey> {
    const key = await newSigningKey();
    this.published = options.retireOld ? [key] : [...this.published, key];
    this.signing = key;
    return key;
  }

  /** Signs a token with exactly these claims. */
  async sign(claims: Readonly<Record<string, unknown>>, options: SignOptions = {}): Promise<string> {
    if (options.alg === "none") return new UnsecuredJWT(claims as JWTPayload).encode();
    const key = options.key ?? this.signing;
    return new SignJWT(claims as JWTPayload).setProtectedHeader({ alg: "RS256", typ: "JWT", kid: options.kid ?? key.kid }).sign(key.privateKey);
  }
}
