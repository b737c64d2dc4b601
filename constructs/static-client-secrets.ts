/**
 * The secrets of the platform's confidential static clients (`clients.static[]` entries with
 * `"confidential": true`): one Terraform `random_password` per client (48 letters and digits,
 * about 285 bits), renewed when the key version changes (its keepers), held in a secret named value
 * `oauth-client-secret-<client_id>` and handed to the administrator only through `secrets`, which
 * the platform stack writes as the sensitive output `static_client_secrets`. At synth every secret
 * is a Terraform reference (`${random_password.<id>.result}`), never a value, so no snapshot,
 * output or log of the synthesized configuration can hold one.
 *
 * The policies read a secret in one place: the generated fragment `oauth-static-secrets`, which
 * gives oauth-client-authenticate the SHA-256 of the secret of the static client a token or
 * revocation request names (the secret itself never lands in a context variable).
 */
import { Construct } from "constructs";
import { csharpString } from "./client-policy.js";
import type { ApimGateway } from "./apim-gateway.js";
import { Password } from "./providers.js";
import { staticClientAuthMethod, type McpStaticClient } from "../vocabulary/oauth-clients.js";
import { STATIC_SECRETS_FRAGMENT } from "../vocabulary/oauth-api.js";

/** The fragment id of the generated fragment that reads the static clients' secrets. */
export const CLIENT_SECRETS_FRAGMENT = STATIC_SECRETS_FRAGMENT.name;

export interface StaticClientSecretsProps {
  /** The gateway of the authorization server the clients sign in to: it gets the generated fragment. */
  readonly gateway: ApimGateway;
  /** Adds a secret named value of the authorization server (McpOAuth's, so that its policies depend on it). */
  readonly addNamedValue: (name: string, value: string) => unknown;
  /** The platform's static clients; only the confidential ones get a secret. */
  readonly clients: readonly McpStaticClient[];
  /** The key version (OAUTH_KEY_VERSION): a new one renews every secret. */
  readonly keyVersion: string;
}

/** The named value holding a static client's secret (a client_id's '~' is not allowed in named value names). */
export function clientSecretNamedValue(clientId: string): string {
  return `oauth-client-secret-${clientId.replace(/~/g, "_")}`;
}

export class StaticClientSecrets extends Construct {
  /**
   * Client id to its secret, as a Terraform reference: the value of the sensitive output
   * `static_client_secrets`, and nothing else may be given it.
   */
  public readonly secrets: Readonly<Record<string, string>>;
  /** Client id to the name of the secret named value that holds its secret. */
  public readonly namedValues: Readonly<Record<string, string>>;

  constructor(scope: Construct, id: string, props: StaticClientSecretsProps) {
    super(scope, id);
    const confidential = props.clients.filter((c) => staticClientAuthMethod(c) !== "none");
    const secrets: Record<string, string> = {};
    const namedValues: Record<string, string> = {};
    const byName = new Map<string, string>();
    for (const client of confidential) {
      const name = clientSecretNamedValue(client.client_id);
      const other = byName.get(name);
      if (other !== undefined) {
        throw new Error(`StaticClientSecrets: the confidential static clients ${JSON.stringify(other)} and ${JSON.stringify(client.client_id)} would share the secret named value ${name} ('~' is written '_' in named value names); rename one`);
      }
      byName.set(name, client.client_id);
      const password = new Password(this, `secret_${client.client_id}`, {
        length: 48,
        special: false,
        keepers: { version: props.keyVersion, purpose: "static-client-secret", client_id: client.client_id },
      });
      props.addNamedValue(name, password.result);
      secrets[client.client_id] = password.result;
      namedValues[client.client_id] = name;
    }
    this.secrets = secrets;
    this.namedValues = namedValues;
    props.gateway.setGeneratedFragment("fragment_oauth_static_secrets", { ...STATIC_SECRETS_FRAGMENT, xml: clientSecretsFragment(namedValues) });
  }
}

/** The generated fragment `oauth-static-secrets` for these clients (client id to its secret named value). */
export function clientSecretsFragment(namedValues: Readonly<Record<string, string>>): string {
  const entries = Object.entries(namedValues);
  const reads = entries.length === 0 ? "none" : ["client-id", ...entries.map(([, name]) => `{{${name}}}`)].join(", ");
  // One line, as the policy shaper writes rawxml attribute values: the secret named value is read inline, only for the client named.
  const value =
    entries.length === 0
      ? `@("")`
      : [
          `@{ var id = context.Variables.GetValueOrDefault<string>("client-id", ""); var secret = "";`,
          ...entries.map(([clientId, name]) => `if (id == ${csharpString(clientId)}) { secret = "{{${name}}}"; }`),
          `return secret.Length == 0 ? "" : Convert.ToBase64String(System.Security.Cryptography.SHA256.Create().ComputeHash(Encoding.UTF8.GetBytes(secret))); }`,
        ].join(" ");
  return [
    `<!-- Generated by StaticClientSecrets (constructs/static-client-secrets.ts) from the platform's confidential static clients: the SHA-256 (base64) of the secret of the static client client-id names, read inline from its secret named value, for oauth-client-authenticate to compare with in constant time; empty for every other client (and always, when no static client is confidential). The secret itself is never set into a variable, traced or logged.`,
    `Threats: T-client-secret-leak, T-confidential-impersonation.`,
    `Reads: ${reads}.`,
    `Sets: client-static-secret-digest.`,
    `Answers: nothing. -->`,
    `<fragment>`,
    `\t<set-variable name="client-static-secret-digest" value="${value}" />`,
    `</fragment>`,
    ``,
  ].join("\n");
}
