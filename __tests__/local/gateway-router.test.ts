import { describe, expect, it } from "vitest";
import { matchTemplate, parseTemplate, route } from "../../local/gateway/router.js";

const op = (method: string, urlTemplate: string) => ({ method, urlTemplate });
const apis = [
  { path: "", operations: [op("GET", "/.well-known/oauth-protected-resource/{*resource}"), op("GET", "/.well-known/oauth-authorization-server"), op("POST", "/token"), op("GET", "/authorize")] },
  { path: "mcp", operations: [op("POST", "/"), op("GET", "/"), op("DELETE", "/")] },
  { path: "mcp/admin", operations: [op("GET", "/users/{id}"), op("GET", "/users/me")] },
];

describe("local gateway router", () => {
  it("matches the root API for root paths", () => {
    const r = route(apis, "POST", "/token");
    expect(r.kind).toBe("matched");
    if (r.kind === "matched") expect(r.api.path).toBe("");
  });

  it("prefers the longest API path and passes the remainder", () => {
    const r = route(apis, "GET", "/mcp/admin/users/42");
    expect(r).toMatchObject({ kind: "matched", api: { path: "mcp/admin" }, parameters: { id: "42" }, remainder: "/users/42" });
  });

  it("matches the API path itself against the '/' template", () => {
    expect(route(apis, "POST", "/mcp")).toMatchObject({ kind: "matched", operation: { method: "POST", urlTemplate: "/" } });
    expect(route(apis, "POST", "/mcp/")).toMatchObject({ kind: "matched", operation: { method: "POST", urlTemplate: "/" } });
  });

  it("binds a trailing wildcard to the rest of the path", () => {
    expect(route(apis, "GET", "/.well-known/oauth-protected-resource/mcp/x")).toMatchObject({ kind: "matched", parameters: { resource: "mcp/x" } });
    expect(route(apis, "GET", "/.well-known/oauth-protected-resource")).toMatchObject({ kind: "matched", parameters: { resource: "" } });
  });

  it("prefers a literal segment over a parameter", () => {
    expect(route(apis, "GET", "/mcp/admin/users/me")).toMatchObject({ kind: "matched", operation: { urlTemplate: "/users/me" }, parameters: {} });
  });

  it("decodes template parameters and compares literals case-insensitively", () => {
    expect(route(apis, "GET", "/MCP/Admin/USERS/a%20b")).toMatchObject({ kind: "matched", parameters: { id: "a b" } });
  });

  it("reports no operation (with path matches of other methods) and no API", () => {
    const r = route(apis, "PUT", "/mcp");
    expect(r.kind).toBe("no-operation");
    if (r.kind === "no-operation") expect(r.pathMatches.map((o) => o.method).sort()).toEqual(["DELETE", "GET", "POST"]);
    expect(route([apis[1]!], "GET", "/other")).toEqual({ kind: "no-api" });
  });

  it("does not fall back to a shorter API when the longest one has no operation", () => {
    expect(route(apis, "GET", "/mcp/token").kind).toBe("no-operation");
  });

  it("ignores the query part of a template", () => {
    expect(matchTemplate("/a/{b}?x={x}", "/a/1")).toEqual({ b: "1" });
    expect(matchTemplate("/a/{b}", "/a/1/2")).toBeUndefined();
  });

  it("fails on a wildcard that is not last, and on mixed segments", () => {
    expect(() => parseTemplate("/{*rest}/x")).toThrow(/must be the last segment/);
    expect(() => parseTemplate("/a{b}")).toThrow(/mixes text and parameters/);
  });
});
