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
 * The repository's folders that hold TypeScript. A boundary refuses every one of them that a folder
 * may not import (__tests__/layout.test.ts checks that each folder is listed here).
 */
const FOLDERS = ["__tests__", "apim-policy", "bench", "config", "constructs", "examples", "local", "mcp-app", "policies", "stack", "test-support", "verify", "vocabulary"];

/**
 * What a folder may import of the repository besides itself, and why (`(root)`: main.ts and the
 * other files at the top, which eslint cannot tell from a sibling file by the import's text; the
 * layout test checks them); every other folder of FOLDERS is refused. Imports go one way: the neutral bases (vocabulary/: names and rules;
 * apim-policy/: the policy language) import nothing; the configuration, the sample server and the
 * post-deploy checks only the vocabulary; the reusable constructs only the two bases, never the
 * app's configuration or sample server; the app's composition (stack/) reads them all.
 * __tests__/layout.test.ts checks the same table on every import, dynamic ones included, and that
 * no folder cycle exists.
 */
export const FOLDER_IMPORTS = {
  vocabulary: { allow: [], why: "vocabulary/ (names and rules) is the neutral base: it imports nothing of the repository" },
  "apim-policy": { allow: [], why: "apim-policy/ (the policy language, shared by the static checks and the local gateway) imports nothing of the repository" },
  config: { allow: ["vocabulary"], why: "config/ reads settings with the rules of vocabulary/ only" },
  "mcp-app": { allow: ["vocabulary"], why: "mcp-app/ (the sample server) imports only vocabulary/" },
  verify: { allow: ["vocabulary"], why: "verify/ (post-deploy checks) imports only vocabulary/" },
  policies: { allow: ["apim-policy"], why: "policies/ (the product's policy contract) imports only the policy language's types (apim-policy/)" },
  constructs: { allow: ["apim-policy", "policies", "vocabulary"], why: "constructs/ are reusable: they import only apim-policy/, the policy contract (policies/) and vocabulary/, never the app (config/, mcp-app/, stack/) or the local gateway" },
  examples: { allow: ["constructs"], why: "examples/ compose the constructs as your own app would: they import only constructs/ (its index)" },
  stack: { allow: ["config", "constructs", "mcp-app", "policies", "vocabulary"], why: "stack/ composes the app from config/, constructs/ and mcp-app/; it does not import the local gateway or the checks" },
  local: { allow: ["(root)", ...FOLDERS.filter((f) => !["local", "constructs", "__tests__", "test-support", "bench"].includes(f))], why: "local/ must not import the constructs (see apim-policy/ for what they share) nor the tests" },
};

/** The rule for the files of `folder`: provider packages by deep path, and no refused folder. */
const boundary = (folder, { allow, why }) => ({
  files: [`${folder}/**/*.ts`],
  rules: {
    "no-restricted-imports": [
      "error",
      {
        paths: providerPaths,
        patterns: [
          ...providerPatterns,
          ...FOLDERS.filter((f) => f !== folder && !allow.includes(f)).map((f) => ({ regex: `^(\\.\\./)+${f}/`, message: `${why}.` })),
        ],
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
  ...Object.entries(FOLDER_IMPORTS).map(([folder, rule]) => boundary(folder, rule)),
);
