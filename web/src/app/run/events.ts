// The sandbox agent's normalized events (docs/events.md, "Events"): one UTF-8 JSON object per output chunk.
// Decoding is forgiving the way the spec asks: unknown event types and unknown fields are ignored, fields that do
// not apply are absent. A field of the wrong type is treated as absent rather than failing the whole answer.

export interface Usage {
  readonly inputTokens?: number;
  readonly outputTokens?: number;
  readonly cachedInputTokens?: number;
}

export type ErrorSource = "cli" | "stdout" | "stderr" | "agent";

/** `reason` of the final `exit` event. */
export type ExitReason = "ok" | "cli_error" | "timeout" | "output_limit" | "killed";

export type AgentEvent =
  | { readonly type: "accepted"; readonly provider?: string }
  | { readonly type: "start"; readonly session?: string; readonly model?: string }
  | { readonly type: "text"; readonly text: string }
  | { readonly type: "tool_use"; readonly id: string; readonly name: string; readonly input?: unknown }
  | { readonly type: "tool_result"; readonly id: string; readonly output?: string; readonly isError: boolean }
  | {
    readonly type: "result"; readonly isError: boolean; readonly text?: string; readonly usage?: Usage;
    readonly costUsd?: number; readonly durationMs?: number;
  }
  | { readonly type: "error"; readonly source: string; readonly message: string }
  | { readonly type: "exit"; readonly exitCode?: number; readonly reason: string };

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
      return withOptional({ type: "accepted" as const }, { provider: str(e["provider"]) });
    case "start":
      return withOptional({ type: "start" as const }, { session: str(e["session"]), model: str(e["model"]) });
    case "text":
      return { type: "text", text: str(e["text"]) ?? "" };
    case "tool_use":
      return withOptional({ type: "tool_use" as const, id: str(e["id"]) ?? "", name: str(e["name"]) ?? "tool" },
        { input: e["input"] });
    case "tool_result":
      return withOptional({ type: "tool_result" as const, id: str(e["id"]) ?? "", isError: e["isError"] === true },
        { output: str(e["output"]) });
    case "result":
      return withOptional({ type: "result" as const, isError: e["isError"] === true }, {
        text: str(e["text"]), usage: usage(e["usage"]), costUsd: num(e["costUsd"]), durationMs: num(e["durationMs"]),
      });
    case "error":
      return { type: "error", source: str(e["source"]) ?? "agent", message: str(e["message"]) ?? "" };
    case "exit":
      return withOptional({ type: "exit" as const, reason: str(e["reason"]) ?? "unknown" }, { exitCode: num(e["exitCode"]) });
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

function usage(value: unknown): Usage | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  const u = value as Json;
  return withOptional({}, {
    inputTokens: num(u["inputTokens"]), outputTokens: num(u["outputTokens"]), cachedInputTokens: num(u["cachedInputTokens"]),
  });
}

/** Copies only the optional fields that are present, so "absent" stays absent (exactOptionalPropertyTypes). */
function withOptional<T extends object, O extends Record<string, unknown>>(
  base: T, optional: O,
): T & { [K in keyof O]?: Exclude<O[K], undefined> } {
  const out = { ...base } as Record<string, unknown>;
  for (const [key, value] of Object.entries(optional)) if (value !== undefined) out[key] = value;
  return out as T & { [K in keyof O]?: Exclude<O[K], undefined> };
}
