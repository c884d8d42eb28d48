// One provider's answer as it builds up from events: text, tool use (with its result), status, and the outcome in
// words. Pure state, so the rules are tested in node and the page only draws what `apply` says changed.
import type { RunEvent } from "./follow.ts";
import { companyName, exitMessage, failureMessage, providerName, serverEndMessage, type CredentialName } from "./words.ts";

export interface TextPart {
  readonly kind: "text";
  text: string;
}

export interface ToolPart {
  readonly kind: "tool";
  readonly id: string;
  readonly name: string;
  readonly input: unknown;
  result?: { readonly output: string; readonly isError: boolean };
}

export type AnswerPart = TextPart | ToolPart;

/** `starting`: no sandbox yet; `running`: the agent accepted the job; then one of the ends. */
export type AnswerStatus = "starting" | "running" | "done" | "failed" | "cancelled";

/** What changed, so a view can update just that. */
export type AnswerChange =
  | { readonly kind: "text"; readonly part: TextPart; readonly appended: string; readonly isNewPart: boolean }
  | { readonly kind: "tool"; readonly part: ToolPart; readonly isNewPart: boolean }
  | { readonly kind: "status" }
  | { readonly kind: "none" };

export class Answer {
  readonly parts: AnswerPart[] = [];
  status: AnswerStatus = "starting";
  model: string | undefined;
  /** The outcome in words when the run did not end well ("" while running or when it succeeded). */
  problem = "";
  /** The user pressed Cancel: a later `killed` exit is the cancel, not a crash. */
  cancelled = false;
  /** Why the run failed, as the agent classified it; what the CLI said is its `detail`, behind a disclosure. */
  failure: { readonly kind: string; readonly status?: number | undefined; readonly detail?: string | undefined } | undefined;
  /** Something to know after the run that is not its outcome ("" when none): the sign-in was refreshed and stored. */
  note = "";
  /** The latest retry the CLI reported, in words ("" when none): shown while it runs. */
  retrying = "";
  /** Tokens and cost as the CLI reported them in its result, when it did. */
  usage: { readonly inputTokens?: number | undefined; readonly outputTokens?: number | undefined; readonly costUsd?: number | undefined } | undefined;
  private lastError: string | undefined;
  private stderr: string | undefined;

  /** Each phase of the run and when it was reached, in ms since the answer began (the page's small timeline). */
  readonly phases: { readonly name: string; readonly ms: number }[] = [];
  private readonly began = performance.now();

  constructor(readonly provider: string, readonly credential?: CredentialName) {}

  private reach(name: string): void {
    if (!this.phases.some((p) => p.name === name)) this.phases.push({ name, ms: Math.round(performance.now() - this.began) });
  }

  get providerName(): string {
    return providerName(this.provider);
  }

  /** The answer's text: every text event concatenated (docs/events.md). This is what is saved to the chat. */
  get text(): string {
    let text = "";
    for (const part of this.parts) if (part.kind === "text") text += part.text;
    return text;
  }

  get isFinished(): boolean {
    return this.status === "done" || this.status === "failed" || this.status === "cancelled";
  }

  apply(event: RunEvent): AnswerChange {
    switch (event.type) {
      case "allocated":
        this.reach(event.warm ? "warm sandbox" : "cold sandbox started");
        return { kind: "status" };
      case "accepted":
        this.status = "running";
        this.reach("credential delivered");
        return { kind: "status" };
      case "start":
        this.reach("CLI started");
        if (event.model !== undefined && event.model !== "auto") this.model = event.model;
        return { kind: "status" };
      case "text": {
        if (event.text === "") return { kind: "none" };
        this.reach("first output");
        const last = this.parts.at(-1);
        if (last?.kind === "text") {
          last.text += event.text;
          return { kind: "text", part: last, appended: event.text, isNewPart: false };
        }
        const part: TextPart = { kind: "text", text: event.text };
        this.parts.push(part);
        return { kind: "text", part, appended: event.text, isNewPart: true };
      }
      case "tool_use": {
        this.reach("first output");
        const part: ToolPart = { kind: "tool", id: event.id, name: event.name, input: event.input };
        this.parts.push(part);
        return { kind: "tool", part, isNewPart: true };
      }
      case "tool_result": {
        const part = this.parts.find((p): p is ToolPart => p.kind === "tool" && p.id === event.id && p.result === undefined);
        const result = { output: event.output ?? "", isError: event.isError };
        if (part !== undefined) {
          part.result = result;
          return { kind: "tool", part, isNewPart: false };
        }
        const orphan: ToolPart = { kind: "tool", id: event.id, name: "tool", input: undefined, result };
        this.parts.push(orphan);
        return { kind: "tool", part: orphan, isNewPart: true };
      }
      case "result":
        if (event.usage !== undefined || event.costUsd !== undefined) {
          this.usage = { inputTokens: event.usage?.inputTokens, outputTokens: event.usage?.outputTokens, costUsd: event.costUsd };
        }
        if (this.parts.every((p) => p.kind !== "text") && event.text !== undefined && event.text !== "") {
          // A CLI that reported its answer only in the result line: show it as the answer.
          return this.apply({ type: "text", text: event.text });
        }
        return { kind: "none" };
      case "error":
        if (event.source === "stderr") this.stderr = event.message;
        else this.lastError = event.message;
        return { kind: "none" };
      case "retry":
        this.retrying = `${event.status !== undefined ? `${companyName(this.provider)} answered ${event.status}` : `No connection to ${companyName(this.provider)}`}; ${this.providerName} tries again.`;
        return { kind: "status" };
      case "exit":
        this.retrying = "";
        this.reach("done");
        this.status = event.reason === "ok" ? "done" : (event.reason === "killed" || event.failure?.kind === "cancelled") && this.cancelled ? "cancelled" : "failed";
        if (this.status === "failed") {
          this.failure = event.failure ?? { kind: "cli_crashed", detail: this.lastError ?? this.stderrLine() };
        }
        this.problem = this.status === "cancelled"
          ? "Cancelled."
          : this.status === "done"
            ? ""
            : event.failure !== undefined
              ? failureMessage(this.provider, event.failure, this.credential)
              : exitMessage(this.provider, event.reason, event.exitCode, this.lastError ?? this.stderrLine());
        return { kind: "status" };
      case "credential":
        // Not part of the answer: the run stores the refreshed credential once it ends (execution-run.ts).
        return { kind: "none" };
      case "stopped":
        this.retrying = "";
        this.status = event.reason === "cancelled" ? "cancelled" : event.state === "succeeded" ? "done" : "failed";
        if (this.status === "failed") this.failure = { kind: "sandbox_lost", detail: event.reason ?? undefined };
        this.problem = serverEndMessage(this.provider, event.reason);
        return { kind: "status" };
    }
  }

  /** The run could not start or its stream failed: `message` is already in the user's words. */
  fail(message: string): void {
    this.status = "failed";
    this.problem = message;
  }

  private stderrLine(): string | undefined {
    const lines = this.stderr?.split("\n").map((l) => l.trim()).filter((l) => l !== "");
    return lines?.at(-1);
  }
}

/** A short, single-line summary of a tool's input for its block: a command, a path, or compact JSON. */
export function toolInputSummary(input: unknown, maxLength = 200): string {
  let text: string;
  if (input === undefined || input === null) return "";
  if (typeof input === "string") text = input;
  else if (typeof input === "object" && !Array.isArray(input)) {
    const record = input as Record<string, unknown>;
    const preferred = ["command", "file_path", "path", "pattern", "query", "url"].find((k) => typeof record[k] === "string");
    text = preferred !== undefined ? String(record[preferred]) : JSON.stringify(input);
  } else text = JSON.stringify(input);
  text = text.replace(/\s+/g, " ").trim();
  return text.length > maxLength ? `${text.slice(0, maxLength - 1)}…` : text;
}
