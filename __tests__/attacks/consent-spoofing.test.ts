/**
 * Threat: consent page spoofing through the client's name (issue 8 finding 8; MCP security best
 * practices, "Confused Deputy Problem": the consent page must let the user identify the client;
 * Unicode Technical Report #36 on bidirectional and invisible characters). A client name with
 * right-to-left overrides, isolates or marks (U+202A-U+202E, U+2066-U+2069, U+200E, U+200F,
 * U+061C), invisible format characters (zero-width space, BOM, tag characters) or control
 * characters was shown as it was: "Safe\u202Eexe.tnemyap" reads as "Safepayment.exe", and an
 * invisible suffix makes a name look like another's. Registration refuses such a name with
 * invalid_client_metadata (the client learns why); a metadata document's name has them stripped
 * before the consent page shows it.
 */
import { describe, expect, it } from "vitest";
import { CIMD_ORIGIN, call, json, pkce, useAttackStack, type AttackEnv } from "../../test-support/attack-client.js";

let env: AttackEnv;
useAttackStack((started) => (env = started));

/** Characters a displayed client name must never carry, with their code point as the gateway names it. */
const HIDDEN: [string, string][] = [
  ["\u202a", "U+202A"],
  ["\u202b", "U+202B"],
  ["\u202c", "U+202C"],
  ["\u202d", "U+202D"],
  ["\u202e", "U+202E"],
  ["\u2066", "U+2066"],
  ["\u2067", "U+2067"],
  ["\u2068", "U+2068"],
  ["\u2069", "U+2069"],
  ["\u200e", "U+200E"],
  ["\u200f", "U+200F"],
  ["\u061c", "U+061C"],
  ["\u200b", "U+200B"],
  ["\u2060", "U+2060"],
  ["\ufeff", "U+FEFF"],
  ["\u00ad", "U+00AD"],
  ["\u0000", "U+0000"],
  ["\u0007", "U+0007"],
  ["\u001b", "U+001B"],
  ["\u0085", "U+0085"],
  ["\u2028", "U+2028"],
  ["\udb40\udc41", "U+E0041"],
  // Json.NET reads a lone surrogate as U+FFFD, the replacement character, which no honest name holds.
  ["\ud800", "U+FFFD"],
  ["\ufffd", "U+FFFD"],
];

/** Bidi controls, format characters, controls, separators and tag characters. */
const INVISIBLE = /[\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff\ufff9-\ufffb\ufffd]|\udb40[\udc00-\udc7f]/;
const dangerous = (text: string) => INVISIBLE.test(text) || [...text].some((c) => c.charCodeAt(0) < 0x20 || (c.charCodeAt(0) >= 0x7f && c.charCodeAt(0) <= 0x9f));

describe("client names at registration", () => {
  it("refuses a client_name with bidi controls, invisible format or control characters, naming the character", async () => {
    const accepted: string[] = [];
    for (const [char, codePoint] of HIDDEN) {
      const reply = await call("POST", `${env.base}/register`, { body: JSON.stringify({ redirect_uris: ["http://127.0.0.1:33418/callback"], client_name: `Safe${char}exe.tnemyap` }), headers: { "Content-Type": "application/json" } });
      expect(reply.status, codePoint).toBeLessThan(500);
      if (reply.status !== 400) accepted.push(`${codePoint} (${reply.status})`);
      else {
        expect(json(reply).error, codePoint).toBe("invalid_client_metadata");
        expect(String(json(reply).error_description), codePoint).toContain(codePoint);
      }
    }
    expect(accepted).toEqual([]);
  });

  it("still accepts names in any script, with emoji and ordinary spaces", async () => {
    const reply = await call("POST", `${env.base}/register`, { body: JSON.stringify({ redirect_uris: ["http://127.0.0.1:33418/callback"], client_name: "Outil d'analyse \u0645\u062d\u0631\u0631 \u5de5\u5177 \ud83d\ude80" }), headers: { "Content-Type": "application/json" } });
    expect(reply.status, reply.text).toBe(201);
  });
});

describe("client names from metadata documents", () => {
  it("strips every hidden character before the consent page shows the name", async () => {
    const name = `Safe${HIDDEN.map(([c]) => c).join("")}exe.tnemyap Client`;
    const clientId = `${CIMD_ORIGIN}/spoof/name.json`;
    env.serveDocument("/spoof/name.json", { client_id: clientId, client_name: name, redirect_uris: ["http://127.0.0.1:33418/callback"], token_endpoint_auth_method: "none" });
    const page = await call("GET", env.authorizeUrl({ clientId, challenge: pkce().challenge }));
    expect(page.status, page.text.slice(0, 300)).toBe(200);
    // The page's own line breaks aside, no hidden character may reach the browser.
    expect(dangerous(page.text.replace(/[\t\n\r]/g, ""))).toBe(false);
    expect(page.text).toContain("Safeexe.tnemyap Client");
  });
});
