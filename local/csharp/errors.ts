/** How the expression host fails: Mono missing, expressions refused or not compiling, the host process failing. */
import { abbreviate } from "./expression-source.js";
import type { ExpressionFailure } from "./types.js";

/** Mono's compiler or runtime is not installed. */
export class MonoNotInstalledError extends Error {
  override name = "MonoNotInstalledError";
}

/** One or more expressions could not be compiled or were refused; `failures` says which and why. */
export class ExpressionCompileError extends Error {
  override name = "ExpressionCompileError";
  constructor(readonly failures: readonly ExpressionFailure[]) {
    super(
      `${failures.length} policy expression(s) failed to compile:\n` +
        failures
          .map((f) => `- ${abbreviate(f.expression)}\n    ${f.reason}: ${f.messages.join("\n    ")}`)
          .join("\n"),
    );
  }
}

/** The expression host process failed (exited, protocol error, timeout). Not an error of the expression itself. */
export class ExpressionHostError extends Error {
  override name = "ExpressionHostError";
}
