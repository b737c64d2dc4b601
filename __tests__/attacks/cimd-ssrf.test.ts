/**
 * Threat: server-side request forgery through client ID metadata document URLs (issue 8 finding 6;
 * MCP security best practices, "Server-Side Request Forgery"; draft-ietf-oauth-client-id-metadata-
 * document §3 and its security considerations). The gateway fetches the https URL a client names as
 * its client_id. `https://localhost./...` passed the loopback check and was fetched; so were other
 * spellings of loopback, IP literals in notations .NET does not read as addresses, dot segments the
 * HTTP stack resolves, and client_id strings that are not their own normalised form. The gateway
 * must refuse those URLs before any request leaves it: trailing-dot, single-label and every
 * `localhost` spelling or local-only domain, IP literals in any notation (dotted, decimal, hex,
 * octal, short, IPv6, IPv4-mapped), dot segments (plain or percent-encoded), fragments, user info,
 * ports, and anything that differs from its normalised form. Every case here is served by the test's
 * document server (so an unguarded gateway would fetch it and show a consent page), and each must
 * end in a 400 page with no request reaching the document server.
 */
import { describe, expect, it } from "vitest";
import { CIMD_ORIGIN, call, pkce, useAttackStack, type AttackEnv } from "../../test-support/attack-client.js";

/** Origins the gateway must never fetch from, all served by the document server in this test. */
const HOSTILE_ORIGINS = [
  "https://localhost",
  "https://LOCALHOST",
  "https://localhost.",
  "https://Localhost.",
  "https://app.localhost",
  "https://app.localhost.",
  "https://localhost.localdomain",
  "https://intranet",
  "https://metadata.internal",
  "https://printer.local",
  "https://cimd.attack.example.",
  "https://127.0.0.1",
  "https://127.1",
  "https://2130706433",
  "https://0x7f.1",
  "https://0x7f000001",
  "https://0177.0.0.1",
  "https://10.0.0.1",
  "https://169.254.169.254",
  "https://[::1]",
  "https://[::ffff:127.0.0.1]",
  "https://[::ffff:7f00:1]",
  "https://[fd00::1]",
  "https://CIMD.attack.example",
  "https://cimd.attack.example:443",
  "https://cimd.attack.example:8443",
  "https://user:pass@cimd.attack.example",
];

let env: AttackEnv;
useAttackStack((started) => (env = started), { documentOrigins: HOSTILE_ORIGINS });

let counter = 0;

/**
 * Serves a valid public-client document claiming `clientId` at the path the gateway would fetch
 * (`fetchedPath`), asks /authorize for it, and says whether the gateway let it through.
 */
async function attempt(clientId: string, fetchedPath: string): Promise<{ fetched: boolean; consent: boolean; status: number; text: string }> {
  env.serveDocument(fetchedPath, { client_id: clientId, client_name: "SSRF probe", redirect_uris: ["http://127.0.0.1:33418/callback"], token_endpoint_auth_method: "none" });
  const before = env.documentRequests.length;
  const reply = await call("GET", env.authorizeUrl({ clientId, challenge: pkce().challenge }));
  const fetched = env.documentRequests.slice(before).includes(fetchedPath);
  return { fetched, consent: reply.status === 200, status: reply.status, text: reply.text };
}

/** Each case: a label, the client_id built from a fresh path, and the path an HTTP client would fetch (default: that path). */
type Case = [string, (path: string) => string, ((path: string) => string)?];

async function expectRefused(cases: Case[]): Promise<void> {
  const through: string[] = [];
  for (const [label, build, fetchedPath] of cases) {
    const path = `/probe-${++counter}`;
    const clientId = build(path);
    const r = await attempt(clientId, fetchedPath ? fetchedPath(path) : path);
    expect(r.status, label).toBeLessThan(500);
    if (r.fetched || r.consent || r.status !== 400) through.push(`${label}: ${clientId} (${r.status}${r.fetched ? ", fetched" : ""})`);
  }
  expect(through).toEqual([]);
}

describe("client ID metadata document URLs the gateway must not fetch", () => {
  it("refuses every localhost spelling, trailing dots, single-label and local-only names, and IP literals in any notation", async () => {
    // IP literals: dotted, short, decimal, hex, octal, private, link-local, IPv6 and IPv4-mapped.
    const hosts = HOSTILE_ORIGINS.filter((o) => !o.includes("cimd.attack.example") || o.endsWith("."));
    expect(hosts.length).toBeGreaterThan(20);
    await expectRefused(hosts.map((origin): Case => [origin, (path) => `${origin}${path}`]));
  });

  it("refuses dot segments, plain or percent-encoded, which the HTTP stack would resolve to another document", async () => {
    await expectRefused([
      ["double-dot", (path) => `${CIMD_ORIGIN}/x/..${path}`],
      ["single-dot", (path) => `${CIMD_ORIGIN}/.${path}`],
      ["encoded double-dot", (path) => `${CIMD_ORIGIN}/x/%2e%2e${path}`],
      ["upper-case encoded double-dot", (path) => `${CIMD_ORIGIN}/x/%2E%2E${path}`],
      ["half-encoded double-dot", (path) => `${CIMD_ORIGIN}/x/.%2e${path}`],
    ]);
  });

  it("refuses fragments, user info, ports (even the default one) and client_ids that are not in normalised form", async () => {
    await expectRefused([
      ["fragment", (path) => `${CIMD_ORIGIN}${path}#x`],
      ["user info", (path) => `https://user:pass@cimd.attack.example${path}`],
      ["non-default port", (path) => `https://cimd.attack.example:8443${path}`],
      ["default port written out", (path) => `https://cimd.attack.example:443${path}`],
      ["upper-case host", (path) => `https://CIMD.attack.example${path}`],
      ["percent-encoded unreserved character", (path) => `${CIMD_ORIGIN}${path.replace("probe", "%70robe")}`, (path) => path.replace("probe", "%70robe")],
      ["backslash", (path) => `${CIMD_ORIGIN}\\${path.slice(1)}`],
    ]);
  });

  it("names what is wrong with the URL on the error page", async () => {
    const r = await attempt("https://localhost./probe-named", "/probe-named");
    expect(r.status).toBe(400);
    expect(r.text).toMatch(/localhost/);
    expect(r.fetched).toBe(false);
  });

  it("still fetches an ordinary https document and shows its consent page", async () => {
    const r = await attempt(`${CIMD_ORIGIN}/clients/ordinary.json`, "/clients/ordinary.json");
    expect(r).toMatchObject({ status: 200, fetched: true, consent: true });
  });
});
