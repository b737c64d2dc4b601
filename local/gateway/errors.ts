/** How a policy fails: at load time (the gateway refuses to start), at run time (on-error runs), or by answering. */
import type { ResponseMessage } from "./messages.js";

export class PolicyLoadError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "PolicyLoadError";
  }
}

/**
 * A runtime failure of a policy, as APIM reports it in context.LastError. `response` is the
 * response on-error starts from (context.Response), when the policy made one: rate-limit-by-key's
 * 429 with Retry-After; otherwise a 500.
 */
export class PolicyRuntimeError extends Error {
  constructor(
    readonly source: string,
    readonly reason: string,
    message: string,
    readonly response?: ResponseMessage,
  ) {
    super(message);
    this.name = "PolicyRuntimeError";
  }
}

/** Thrown by return-response (and by policies that answer, like cors): the pipeline stops with this response. */
export class ReturnResponseSignal {
  constructor(readonly response: ResponseMessage) {}
}
