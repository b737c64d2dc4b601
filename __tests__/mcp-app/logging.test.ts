import { describe, expect, it } from "vitest";
import { createLogger } from "../../mcp-app/logging.js";

function capture(level: Parameters<typeof createLogger>[0]) {
  const lines: string[] = [];
  return { lines, logger: createLogger(level, (line) => lines.push(line)) };
}

describe("createLogger", () => {
  it("writes one JSON object per line with time, level, msg and fields", () => {
    const { lines, logger } = capture("info");
    logger.info("hello", { status: 200, path: "/mcp", skipped: undefined });
    expect(lines).toHaveLength(1);
    expect(lines[0]!.endsWith("\n")).toBe(true);
    const entry = JSON.parse(lines[0]!);
    expect(entry).toEqual({ time: expect.stringMatching(/^\d{4}-\d\d-\d\dT/), level: "info", msg: "hello", status: 200, path: "/mcp" });
  });

  it("drops lines below the level; silent drops everything", () => {
    const info = capture("warn");
    info.logger.info("no");
    info.logger.debug("no");
    info.logger.error("yes");
    expect(info.lines.map((l) => JSON.parse(l).msg)).toEqual(["yes"]);
    const silent = capture("silent");
    silent.logger.error("no");
    expect(silent.lines).toEqual([]);
  });

  it("redacts fields named like secrets and anything that looks like a JWT or bearer credential", () => {
    const { lines, logger } = capture("debug");
    const jwt = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl";
    logger.warn(`got Bearer ${jwt}`, { authorization: "Bearer abc", access_token: "abc", note: `token was ${jwt}`, list: [jwt] });
    const text = lines.join("");
    expect(text).not.toContain("eyJ");
    expect(text).not.toContain("abc");
    expect(JSON.parse(lines[0]!)).toMatchObject({ authorization: "[redacted]", access_token: "[redacted]", note: "token was [redacted-jwt]", list: ["[redacted-jwt]"] });
  });
});
