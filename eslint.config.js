// Lint rules for the whole repository. The provider packages must only be imported by deep path:
// their package roots load ~1,500 resource classes (seconds and hundreds of MB per synth).
import js from "@eslint/js";
import tseslint from "typescript-eslint";

const providerRoots = ["@cdktf/provider-azurerm", "@cdktf/provider-azuread", "@cdktf/provider-random"];

const providerPaths = providerRoots.map((name) => ({
  name,
  message: `Import ${name} resources by deep path (${name}/lib/<resource>): the package root costs ~6 s and ~560 MB.`,
}));
const providerPatterns = [
  {
    regex: "^@cdktf/provider-(azurerm|azuread|random)(/lib)?(/(index|lazy-index)(\\.js)?)?/?$",
    message: "Import one resource module (…/lib/<resource>), not the package root or the lib index.",
  },
];

/**
 * The policy language (apim-policy/, its static rules included) is shared by the static checks
 * (constructs/) and the local gateway (local/); neither of those imports the other, and apim-policy/
 * imports neither, nor the product's policy contract (policies/contract.ts), which it is given.
 */
const boundary = (files, folders, why) => ({
  files,
  rules: {
    "no-restricted-imports": [
      "error",
      {
        paths: providerPaths,
        patterns: [...providerPatterns, ...folders.map((folder) => ({ regex: `^(\\.\\./)+${folder}/`, message: `${why} (see apim-policy/ for what they share).` }))],
      },
    ],
  },
});

export default tseslint.config(
  { ignores: ["node_modules/**", "cdktf.out/**", "dist/**", "coverage/**", "**/*.d.ts"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: "readonly", console: "readonly", Buffer: "readonly", URL: "readonly" } },
    rules: {
      "no-restricted-imports": [
        "error",
        { paths: providerPaths, patterns: providerPatterns },
      ],
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
    },
  },
  boundary(["constructs/**/*.ts"], ["local"], "constructs/ must not import the local gateway"),
  boundary(["local/**/*.ts"], ["constructs"], "local/ must not import the constructs"),
  boundary(["apim-policy/**/*.ts"], ["constructs", "local", "policies"], "apim-policy/ is the shared base and imports neither constructs/, local/ nor the product's policies/"),
);
