// The sandbox agent's normalized events (docs/events.md, "Events"): one UTF-8 JSON object per output chunk.
// Decoding is forgiving the way the spec asks: unknown event types and unknown fields are ignored, fields that do
// not apply are absent. A field of the wrong type is treated as absent rather than failing the whole answer; a
// required one then takes its empty value. Every member of every event is named below (`present`), so a member
// added to the contract and not read here fails the type check.

import type {
  AcceptedEvent, AgentEvent, CredentialEvent, ErrorEvent, EventUsage, ExitEvent, JobFailure, JobTimings, ResultEvent, RetryEvent,
  StartEvent, TextEvent, ToolResultEvent, ToolUseEvent,
} from "./contract.generated.ts";
import { present } from "./contract.ts";

// The types are generated from the C# contract (src/Polydev.Contracts/Jobs), which the agent writes with.
export type { AgentEvent, ErrorSource, EventUsage, ExitReason, FailureKind, JobFailure } from "./contract.generated.ts";

type Json = Record<string, unknown>;

const decoder = new TextDecoder("utf-8", { fatal: true });

/**
 * One chunk's plaintext as an event, or null for chunks a client skips: empty chunks, and event types this
 * client does not know (so a newer agent can add some). Throws only when the chunk is not a JSON object, which
 * an authenticated chunk from a working agent never is.
 */
export function decodeEvent(plaintext: Uint8Array): AgentEvent | null {
  if (plaintext.length === 0) return null;
  const value: unknown = JSON.parse(decoder.decode(plaintext));
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new SyntaxError("An output chunk is not a JSON object.");
  }
  return toEvent(value as Json);
}

function toEvent(e: Json): AgentEvent | null {
  switch (e["type"]) {
    case "accepted":
      return present<AcceptedEvent>({ type: "accepted", provider: str(e["provider"]) ?? "" });
    case "start":
      return present<StartEvent>({ type: "start", model: str(e["model"]), session: str(e["session"]) });
    case "text":
      return present<TextEvent>({ type: "text", text: str(e["text"]) ?? "" });
    case "tool_use":
      return present<ToolUseEvent>({
        type: "tool_use", id: str(e["id"]) ?? "", name: str(e["name"]) ?? "tool", input: e["input"],
      });
    case "tool_result":
      return present<ToolResultEvent>({
        type: "tool_result", id: str(e["id"]) ?? "", output: str(e["output"]), isError: e["isError"] === true,
      });
    case "result":
      return present<ResultEvent>({
        type: "result", text: str(e["text"]), isError: e["isError"] === true, usage: usage(e["usage"]),
        costUsd: num(e["costUsd"]), durationMs: num(e["durationMs"]),
      });
    case "error":
      return present<ErrorEvent>({ type: "error", source: str(e["source"]) ?? "agent", message: str(e["message"]) ?? "" });
    case "retry":
      return present<RetryEvent>({
        type: "retry", status: num(e["status"]), attempt: num(e["attempt"]), maxRetries: num(e["maxRetries"]),
        delayMs: num(e["delayMs"]), message: str(e["message"]),
      });
    case "exit":
      return present<ExitEvent>({
        type: "exit", exitCode: num(e["exitCode"]), reason: str(e["reason"]) ?? "unknown", failure: failure(e["failure"]),
        timings: timings(e["timings"]),
      });
    case "credential": {
      // The CLI rewrote its credential file (a refreshed token): sealed to the user, stored once the run ends.
      const sealed = str(e["sealed"]);
      return sealed === undefined || sealed === "" ? null : present<CredentialEvent>({ type: "credential", sealed });
    }
    default:
      return null;
  }
}

function str(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}

function num(value: unknown): number | undefined {
  return typeof value === "number" && Number.isFinite(value) ? value : undefined;
}

function failure(value: unknown): JobFailure | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  const f = value as Json;
  const kind = str(f["kind"]);
  return kind === undefined ? undefined : present<JobFailure>({ kind, status: num(f["status"]), detail: str(f["detail"]) });
}

/** The agent's phase breakdown inside the sandbox (docs/events.md, "Timings"), when it sent one. */
function timings(value: unknown): JobTimings | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  const t = value as Json;
  return present<JobTimings>({
    credentialPlacedMs: num(t["credentialPlacedMs"]), cliSpawnedMs: num(t["cliSpawnedMs"]),
    cliStartedAhead: typeof t["cliStartedAhead"] === "boolean" ? t["cliStartedAhead"] : undefined,
    egressFirstByteMs: num(t["egressFirstByteMs"]), providerFirstByteMs: num(t["providerFirstByteMs"]),
    firstTextMs: num(t["firstTextMs"]), endMs: num(t["endMs"]),
  });
}

function usage(value: unknown): EventUsage | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  const u = value as Json;
  return present<EventUsage>({
    inputTokens: num(u["inputTokens"]), outputTokens: num(u["outputTokens"]), cachedInputTokens: num(u["cachedInputTokens"]),
  });
}
