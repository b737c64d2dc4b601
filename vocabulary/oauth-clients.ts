/**
 * Which MCP clients may sign in, as rules: the shape of the `clients` block of the platform
 * configuration file (dynamic registration on or off, the client ID metadata documents allowed,
 * static clients with fixed redirect URIs), the rules for redirect URIs and metadata document URLs,
 * and the 2,048-byte query budget of an authorization request. The configuration checks a file
 * with them before any construct exists; McpOAuth checks its `clients` prop again (and
 * constructs/client-policy.ts writes the policy into the fragment `oauth-client-policy`).
 *
 * The rules are the policies' own (fragments/oauth-redirect-uris-check.xml,
 * fragments/oauth-client-id.xml, fragments/oauth-query-budget.xml), restated here so that a
 * configuration the gateway would refuse at run time fails synth instead, naming the key path and
 * the value. `__tests__/vocabulary/oauth-clients.test.ts` checks both agree on the same inputs.
 * Imports nothing of the app.
 */
import type { KeyPathProblem } from "./key-path.js";

/**
 * A pre-registered client (RFC 6749 §2: registered by the administrator, not by itself): public
 * (PKCE only), or confidential with a secret the stack generates (`confidential: true`). Later
 * keys of the same entry (issue 20: `grants`, `roles` for client-credentials agents) extend it
 * without changing these.
 */
export interface McpStaticClient {
  /** The client_id it sends: 1-64 letters, digits, '.', '_', '~' or '-' (`STATIC_CLIENT_ID`). */
  readonly client_id: string;
  /** Shown on the consent page: 1-100 characters without control or formatting characters. */
  readonly client_name: string;
  /** 1-10 redirect URIs, compared exactly; a loopback http URI may vary in port (RFC 8252 §7.3). */
  readonly redirect_uris: readonly string[];
  /**
   * `native`: https, loopback http on any port and private-use schemes (`com.example.app:/cb`,
   * `cursor://...`); `web`: https only.
   * @default "native"
   */
  readonly application_type?: "native" | "web";
  /**
   * A confidential client (RFC 6749 §2.1): it authenticates at /token and /revoke with a secret the
   * stack generates (Terraform `random_password`, renewed when OAUTH_KEY_VERSION changes), held in a
   * secret named value and handed to the administrator only through the sensitive output
   * `static_client_secrets` (`npm run local`: `clientSecrets` in the local values file). PKCE stays
   * required. What Microsoft 365 Copilot's, Copilot Studio's and Foundry's static OAuth settings need.
   * @default false (a public client: client_id and PKCE, no secret)
   */
  readonly confidential?: boolean;
  /**
   * How a confidential client sends its secret: in an HTTP Basic Authorization header
   * (`client_secret_basic`, RFC 6749 §2.3.1) or as `client_secret` in the form body
   * (`client_secret_post`). Only with `confidential: true`; the other method is refused.
   * @default "client_secret_basic" (RFC 7591's default method)
   */
  readonly token_endpoint_auth_method?: "client_secret_basic" | "client_secret_post";
}

/** The token endpoint authentication method of a static client: none, or its confidential method. */
export function staticClientAuthMethod(client: McpStaticClient): "none" | "client_secret_basic" | "client_secret_post" {
  return client.confidential === true ? (client.token_endpoint_auth_method ?? "client_secret_basic") : "none";
}

/** The `clients` block of the platform configuration file. */
export interface McpClientPolicy {
  /**
   * Dynamic client registration (RFC 7591, `POST /register`). `false` removes
   * `registration_endpoint` from the metadata, refuses `POST /register` (403) and refuses clients
   * that registered themselves earlier, at /authorize and at /token.
   * @default true
   */
  readonly registration?: boolean;
  readonly metadataDocuments?: {
    /**
     * Client ID metadata documents allowed to sign in: exact URLs, or prefixes ending in `*` (the
     * part before `*` must name a host and end in `/`, e.g. `https://claude.ai/*`). `[]` allows none
     * (the metadata then stops advertising `client_id_metadata_document_supported`).
     * @default any https document
     */
    readonly allow?: readonly string[];
  };
  /**
   * Pre-registered clients (public, or confidential with a generated secret), usable with registration off.
   * @default none
   */
  readonly static?: readonly McpStaticClient[];
}

/** A static client's client_id: 1-64 letters, digits, '.', '_', '~' or '-' (sent as is, e.g. Cursor's `CLIENT_ID`). */
export const STATIC_CLIENT_ID = /^[A-Za-z0-9._~-]{1,64}$/;

/** How the redirect URI checks classify a URI. */
export type RedirectUriKind = "https" | "loopback" | "http" | "private-use";

/** The kinds of redirect URI a client of this application_type may use (`undefined`: none sent). */
export function redirectUriKinds(applicationType: "native" | "web" | undefined): readonly RedirectUriKind[] {
  if (applicationType === "native") return ["https", "loopback", "private-use"];
  if (applicationType === "web") return ["https"];
  return ["https", "loopback"];
}

/**
 * Schemes that are never a native application's private-use redirect (RFC 8252 §7.1, §8.4):
 * script and data schemes, local files, browser internals, other protocols, and the operating
 * system's own handlers (`ms-*`, `search-ms`, `shell`). Also in fragments/oauth-redirect-uris-check.xml.
 */
export const REFUSED_PRIVATE_USE_SCHEMES: readonly string[] = [
  "about", "blob", "chrome", "chrome-extension", "data", "edge", "file", "filesystem", "ftp", "intent", "jar", "javascript",
  "livescript", "mailto", "moz-extension", "res", "resource", "search-ms", "shell", "sms", "tel", "urn", "vbscript",
  "view-source", "ws", "wss",
];

const UNRESERVED_ENCODED = /%(?:3[0-9]|4[1-9A-F]|5[0-9A]|6[1-9A-F]|7[0-9A]|2D|2E|5F|7E)/;
const DNS_HOST = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/;
const IPV4 = /^(?:(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])\.){3}(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])$/;
const DOT_SEGMENT = /(?:^|\/)\.{1,2}(?:\/|$)/;

/** Canonical (RFC 5952) text of an IPv6 address, as WHATWG URL writes it, or undefined. */
function canonicalIpv6(inner: string): string | undefined {
  try {
    const host = new URL(`http://[${inner}]/`).hostname;
    return host.slice(1, -1);
  } catch {
    return undefined;
  }
}

/**
 * What is wrong with a redirect URI for a client of `applicationType`, or undefined: the rules of
 * fragments/oauth-redirect-uris-check.xml (printable ASCII in normalised form, no fragment or user
 * info, https / loopback http / private-use as the application type allows).
 */
export function redirectUriProblem(text: string, applicationType: "native" | "web" | undefined): string | undefined {
  if (text.length === 0 || text.length > 2000) return "must be 1 to 2000 characters long";
  for (let j = 0; j < text.length; j++) {
    const c = text.charCodeAt(j);
    if (c <= 0x20 || c >= 0x7f) return `contains U+${c.toString(16).toUpperCase().padStart(4, "0")} at position ${j}: a redirect URI holds only printable ASCII without spaces`;
    if ('"<>\\^`{|}'.includes(text[j]!)) return `contains '${text[j]}' at position ${j}, which a URI may not hold unencoded (RFC 3986)`;
  }
  if (text.includes("#")) return "has a fragment ('#'), which a redirect URI may not have (RFC 6749 §3.1.2)";
  if (/%(?![0-9A-F]{2})/.test(text)) return "has a '%' that is not followed by two upper-case hexadecimal digits";
  if (UNRESERVED_ENCODED.test(text)) return "percent-encodes a letter, digit, '-', '.', '_' or '~'; write the character itself (RFC 3986 §6.2.2.2)";
  const schemeMatch = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(text);
  if (!schemeMatch) return "is not an absolute URI (scheme:...)";
  const scheme = schemeMatch[1]!;
  if (scheme !== scheme.toLowerCase()) return "has an upper-case scheme; write it in lower case";
  let kind: RedirectUriKind = "private-use";
  if (scheme === "https" || scheme === "http") {
    const web = /^https?:\/\/([^/?]*)(.*)$/.exec(text);
    if (!web) return `must start with ${scheme}://`;
    const authority = web[1]!;
    if (authority.includes("@")) return "has user info ('@' before the host), which a redirect URI may not have";
    const hostPort = /^(\[[^\]]*\]|[^:[\]]*)(?::([0-9]*))?$/.exec(authority);
    if (!hostPort) return "has a host and port that cannot be read";
    const host = hostPort[1]!;
    const port = hostPort[2];
    if (port !== undefined) {
      if (!/^[1-9][0-9]{0,4}$/.test(port) || Number(port) > 65535) return `has the port '${port}'; a port is 1 to 65535 without leading zeros`;
      if (port === (scheme === "https" ? "443" : "80")) return `writes the default port ${port}; leave it out`;
    }
    if (host.startsWith("[")) {
      const inner = host.slice(1, -1);
      if (!inner.includes(":") || canonicalIpv6(inner) !== inner) return "has an IPv6 host that is not in its canonical form (RFC 5952)";
    } else {
      if (host.length === 0) return "has no host";
      if (host !== host.toLowerCase()) return "has an upper-case host; write it in lower case";
      if (host.endsWith(".")) return "has a host ending with a dot";
      if (host.length > 253 || !DNS_HOST.test(host)) return "has a host that is neither a DNS name nor an IP address";
      const labels = host.split(".");
      if (/^(?:0x[0-9a-f]*|[0-9]+)$/.test(labels[labels.length - 1]!) && !IPV4.test(host)) return "writes an IPv4 address in a non-standard notation; write it as four decimal numbers (e.g. 127.0.0.1)";
    }
    const rest = web[2]!;
    const path = rest.includes("?") ? rest.slice(0, rest.indexOf("?")) : rest;
    if (DOT_SEGMENT.test(path)) return "has a '.' or '..' path segment, which URI parsers remove";
    kind = scheme === "https" ? "https" : host === "127.0.0.1" || host === "[::1]" || host === "localhost" ? "loopback" : "http";
  } else {
    const problem = privateUseProblem(text, scheme);
    if (problem) return problem;
  }
  if (!redirectUriKinds(applicationType).includes(kind)) return kindProblem(kind, scheme, applicationType);
  return undefined;
}

function privateUseProblem(text: string, scheme: string): string | undefined {
  if (!/^[a-z][a-z0-9-]*(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*$/.test(scheme)) {
    return `has the scheme '${scheme}', which is not a private-use scheme name: expected a reverse domain name such as com.example.app (RFC 8252 §7.1) or one name such as cursor`;
  }
  if (REFUSED_PRIVATE_USE_SCHEMES.includes(scheme) || scheme.startsWith("ms-")) {
    return `has the scheme '${scheme}', which is not an application's private-use scheme (refused: ${REFUSED_PRIVATE_USE_SCHEMES.join(", ")}, ms-*)`;
  }
  const rest = text.slice(scheme.length + 1);
  if (!rest.startsWith("/")) return `must continue with '/' after '${scheme}:' (${scheme}:/path or ${scheme}://name/path, RFC 8252 §7.1)`;
  let path = rest.includes("?") ? rest.slice(0, rest.indexOf("?")) : rest;
  if (rest.startsWith("//")) {
    const end = path.indexOf("/", 2);
    const authority = end < 0 ? path.slice(2) : path.slice(2, end);
    if (!/^[a-z0-9](?:[a-z0-9._-]*[a-z0-9])?$/.test(authority)) return `has '${scheme}://' followed by '${authority}', which is not a lower-case name (no user info, port or upper case)`;
    path = end < 0 ? "" : path.slice(end);
  }
  if (DOT_SEGMENT.test(path)) return "has a '.' or '..' path segment, which URI parsers remove";
  return undefined;
}

function kindProblem(kind: RedirectUriKind, scheme: string, applicationType: "native" | "web" | undefined): string {
  if (kind === "http") return "uses http off loopback; http is allowed only on 127.0.0.1, [::1] or localhost (RFC 8252 §7.3)";
  if (applicationType === "web") return "is not https; a client with application_type web may use only https redirect URIs";
  if (kind === "private-use") return `uses the private-use scheme '${scheme}:', which only native applications may use: send application_type native (RFC 8252 §7.1)`;
  return "must use https, or http on a loopback address (127.0.0.1, [::1], localhost)";
}

/**
 * What is wrong with a client ID metadata document URL, or undefined: the rules of
 * fragments/oauth-client-id.xml (https, a public DNS host name without port, user info or fragment,
 * a path without dot segments, in normalised form). A URL breaking them can never sign in.
 */
export function metadataDocumentUrlProblem(id: string): string | undefined {
  if (!id.startsWith("https://")) return "is not an https URL";
  for (let j = 0; j < id.length; j++) {
    const c = id.charCodeAt(j);
    if (c <= 0x20 || c >= 0x7f) return `contains U+${c.toString(16).toUpperCase().padStart(4, "0")} at position ${j}`;
    if ('"<>\\^`{|}'.includes(id[j]!)) return `contains '${id[j]}' at position ${j}`;
  }
  if (id.includes("#")) return "has a fragment ('#')";
  if (/%(?![0-9A-F]{2})/.test(id) || UNRESERVED_ENCODED.test(id)) return "is not in normalised percent-encoding";
  const parts = /^https:\/\/([^/?]*)([^?]*)(.*)$/.exec(id)!;
  const host = parts[1]!;
  const path = parts[2]!;
  if (host.includes("@")) return "has user info";
  if (host.startsWith("[") || host.includes(":")) return "names an IP address or a port, not a DNS host name on the default port";
  const bare = host.toLowerCase().replace(/\.+$/, "");
  if (bare === "localhost" || bare.endsWith(".localhost") || bare === "localhost.localdomain" || bare === "ip6-localhost" || bare === "ip6-loopback") return "names a loopback host";
  if (host.length === 0) return "has no host";
  if (host.endsWith(".")) return "has a host ending with a dot";
  if (host !== host.toLowerCase()) return "has an upper-case host";
  if (host.length > 253 || !DNS_HOST.test(host)) return "has a host that is not a DNS name";
  const labels = host.split(".");
  const last = labels[labels.length - 1]!;
  if (/^(?:0x[0-9a-f]*|[0-9]+)$/.test(last)) return "has an IP address as its host";
  if (labels.length < 2) return "has a single-label host";
  if (["local", "internal", "localdomain", "lan", "arpa"].includes(last)) return "has a host in a local-only domain";
  if (path.length <= 1) return "has no path; the document must be at a path below the host";
  if (DOT_SEGMENT.test(path)) return "has a '.' or '..' path segment";
  let normalised: string;
  try {
    normalised = new URL(id).href;
  } catch {
    return "cannot be parsed";
  }
  if (normalised !== id) return `is not identical to its normalised form (${normalised})`;
  return undefined;
}

/** Bytes of `text` URL-encoded as the policies count them: [A-Za-z0-9-._] one, every other UTF-8 byte three. */
export function urlEncodedBytes(text: string): number {
  let n = 0;
  for (const b of Buffer.from(text, "utf8")) n += (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a) || b === 0x2d || b === 0x2e || b === 0x5f ? 1 : 3;
  return n;
}

/**
 * The bytes fragments/oauth-query-budget.xml leaves for client_id and redirect_uri together, for
 * this MCP resource URL. A gateway URL not known at synth (a Terraform expression or a CDKTF token:
 * it holds `${`) is counted at its longest: `https://<50-character name>.azure-api.net/<mcpPath>`.
 */
export function queryBudgetClientBytes(gatewayUrl: string, mcpPath: string): number {
  const gateway = gatewayUrl.includes("${") ? `https://${"a".repeat(50)}.azure-api.net` : gatewayUrl;
  const fixed = "response_type=code&client_id=&redirect_uri=&state=&code_challenge=&code_challenge_method=S256&resource=&scope=".length + 43;
  return 2048 - 64 - fixed - urlEncodedBytes(`${gateway}/${mcpPath}`) - 512 - 256;
}

/** The longest a redirect URI can get in a request, URL-encoded: a loopback URI counted with a five-digit port. */
function requestBytes(uri: string): number {
  const loopback = /^http:\/\/(?:127\.0\.0\.1|\[::1\]|localhost)(:[0-9]+)?(?:[/?]|$)/.exec(uri);
  const port = !loopback ? 0 : loopback[1] !== undefined ? 6 - loopback[1].length : 8;
  return port + urlEncodedBytes(uri);
}

/** A value as JSON text, with invisible and control characters written as \uXXXX (so a message cannot be spoofed). */
const q = (v: unknown): string => JSON.stringify(v).replace(/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/gu, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);

/**
 * Every problem of a client policy that would make clients unusable at run time: the key path under
 * `clients` and what is wrong (naming the value) and what is expected.
 * @param clientBudgetBytes what the query budget leaves for client_id and redirect_uri (queryBudgetClientBytes)
 */
export function clientPolicyProblems(policy: McpClientPolicy, clientBudgetBytes: number): KeyPathProblem[] {
  const out: KeyPathProblem[] = [];
  const at = (path: readonly (string | number)[], message: string) => out.push({ path: ["clients", ...path], message });
  const allow = policy.metadataDocuments?.allow;
  (allow ?? []).forEach((entry, i) => {
    const entryAt = (message: string) => at(["metadataDocuments", "allow", i], `${q(entry)} ${message}`);
    const star = entry.indexOf("*");
    if (star >= 0 && star !== entry.length - 1) {
      entryAt("has a '*' before its end; expected an exact URL or a prefix ending in *");
    } else if (star < 0) {
      const problem = metadataDocumentUrlProblem(entry);
      if (problem) entryAt(`${problem}, so no client could ever present it as its client_id; expected a client ID metadata document URL such as https://vscode.dev/oauth/client-metadata.json`);
    } else {
      const prefix = entry.slice(0, -1);
      const m = /^https:\/\/([^/?#]*)\/(.*)$/.exec(prefix);
      const hostProblem = m ? metadataDocumentUrlProblem(`https://${m[1]}/x`) : "has no host followed by '/'";
      if (!m || hostProblem) {
        entryAt(`${hostProblem ?? "is not a usable prefix"}; a prefix must name its host and end the host with '/' before the '*' (e.g. https://claude.ai/*), or it would also match other hosts such as ${prefix}.evil.example`);
      }
    }
  });
  const ids = new Set<string>();
  (policy.static ?? []).forEach((client, i) => {
    const clientAt = (path: readonly (string | number)[], message: string) => at(["static", i, ...path], message);
    if (!STATIC_CLIENT_ID.test(client.client_id)) clientAt(["client_id"], `${q(client.client_id)} is not a static client_id; expected 1-64 letters, digits, '.', '_', '~' or '-'`);
    if (ids.has(client.client_id)) clientAt(["client_id"], `${q(client.client_id)} is already the client_id of another static client`);
    ids.add(client.client_id);
    if (client.client_name.trim().length === 0 || client.client_name.length > 100 || /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/u.test(client.client_name)) {
      clientAt(["client_name"], `${q(client.client_name)} is not a usable client name; expected 1-100 characters without control, formatting or separator characters`);
    }
    if (client.token_endpoint_auth_method !== undefined && client.confidential !== true) {
      clientAt(["token_endpoint_auth_method"], `${q(client.token_endpoint_auth_method)} is set on a public client; add "confidential": true (the client then gets a secret), or remove it`);
    }
    if (client.redirect_uris.length < 1 || client.redirect_uris.length > 10) clientAt(["redirect_uris"], `lists ${client.redirect_uris.length} URIs; expected 1 to 10`);
    const type = client.application_type ?? "native";
    client.redirect_uris.forEach((uri, j) => {
      const problem = redirectUriProblem(uri, type);
      if (problem) clientAt(["redirect_uris", j], `${q(uri)} ${problem}`);
      else if (urlEncodedBytes(client.client_id) + requestBytes(uri) > clientBudgetBytes) {
        clientAt(["redirect_uris", j], `${q(uri)} with the client_id it takes ${urlEncodedBytes(client.client_id) + requestBytes(uri)} bytes URL-encoded (a loopback port counted at five digits), more than the ${clientBudgetBytes} bytes an authorization request leaves for client_id and redirect_uri in API Management's 2,048-byte query string; use a shorter URI`);
      }
    });
  });
  if (policy.registration === false && allow !== undefined && allow.length === 0 && (policy.static ?? []).length === 0) {
    at([], "registration is false, metadataDocuments.allow is empty and static lists no client, so no MCP client could sign in; allow at least one kind of client");
  }
  return out;
}
