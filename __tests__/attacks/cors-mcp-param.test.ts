/**
 * Threat: T-cors-headers. MCP 2026-07-28 (SEP-2243) lets a tools/call carry annotated arguments as
 * Mcp-Param-<name> headers, so a browser client's preflight asks for them. The gateway allows each
 * well-formed Mcp-Param- name it is asked for, by echoing it, and nothing else: another header
 * name, a name with a control character, space or other punctuation, a name too long, or more
 * names than it echoes are never reflected into Access-Control-Allow-Headers.
 */
import { connect } from "node:net";
import { describe, expect, it } from "vitest";
import { call, useAttackStack, type AttackEnv } from "../../test-support/attack-client.js";

let env: AttackEnv;
useAttackStack((started) => (env = started));

const FIXED = ["authorization", "content-type", "mcp-protocol-version", "mcp-session-id", "mcp-method", "mcp-name", "last-event-id"];

async function preflight(requested: string, url = env.resource): Promise<{ status: number; allowed: string[]; raw: string }> {
  const reply = await call("OPTIONS", url, { headers: { Origin: "https://app.example", "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": requested } });
  const raw = reply.headers.get("access-control-allow-headers") ?? "";
  return { status: reply.status, allowed: raw.toLowerCase().split(/\s*,\s*/), raw };
}

/**
 * A preflight written on a raw socket, so bytes fetch and node:http refuse to send (control
 * characters, non-ASCII) reach the gateway; returns the status and Access-Control-Allow-Headers.
 */
function rawPreflight(url: string, requested: string): Promise<{ status: number; allowHeaders: string | undefined }> {
  const target = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(target.port), target.hostname);
    const chunks: Buffer[] = [];
    socket.on("data", (c: Buffer) => chunks.push(c));
    socket.on("error", reject);
    socket.on("close", () => {
      const head = Buffer.concat(chunks).toString("latin1").split("\r\n\r\n")[0]!;
      const [statusLine, ...lines] = head.split("\r\n");
      const allow = lines.find((l) => l.toLowerCase().startsWith("access-control-allow-headers:"));
      resolve({ status: Number(statusLine!.split(" ")[1]), allowHeaders: allow?.slice(allow.indexOf(":") + 1).trim() });
    });
    socket.write(
      Buffer.concat([
        Buffer.from(`OPTIONS ${target.pathname} HTTP/1.1\r\nHost: ${target.host}\r\nOrigin: https://app.example\r\nAccess-Control-Request-Method: POST\r\nConnection: close\r\nAccess-Control-Request-Headers: `, "latin1"),
        Buffer.from(requested, "utf8"),
        Buffer.from("\r\n\r\n", "latin1"),
      ]),
    );
  });
}

describe("CORS preflight for Mcp-Param- headers", () => {
  it("allows a requested Mcp-Param- header and not another one, keeping the fixed list", async () => {
    const { status, allowed } = await preflight("mcp-param-region, x-evil");
    expect(status).toBe(204);
    expect(allowed).toEqual([...FIXED, "mcp-param-region"]);
    expect(allowed).not.toContain("x-evil");
  });

  it("matches in any letter case, echoes each name once and lower-cased", async () => {
    const { allowed } = await preflight("Mcp-Param-Region,MCP-PARAM-region ,mcp-param-Unit-2,\tmcp-param-a");
    expect(allowed).toEqual([...FIXED, "mcp-param-region", "mcp-param-unit-2", "mcp-param-a"]);
  });

  it("echoes no name with other characters, an empty suffix or a suffix over 64 characters", async () => {
    const hostile = [
      "mcp-param-",
      "mcp-param-a b",
      "mcp-param-a\u0001b",
      "mcp-param-a_b",
      "mcp-param-a;x-evil",
      "mcp-param-a:b",
      "mcp-param-é",
      `mcp-param-${"a".repeat(65)}`,
      "xmcp-param-a",
      "mcp-paramx-a",
      "mcp-param-a\u000bx-evil",
    ];
    const answered: string[] = [];
    for (const name of hostile) {
      const reply = await rawPreflight(env.resource, `mcp-param-ok, ${name}`);
      // The HTTP server may refuse a control character outright (400, nothing echoed); otherwise the
      // preflight is answered with the fixed list and the well-formed name only.
      if (reply.status === 400) {
        expect(reply.allowHeaders, JSON.stringify(name)).toBeUndefined();
        continue;
      }
      answered.push(name);
      expect(reply.status, JSON.stringify(name)).toBe(204);
      expect(reply.allowHeaders!.toLowerCase().split(/\s*,\s*/), JSON.stringify(name)).toEqual([...FIXED, "mcp-param-ok"]);
    }
    // Everything but the control characters reaches the policy (which then refuses to echo it).
    expect(answered).toEqual(expect.arrayContaining(hostile.filter((n) => ![...n].some((c) => c.charCodeAt(0) < 0x20))));
    const longest = `mcp-param-${"b".repeat(64)}`;
    expect((await preflight(longest)).allowed).toEqual([...FIXED, longest]);
  });

  it("echoes at most 32 names from a very long request, and only well-formed ones", async () => {
    const names = Array.from({ length: 200 }, (_, i) => `mcp-param-p${i}`);
    const { status, allowed, raw } = await preflight([...names, "x-evil", ",,,", ""].join(","));
    expect(status).toBe(204);
    expect(allowed).toEqual([...FIXED, ...names.slice(0, 32)]);
    expect(raw.length).toBeLessThan(2000);
  });

  it("answers the fixed list alone without Access-Control-Request-Headers, on the OAuth endpoints too", async () => {
    const reply = await call("OPTIONS", `${env.base}/token`, { headers: { Origin: "https://app.example", "Access-Control-Request-Method": "POST" } });
    expect(reply.status).toBe(204);
    expect((reply.headers.get("access-control-allow-headers") ?? "").toLowerCase().split(/\s*,\s*/)).toEqual(FIXED);
  });
});
