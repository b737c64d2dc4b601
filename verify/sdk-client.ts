/**
 * The MCP TypeScript SDK's own client code, driven as far as it goes without a user: the
 * streamable HTTP transport's first request (the 401 challenge) and the SDK's OAuth orchestration
 * up to the point where it would open a browser (discovery, registration, authorization URL).
 */
import {
  Client,
  StreamableHTTPClientTransport,
  type FetchLike,
  type OAuthClientInformationMixed,
  type OAuthClientMetadata,
  type OAuthClientProvider,
  type OAuthTokens,
} from "@modelcontextprotocol/client";

export const CLIENT_NAME = "mcp-post-deploy-check";
const CLIENT_INFO = { name: CLIENT_NAME, version: "1.0.0" };

/**
 * An OAuthClientProvider that keeps everything in memory and, instead of opening a browser,
 * records the authorization URL the SDK built.
 */
export class RecordingOAuthProvider implements OAuthClientProvider {
  client?: OAuthClientInformationMixed;
  authorizationUrl?: URL;
  private verifier = "";

  /**
   * @param preRegistered a pre-registered client's id and the issuer it belongs to (the SDK reuses a stored client only
   * for the authorization server that issued it, SEP-2352): the SDK then skips registration. @default none: the SDK registers
   */
  constructor(
    readonly redirect: string,
    preRegistered?: { clientId: string; issuer: string },
  ) {
    if (preRegistered !== undefined) this.client = { client_id: preRegistered.clientId, issuer: preRegistered.issuer };
  }

  get redirectUrl(): string {
    return this.redirect;
  }

  get clientMetadata(): OAuthClientMetadata {
    return { client_name: CLIENT_NAME, redirect_uris: [this.redirect], grant_types: ["authorization_code", "refresh_token"], response_types: ["code"], token_endpoint_auth_method: "none" };
  }

  clientInformation(): OAuthClientInformationMixed | undefined {
    return this.client;
  }

  saveClientInformation(info: OAuthClientInformationMixed): void {
    this.client = info;
  }

  tokens(): OAuthTokens | undefined {
    return undefined;
  }

  saveTokens(): void {
    // Never reached: the check stops before any token exists.
  }

  redirectToAuthorization(url: URL): void {
    this.authorizationUrl = url;
  }

  saveCodeVerifier(v: string): void {
    this.verifier = v;
  }

  codeVerifier(): string {
    return this.verifier;
  }
}

export interface ConnectAttempt {
  /** The answer to the transport's first request (the initialize POST), if one came. */
  readonly firstResponse?: Response;
  /** What `connect` threw; undefined when it succeeded. */
  readonly error?: unknown;
}

/**
 * Connects an SDK client over StreamableHTTPClientTransport, with an optional bearer token and an
 * optional auth provider, and reports the first answer and the connect outcome.
 */
export async function connectWithSdk(
  mcpUrl: string,
  fetchFn: FetchLike,
  options: { bearer?: string; authProvider?: OAuthClientProvider } = {},
): Promise<ConnectAttempt> {
  let firstResponse: Response | undefined;
  const capture: FetchLike = async (url, init) => {
    const res = await fetchFn(url, init);
    firstResponse ??= res;
    return res;
  };
  const transport = new StreamableHTTPClientTransport(new URL(mcpUrl), {
    fetch: capture,
    authProvider: options.authProvider,
    requestInit: options.bearer !== undefined ? { headers: { Authorization: `Bearer ${options.bearer}` } } : undefined,
  });
  const client = new Client(CLIENT_INFO);
  let error: unknown;
  try {
    await client.connect(transport);
  } catch (e) {
    error = e ?? new Error("connect failed");
  } finally {
    await client.close().catch(() => undefined);
  }
  return { firstResponse, error };
}
