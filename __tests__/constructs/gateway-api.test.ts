import { describe, expect, it } from "vitest";
import { gatewayStack, wiredGateway as wired } from "../../test-support/gateway.js";
import { onlyResource, synthJson } from "../../test-support/synth.js";

describe("GatewayApi", () => {
  it("derives template parameters from the URL template and upper-cases the method", () => {
    const operation = onlyResource(synthJson(wired().stack), "azurerm_api_management_api_operation");
    expect(operation).toMatchObject({ method: "GET", url_template: "/items/{id}/{*rest}", operation_id: "get-item" });
    expect(operation.template_parameter).toEqual([
      { name: "id", required: true, type: "string" },
      { name: "rest", required: true, type: "string" },
    ]);
  });

  it("fails for duplicate APIs, paths and operations, and bad operations", () => {
    const { gateway } = gatewayStack();
    const api = gateway.addApi("a", { name: "one", path: "x", displayName: "One" });
    expect(() => gateway.addApi("b", { name: "one", path: "y", displayName: "Dup" })).toThrow(/API "one" is defined twice/);
    expect(() => gateway.addApi("c", { name: "two", path: "x", displayName: "Two" })).toThrow(/path "x", already used by API "one"/);
    expect(() => gateway.addApi("d", { name: "three", path: "/z", displayName: "Three" })).toThrow(/path "\/z" must not start or end with '\/'/);
    api.addOperation("op", { operationId: "op", displayName: "Op", method: "POST", urlTemplate: "/" });
    expect(() => api.addOperation("op2", { operationId: "op", displayName: "Op", method: "POST", urlTemplate: "/" })).toThrow(/already has an operation "op"/);
    expect(() => api.addOperation("op3", { operationId: "op3", displayName: "Op", method: "FETCH", urlTemplate: "/" })).toThrow(/method "FETCH"/);
    expect(() => api.addOperation("op4", { operationId: "op4", displayName: "Op", method: "GET", urlTemplate: "items" })).toThrow(/URL template "items"/);
  });
});
