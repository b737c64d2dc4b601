/** Entry point of `npm run verify -- <gateway-url>` (see verify/cli.ts). */
import { main } from "./cli.js";

main(process.argv.slice(2), { out: (t) => console.log(t), err: (t) => console.error(t) }).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    console.error(`npm run verify failed unexpectedly: ${(e as Error).message}`);
    process.exitCode = 1;
  },
);
