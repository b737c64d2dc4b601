/**
 * The consent page as a person uses it: Debian's headless Chromium (playwright-core, no browser
 * download) on the local stack (real synthesized policies, Mono C# expressions, Entra stand-in, MCP
 * server). The test acts as an MCP client (SDK auth helpers: discovery from the 401, dynamic
 * registration with a loopback redirect URI, PKCE S256), opens /authorize in the browser, reads
 * what the page shows, clicks "Allow" or "Deny", picks a user on the Entra stand-in's sign-in page
 * (it has several, LOCAL_ENTRA_USERS), follows the redirects back to the loopback server, exchanges
 * the code and calls whoami through the gateway as that user.
 */
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Page } from "playwright-core";
import {
  Client,
  discoverAuthorizationServerMetadata,
  discoverOAuthProtectedResourceMetadata,
  exchangeAuthorization,
  extractWWWAuthenticateParams,
  registerClient,
  startAuthorization,
  StreamableHTTPClientTransport,
  type AuthorizationServerMetadata,
  type OAuthClientInformationFull,
  type OAuthProtectedResourceMetadata,
} from "@modelcontextprotocol/client";
import { startLocalStack, type LocalStack } from "../../local/run.js";
import { defaultUser, type EntraUser } from "../../local/entra/stand-in.js";
import { synthesizeForLocal } from "../../test-support/local-oauth-client.js";
import { launchChromium, startFramingSite, startLoopbackRedirect, type HeadlessChromium } from "../../test-support/browser-consent.js";

/** A client name that would run script if the page pasted it into HTML. */
const HOSTILE_NAME = `<img src=x onerror=alert(1)>`;
const CONSENT_COOKIE = "__Host-mcp-consent";
/** The Entra stand-in's users: its sign-in page offers both, and the person picks the second. */
const USERS: readonly EntraUser[] = [defaultUser("Ada Lovelace"), defaultUser("Grace Hopper")];
const PERSON = USERS[1]!;

let stack: LocalStack;
let browser: HeadlessChromium;
let redirect: Awaited<ReturnType<typeof startLoopbackRedirect>>;
let framing: Awaited<ReturnType<typeof startFramingSite>>;
let shots: string;
let resource: OAuthProtectedResourceMetadata;
let as: AuthorizationServerMetadata;
let scopeFromChallenge: string | undefined;

/** Registers a public client with the loopback redirect URI (RFC 7591) under `name`. */
async function register(name: string): Promise<OAuthClientInformationFull> {
  return registerClient(stack.gateway.url, {
    metadata: as,
    clientMetadata: { client_name: name, redirect_uris: [redirect.redirectUri], grant_types: ["authorization_code", "refresh_token"], response_types: ["code"], token_endpoint_auth_method: "none" },
  });
}

/** The authorization request an MCP client would open in the user's browser (PKCE S256, own state, resource). */
async function authorization(client: OAuthClientInformationFull, state = randomBytes(16).toString("base64url")) {
  const { authorizationUrl, codeVerifier } = await startAuthorization(stack.gateway.url, {
    metadata: as,
    clientInformation: client,
    redirectUrl: redirect.redirectUri,
    scope: scopeFromChallenge,
    state,
    resource: new URL(resource.resource),
  });
  expect(authorizationUrl.searchParams.get("code_challenge_method")).toBe("S256");
  return { authorizationUrl, codeVerifier, state };
}

/** A new tab with no cookies left from earlier flows; records every dialog (none may open). */
async function freshPage(): Promise<{ page: Page; dialogs: string[] }> {
  await browser.context.clearCookies();
  const page = await browser.context.newPage();
  const dialogs: string[] = [];
  page.on("dialog", (d) => {
    dialogs.push(`${d.type()}: ${d.message()}`);
    void d.dismiss();
  });
  return { page, dialogs };
}

/** Registers a client, opens its authorization request in a fresh tab and waits for the consent page. */
async function openConsentFor(name: string, state?: string) {
  const client = await register(name);
  const request = await authorization(client, state);
  const { page, dialogs } = await freshPage();
  /** Top-level navigations (method, URL without query): the path the person's browser takes. */
  const hops: string[] = [];
  page.on("request", (r) => {
    if (r.isNavigationRequest() && r.frame() === page.mainFrame()) hops.push(`${r.method()} ${r.url().split("?")[0]}`);
  });
  const response = await page.goto(request.authorizationUrl.toString(), { waitUntil: "load" });
  if (!response) throw new Error(`no response for ${request.authorizationUrl}`);
  if (response.status() !== 200) throw new Error(`the consent page answered ${response.status()}: ${(await response.text()).slice(0, 300)}`);
  return { client, ...request, page, dialogs, response, hops };
}

/** The consent form as the browser would post it (hidden fields; the clicked button adds `decision`). */
function readForm(page: Page): Promise<{ action: string; fields: Record<string, string> }> {
  return page.locator("form").evaluate((f: HTMLFormElement) => ({ action: f.action, fields: Object.fromEntries(Array.from(f.querySelectorAll("input")).map((i) => [i.name, i.value])) }));
}

const onRedirectUri = (u: URL) => u.toString().startsWith(redirect.redirectUri);

/**
 * Clicks a consent button like a person and waits until the browser lands on the loopback redirect URI; after Allow,
 * the person picks `user` on the Entra stand-in's sign-in page on the way (`signIn` sees that page first).
 */
async function clickAndLand(page: Page, button: "Allow" | "Deny", signIn?: (page: Page) => Promise<void>): Promise<URL> {
  if (button === "Deny") {
    await Promise.all([page.waitForURL(onRedirectUri, { timeout: 15_000 }), page.getByRole("button", { name: button, exact: true }).click()]);
    return new URL(page.url());
  }
  await Promise.all([page.waitForURL((u) => u.toString().startsWith(stack.entra.authorizeUrl), { timeout: 15_000 }), page.getByRole("button", { name: "Allow", exact: true }).click()]);
  await signIn?.(page);
  await Promise.all([page.waitForURL(onRedirectUri, { timeout: 15_000 }), page.getByRole("button", { name: new RegExp(PERSON.name) }).click()]);
  return new URL(page.url());
}

describe("launchChromium", () => {
  it("fails with a message naming the path and the package when the browser executable is missing", async () => {
    await expect(launchChromium("/nonexistent/chromium")).rejects.toThrow(/Chromium not found at \/nonexistent\/chromium: .*"chromium" package .*apt-get install chromium/);
  });
});

describe("consent page in a real headless Chromium (Debian chromium, playwright-core)", () => {
  beforeAll(async () => {
    shots = mkdtempSync(join(tmpdir(), "consent-shots-"));
    redirect = await startLoopbackRedirect();
    framing = await startFramingSite();
    // Launch first: a missing browser fails here, before the slower stack start.
    browser = await launchChromium();
    stack = await startLocalStack({ tf: await synthesizeForLocal(), logLevel: "silent", entraUsers: USERS });

    // Discovery exactly as an MCP client does it: the 401 names the resource metadata, which names the authorization server.
    const challenge = await fetch(stack.mcpEndpoint, {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json, text/event-stream" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "browser-e2e", version: "1.0.0" } } }),
    });
    expect(challenge.status).toBe(401);
    const www = extractWWWAuthenticateParams(challenge);
    expect(www.resourceMetadataUrl?.toString()).toMatch(/\/\.well-known\/oauth-protected-resource\//);
    scopeFromChallenge = www.scope;
    resource = await discoverOAuthProtectedResourceMetadata(stack.mcpEndpoint, { resourceMetadataUrl: www.resourceMetadataUrl });
    expect(resource.authorization_servers).toEqual([stack.gateway.url]);
    const metadata = await discoverAuthorizationServerMetadata(resource.authorization_servers![0]!);
    if (!metadata) throw new Error(`no authorization server metadata at ${resource.authorization_servers![0]}`);
    expect(metadata.code_challenge_methods_supported).toEqual(["S256"]);
    as = metadata;
  }, 55_000);

  afterAll(async () => {
    await browser?.close();
    await stack?.close();
    await redirect?.close();
    await framing?.close();
    // CONSENT_SCREENSHOTS_KEEP=1 keeps the screenshots to look at (the path is printed); otherwise they go.
    if (shots && process.env.CONSENT_SCREENSHOTS_KEEP === "1") console.log(`consent page screenshots kept in ${shots}`);
    else if (shots) rmSync(shots, { recursive: true, force: true });
  }, 20_000);

  it("a person allows: the page names the client (as text, no markup runs), the redirect host and the scope, arrives with anti-framing headers and a Secure HttpOnly SameSite __Host- cookie; Allow leads to the Entra sign-in page, where the person picks a user, and ends at the loopback redirect with code, state and iss; the code (PKCE) buys a token that calls whoami as that user; re-submitting the form afterwards is refused", async () => {
    const { client, codeVerifier, state, page, dialogs, response, hops } = await openConsentFor(HOSTILE_NAME);

    // What the person reads.
    expect(await page.title()).toBe("Allow access to the MCP server?");
    expect(await page.locator("h1").innerText()).toBe("Allow access?");
    expect(await page.locator("p strong").first().textContent()).toBe(HOSTILE_NAME);
    const text = await page.locator("body").innerText();
    expect(text).toContain(`${HOSTILE_NAME} wants to use the MCP server as you.`);
    expect(await page.locator("img").count()).toBe(0);
    expect(text).toContain(`sent back to ${new URL(redirect.redirectUri).host} (an application on this computer).`);
    expect(resource.scopes_supported?.length).toBe(1);
    // Each scope granted, by its consent name and value: here the base scope alone.
    expect(await page.locator("ul li code").allInnerTexts()).toEqual([resource.scopes_supported![0]]);
    expect(await page.locator("ul li").innerText()).toContain("Use the MCP server as you");
    expect(await page.getByRole("button", { name: "Allow", exact: true }).isVisible()).toBe(true);
    expect(await page.getByRole("button", { name: "Deny", exact: true }).isVisible()).toBe(true);
    const screenshot = join(shots, "consent.png");
    await page.screenshot({ path: screenshot, fullPage: true });
    expect(statSync(screenshot).size).toBeGreaterThan(5000);

    // What the browser received, and what it kept.
    const headers = await response.allHeaders();
    expect(headers["x-frame-options"]).toBe("DENY");
    expect(headers["content-security-policy"]).toMatch(/(^|;)\s*frame-ancestors 'none'\s*(;|$)/);
    expect(headers["cache-control"]).toContain("no-store");
    const setCookie = (await response.headerValue("set-cookie")) ?? "";
    expect(setCookie).toMatch(new RegExp(`^${CONSENT_COOKIE}=[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+;`));
    for (const attribute of ["Path=/", "Secure", "HttpOnly", "SameSite=Lax"]) expect(setCookie.split(/;\s*/)).toContain(attribute);
    expect(setCookie).not.toMatch(/;\s*Domain=/i); // __Host-: host-only
    const stored = (await browser.context.cookies(stack.gateway.url)).find((c) => c.name === CONSENT_COOKIE);
    expect(stored, "Chromium keeps the __Host- consent cookie").toMatchObject({ secure: true, httpOnly: true, sameSite: "Lax", path: "/" });
    expect(await page.evaluate(() => document.cookie)).toBe(""); // HttpOnly: not readable by script
    const form = await readForm(page);

    const upstreamCodes = stack.entra.grants.authorization_code;
    const landed = await clickAndLand(page, "Allow", async (signInPage) => {
      // The stand-in's sign-in page: one form, one button per user, each naming the user.
      expect(await signInPage.locator("form[method=post]").count()).toBe(1);
      expect(await signInPage.locator("form button[name=user]").allInnerTexts()).toEqual(USERS.map((u) => expect.stringContaining(u.name)));
      expect(await signInPage.locator("form button[name=user]").evaluateAll((buttons) => buttons.map((b) => (b as HTMLButtonElement).value))).toEqual(USERS.map((u) => u.oid));
    });
    expect(hops).toEqual([
      `GET ${stack.gateway.url}/authorize`,
      `POST ${stack.gateway.url}/consent`,
      `GET ${stack.entra.authorizeUrl}`,
      `POST ${stack.entra.authorizeUrl}`,
      `GET ${stack.gateway.url}/oauth-callback`,
      `GET ${redirect.redirectUri}`,
    ]);
    expect(stack.entra.grants.authorization_code, "the gateway redeemed the Entra code").toBe(upstreamCodes + 1);
    expect(landed.searchParams.get("error")).toBeNull();
    expect(landed.searchParams.get("state")).toBe(state);
    expect(landed.searchParams.get("iss")).toBe(stack.gateway.url);
    const code = landed.searchParams.get("code");
    expect(code).toMatch(/^[A-Za-z0-9_-]{32,}$/);
    expect(await page.locator("h1").innerText()).toBe("Sign-in finished");
    expect(redirect.callbacks().filter((u) => u.searchParams.get("state") === state)).toHaveLength(1);
    expect(dialogs).toEqual([]);
    expect((await browser.context.cookies(stack.gateway.url)).map((c) => c.name), "the redirect clears the consent cookie").not.toContain(CONSENT_COOKIE);

    const tokens = await exchangeAuthorization(stack.gateway.url, { metadata: as, clientInformation: client, authorizationCode: code!, iss: landed.searchParams.get("iss")!, codeVerifier, redirectUri: redirect.redirectUri, resource: new URL(resource.resource) });
    expect(tokens.token_type.toLowerCase()).toBe("bearer");
    const mcp = new Client({ name: "browser-e2e", version: "1.0.0" });
    await mcp.connect(new StreamableHTTPClientTransport(new URL(stack.mcpEndpoint), { requestInit: { headers: { Authorization: `Bearer ${tokens.access_token}` } } }));
    const who = await mcp.callTool({ name: "whoami", arguments: {} });
    await mcp.close();
    // The user picked on the sign-in page is the one the server sees.
    expect(JSON.stringify(who.content)).toContain(PERSON.name);
    expect(JSON.stringify(who.content)).not.toContain(USERS[0]!.name);

    // The same form posted again from the same browser (its cookies included): refused, no redirect anywhere.
    const again = await browser.context.request.post(form.action, { form: { ...form.fields, decision: "approve" }, maxRedirects: 0 });
    expect(again.status()).toBe(400);
    expect(again.headers()["location"]).toBeUndefined();
    expect(await again.text()).toContain("Sign-in cannot continue");
    expect(redirect.callbacks().filter((u) => u.searchParams.get("state") === state)).toHaveLength(1);
    await page.close();
  });

  it("a person denies: Deny ends at the loopback redirect with error=access_denied, the client's state (markup in it carried as data) and iss, and no code", async () => {
    const hostileState = `"><img src=x onerror=alert(2)>&x=1`;
    const { state, page, dialogs, hops } = await openConsentFor("Deny Test Client", hostileState);
    expect(await page.locator("img").count()).toBe(0);
    expect(await page.locator("p strong").first().textContent()).toBe("Deny Test Client");
    const landed = await clickAndLand(page, "Deny");
    expect(hops, "no detour to Entra").toEqual([`GET ${stack.gateway.url}/authorize`, `POST ${stack.gateway.url}/consent`, `GET ${redirect.redirectUri}`]);
    expect((await browser.context.cookies(stack.gateway.url)).map((c) => c.name)).not.toContain(CONSENT_COOKIE);
    expect(landed.searchParams.get("error")).toBe("access_denied");
    expect(state).toBe(hostileState);
    expect(landed.searchParams.get("state")).toBe(hostileState);
    expect(landed.searchParams.get("iss")).toBe(stack.gateway.url);
    expect(landed.searchParams.get("code")).toBeNull();
    expect(dialogs).toEqual([]);
    await page.close();
  });

  it("cannot be framed: another local origin's iframe of the consent page is blocked, while the same page frames an ordinary page", async () => {
    const { authorizationUrl } = await authorization(await register("Framing Test Client"));
    const control = `${redirect.url}/callback?framed=1`;
    const { page } = await freshPage();
    const refusals: string[] = [];
    page.on("console", (m) => {
      if (/frame-ancestors|X-Frame-Options/i.test(m.text())) refusals.push(m.text());
    });
    const consentResponse = page.waitForResponse((r) => r.url().startsWith(`${stack.gateway.url}/authorize`));
    await page.goto(framing.framingUrl(authorizationUrl.toString(), control), { waitUntil: "load" });
    expect((await consentResponse).status()).toBe(200); // the gateway answered; the browser refused to show it
    const frame = (id: string) => page.locator(`#${id}`).elementHandle().then((h) => h!.contentFrame());
    const controlFrame = await frame("frame-1");
    expect(await controlFrame!.locator("h1").innerText()).toBe("Sign-in finished");
    // Chromium replaces a refused frame with its own error page; nothing of the consent page is there to click.
    const consentFrame = await frame("frame-0");
    expect(consentFrame?.url()).toBe("chrome-error://chromewebdata/");
    expect(await consentFrame!.locator("body").innerText()).not.toContain("Allow access?");
    expect(await consentFrame!.getByRole("button", { name: "Allow", exact: true }).count()).toBe(0);
    await expect.poll(() => refusals.length, { timeout: 5_000 }).toBeGreaterThan(0);
    expect(refusals.join("\n")).toMatch(/Framing '.+' violates the following Content Security Policy directive: "frame-ancestors 'none'"\. The request has been blocked/);
    await page.close();
  });


  it("refuses a consent form replayed with the original cookie after success: error=invalid_request, no second sign-in", async () => {
    const { page } = await openConsentFor("Replay Test Client");
    const cookie = (await browser.context.cookies(stack.gateway.url)).find((c) => c.name === CONSENT_COOKIE);
    expect(cookie).toBeDefined();
    const form = await readForm(page);
    const landed = await clickAndLand(page, "Allow");
    expect(landed.searchParams.get("code")).toBeTruthy();
    await page.close();
    // Say the cookie and the form fields were captured: the ticket is still signed and unexpired.
    const replay = await fetch(form.action, {
      method: "POST",
      redirect: "manual",
      headers: { "Content-Type": "application/x-www-form-urlencoded", Cookie: `${CONSENT_COOKIE}=${cookie!.value}` },
      body: new URLSearchParams({ ...form.fields, decision: "approve" }),
    });
    expect(replay.status).toBe(302);
    const location = new URL(replay.headers.get("location") ?? "");
    expect(location.href.startsWith(stack.entra.authorizeUrl), "a replay must not start a second upstream sign-in").toBe(false);
    expect(location.searchParams.get("error")).toBe("invalid_request");
    expect(location.searchParams.get("code")).toBeNull();
    expect(location.searchParams.get("iss")).toBe(stack.gateway.url);
  });
});
