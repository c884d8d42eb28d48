// What a run's problems and outcomes say to the user. The server's problem `detail` is written for API users and
// operators; the page says what happened and what to do, in the provider's product name.
import { UserFacingError } from "../api/errors.ts";

export const providerIds = ["anthropic", "openai", "google"] as const;
export type ProviderId = (typeof providerIds)[number];

const productNames: Record<string, string> = { anthropic: "Claude", openai: "Codex", google: "Gemini" };

/** The name users know a provider's CLI by: "Claude", "Codex", "Gemini" (the raw id for one this page does not know). */
export function providerName(provider: string): string {
  return productNames[provider] ?? provider;
}

/** Which request of a run failed: the words differ (a 409 on start means something else than on cancel). */
export type RunStep = "create" | "start" | "stream" | "status" | "cancel";

/** A failed run request, with a message meant for the user. Never carries the prompt, the key or any output. */
export class RunError extends UserFacingError {
  override name = "RunError";
  constructor(message: string, readonly status: number | null = null) {
    super(message);
  }
}


/** The user's words for an HTTP problem answer to one step of a run. */
export function problemMessage(step: RunStep, status: number, detail: string | undefined, provider: string): string {
  const name = providerName(provider);
  switch (status) {
    case 401:
      return "Your session has ended. Sign in again to run prompts.";
    case 403:
      return "This session may not run prompts. Sign in with your password.";
    case 404:
      return "This run no longer exists on the server.";
    case 409:
      return step === "start"
        ? `The ${name} sandbox was released before the prompt reached it (it waited too long, or was cancelled). Send again.`
        : "This run has already ended.";
    case 413:
      return "The prompt is too large to send. Shorten it and try again.";
    case 429: {
      const count = /(\d+) executions/.exec(detail ?? "")?.[1];
      return count !== undefined
        ? `Polydev is busy: ${count} runs are already going. Wait for one to finish.`
        : "Polydev is busy: too many runs are already going. Wait for one to finish.";
    }
    case 503:
      if (detail !== undefined && /runs no sandboxes/.test(detail)) {
        return "This Polydev server cannot run prompts: its operator has not turned on sandboxes.";
      }
      return `No sandbox is available for ${name} right now. Try again in a minute; if it keeps happening, tell the operator.`;
    case 400:
      return step === "create"
        ? `Polydev cannot run ${name} on this server.`
        : "The server refused the run's request. Reload the page and try again.";
    default:
      return status >= 500
        ? `The Polydev server had a problem (error ${status}). Try again in a moment.`
        : `The server refused the request (error ${status}).`;
  }
}

const companyNames: Record<string, string> = { anthropic: "Anthropic", openai: "OpenAI", google: "Google" };

/** The company behind a provider id: "Anthropic", "OpenAI", "Google". */
export function companyName(provider: string): string {
  return companyNames[provider] ?? provider;
}

/** The credential a run used, as its owner knows it. */
export interface CredentialName {
  readonly label: string;
  /** "API key" or "sign-in". */
  readonly kind: string;
}

/**
 * A run the agent classified as failed (docs/events.md, "Failures"), in one sentence: what happened and what to do,
 * as src/Polydev.Client/Executions/FailureText.cs says it in the terminal, with the page's own places to act.
 */
export function failureMessage(provider: string, failure: { readonly kind: string; readonly status?: number | undefined }, credential: CredentialName | undefined): string {
  const company = companyName(provider);
  const name = providerName(provider);
  const status = failure.status !== undefined ? ` (${failure.status})` : "";
  const stored = credential !== undefined ? `the ${credential.kind} “${credential.label}”` : `your ${company} credential`;
  switch (failure.kind) {
    case "credential_rejected":
      return `${company} rejected ${stored}${status}. Replace it on the Providers page.`;
    case "rate_limited":
      return `${company} is limiting requests for ${stored}${status}. Wait a little and send again, or choose another credential.`;
    case "provider_error":
      return `${company} answered with an error${status}. Send again in a moment.`;
    case "provider_unreachable":
      return `${company} could not be reached from the sandbox. Try again later; if it keeps happening, ask the server's operator whether it can reach the internet.`;
    case "egress_refused":
      return `The server's egress proxy would not connect the sandbox to ${company}${status}. Ask the server's operator to check Polydev's egress.`;
    case "time_limit":
      return `${name} did not finish in time and was stopped. The answer so far is kept.`;
    case "output_limit":
      return `${name}'s answer grew past the size the server allows and was cut off.`;
    case "cancelled":
      return "Cancelled.";
    case "sandbox_lost":
      return `${name}'s sandbox went away before it finished. Send again.`;
    default:
      return `${name} stopped without finishing. Open the details to see what it printed.`;
  }
}

/** How the agent's `exit` reason reads when it is not `ok`; `lastError` is the CLI's last error message, if any. */
export function exitMessage(provider: string, reason: string, exitCode: number | undefined, lastError: string | undefined): string {
  const name = providerName(provider);
  const because = lastError !== undefined && lastError.trim() !== "" ? `: ${oneLine(lastError)}` : ".";
  switch (reason) {
    case "ok":
      return "";
    case "cli_error":
      return `${name} stopped with an error${exitCode !== undefined ? ` (exit code ${exitCode})` : ""}${because}`;
    case "timeout":
      return `${name} ran out of time and was stopped. The answer so far is kept.`;
    case "output_limit":
      return `${name}'s answer grew past the output limit and was cut off.`;
    case "killed":
      return `${name} was stopped before it finished (cancelled, or it ran out of memory).`;
    default:
      return `${name} ended unexpectedly (${reason})${because}`;
  }
}

/** How an execution that ended without the agent's final chunk reads (the server's reason, docs/executions.md). */
export function serverEndMessage(provider: string, reason: string | null): string {
  const name = providerName(provider);
  switch (reason) {
    case "cancelled":
      return "Cancelled.";
    case "timeout":
      return `${name} ran past the server's time limit and was stopped.`;
    case "output_limit":
      return `${name}'s answer grew past the server's output limit and was cut off.`;
    case "out_of_memory":
      return `${name}'s sandbox ran out of memory.`;
    case "sandbox_lost":
      return `${name}'s sandbox was lost while it ran. Send again.`;
    case "node_lost":
      return `The machine running ${name}'s sandbox went down. Send again: another one takes over.`;
    case "job_refused":
      return `${name}'s sandbox could not open the prompt. Send again.`;
    case "agent_error":
      return `${name}'s sandbox failed. Send again.`;
    case "server_restart":
      return "The Polydev server restarted while this ran. Send again.";
    case "not_started":
      return "The run did not start in time. Send again.";
    default:
      return `The run ended without a complete answer${reason !== null ? ` (${reason})` : ""}.`;
  }
}

/** Stream failures that are not a dropped connection: the answer cannot be trusted past this point. */
export function streamFailureMessage(provider: string): string {
  return `${providerName(provider)}'s answer could not be read to the end: part of it was missing or altered on the way. What arrived before is shown.`;
}

function oneLine(text: string): string {
  const line = text.replace(/\s+/g, " ").trim();
  return line.length > 300 ? `${line.slice(0, 299)}…` : line;
}

/** "1,234 tokens in · 56 out · $0.0009": what an answer cost, as far as the CLI said; "" when it said nothing. */
export function usageLine(usage: { readonly inputTokens?: number | undefined; readonly outputTokens?: number | undefined; readonly costUsd?: number | undefined } | undefined): string {
  if (usage === undefined) return "";
  const parts: string[] = [];
  const count = (n: number) => n.toLocaleString("en-US");
  if (usage.inputTokens !== undefined) parts.push(`${count(usage.inputTokens)} tokens in`);
  if (usage.outputTokens !== undefined) parts.push(`${count(usage.outputTokens)} out`);
  if (usage.costUsd !== undefined && usage.costUsd > 0) parts.push(`$${usage.costUsd < 0.01 ? usage.costUsd.toPrecision(2) : usage.costUsd.toFixed(2)}`);
  return parts.join(" · ");
}
