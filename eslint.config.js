// Lint rules for the whole repository. The provider packages must only be imported by deep path:
// their package roots load ~1,500 resource classes (seconds and hundreds of MB per synth).
import js from "@eslint/js";
import tseslint from "typescript-eslint";

const providerRoots = ["@cdktf/provider-azurerm", "@cdktf/provider-azuread", "@cdktf/provider-random"];

export default tseslint.config(
  { ignores: ["node_modules/**", "cdktf.out/**", "dist/**", "coverage/**", "**/*.d.ts"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: "readonly", console: "readonly", Buffer: "readonly", URL: "readonly" } },
    rules: {
      "no-restricted-imports": [
        "error",
        {
          paths: providerRoots.map((name) => ({
            name,
            message: `Import ${name} resources by deep path (${name}/lib/<resource>): the package root costs ~6 s and ~560 MB.`,
          })),
          patterns: [
            {
              regex: "^@cdktf/provider-(azurerm|azuread|random)(/lib)?(/(index|lazy-index)(\\.js)?)?/?$",
              message: "Import one resource module (…/lib/<resource>), not the package root or the lib index.",
            },
          ],
        },
      ],
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
    },
  },
);
