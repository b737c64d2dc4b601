import { App, TerraformStack, TerraformVariable } from "cdktf";
import { describe, expect, it } from "vitest";
import { isLiteral } from "../../constructs/literal.js";

describe("isLiteral", () => {
  it("is true for a plain value, which a construct can check at synth", () => {
    expect(isLiteral("apim-mcp")).toBe(true);
    expect(isLiteral("https://tickets.contoso.com/mcp")).toBe(true);
  });

  it("is false for a CDKTF token and for a string that embeds one", () => {
    const stack = new TerraformStack(new App(), "t");
    const name = new TerraformVariable(stack, "name", { type: "string" }).stringValue;
    expect(isLiteral(name)).toBe(false);
    expect(isLiteral(`https://${name}.azure-api.net`)).toBe(false);
  });

  it("is false for a raw Terraform expression, which Token.isUnresolved does not see", () => {
    expect(isLiteral("${var.apim_name}")).toBe(false);
    expect(isLiteral("https://${azurerm_linux_web_app.mcp.default_hostname}/mcp")).toBe(false);
  });
});
