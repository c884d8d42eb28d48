// Generated from the C# job and event contract (src/Polydev.Contracts/Jobs; docs/events.md) by
// tests/Polydev.Client.Tests/Contracts/TypeScriptContract.cs. Do not edit: change the C# types, then run
//   POLYDEV_REGENERATE=1 dotnet test tests/Polydev.Client.Tests --filter FullyQualifiedName~TypeScriptContract

/** The purpose the job is sealed under (`Job.SealedJobPurpose`). */
export const sealedJobPurpose = "execution.job";

/** The job format's version (`Job.CurrentVersion`). */
export const jobVersion = 1;

/** `JobCredential`. */
export type CredentialType = "api_key" | "credential_file";

/** `EventTypes`. */
export type EventType = "accepted" | "start" | "text" | "tool_use" | "tool_result" | "result" | "error" | "retry" | "exit" | "credential";

/** `ExitReasons`. */
export type ExitReason = "ok" | "timeout" | "output_limit" | "cli_error" | "killed";

/** `ErrorSources`. */
export type ErrorSource = "cli" | "stdout" | "stderr" | "agent";

/** `FailureKinds`. */
export type FailureKind = "credential_rejected" | "rate_limited" | "provider_error" | "provider_unreachable" | "egress_refused" | "cli_crashed" | "time_limit" | "output_limit" | "cancelled" | "sandbox_lost";

export interface Job {
  readonly version: number;
  readonly provider: string;
  readonly credential: JobCredential;
  readonly prompt: string;
  readonly history?: readonly JobTurn[];
  readonly options: JobOptions;
  readonly outputKey: string;
  readonly proxyUrl?: string;
  readonly baseUrl?: string;
  readonly caBundle?: string;
}

export interface JobCredential {
  readonly type: string;
  readonly value: string;
  readonly writeBackKey?: string;
}

export interface JobTurn {
  readonly role: string;
  readonly text: string;
}

export interface JobOptions {
  readonly model?: string;
  readonly timeLimitSeconds: number;
  readonly maxOutputBytes: number;
}

export interface AcceptedEvent {
  readonly type: "accepted";
  readonly provider: string;
}

export interface StartEvent {
  readonly type: "start";
  readonly model?: string;
  readonly session?: string;
}

export interface TextEvent {
  readonly type: "text";
  readonly text: string;
}

export interface ToolUseEvent {
  readonly type: "tool_use";
  readonly id: string;
  readonly name: string;
  readonly input?: unknown;
}

export interface ToolResultEvent {
  readonly type: "tool_result";
  readonly id: string;
  readonly output?: string;
  readonly isError: boolean;
}

export interface ResultEvent {
  readonly type: "result";
  readonly text?: string;
  readonly isError: boolean;
  readonly usage?: EventUsage;
  readonly costUsd?: number;
  readonly durationMs?: number;
}

export interface EventUsage {
  readonly inputTokens?: number;
  readonly outputTokens?: number;
  readonly cachedInputTokens?: number;
}

export interface ErrorEvent {
  readonly type: "error";
  readonly source: string;
  readonly message: string;
}

export interface RetryEvent {
  readonly type: "retry";
  readonly status?: number;
  readonly attempt?: number;
  readonly maxRetries?: number;
  readonly delayMs?: number;
  readonly message?: string;
}

export interface ExitEvent {
  readonly type: "exit";
  readonly exitCode?: number;
  readonly reason: string;
  readonly failure?: JobFailure;
  readonly timings?: JobTimings;
}

export interface JobFailure {
  readonly kind: string;
  readonly status?: number;
  readonly detail?: string;
}

export interface JobTimings {
  readonly credentialPlacedMs?: number;
  readonly cliSpawnedMs?: number;
  readonly cliStartedAhead?: boolean;
  readonly egressFirstByteMs?: number;
  readonly providerFirstByteMs?: number;
  readonly firstTextMs?: number;
  readonly endMs?: number;
}

export interface CredentialEvent {
  readonly type: "credential";
  readonly sealed: string;
}

/** One event, the plaintext of one output chunk; `type` says which. */
export type AgentEvent =
  | AcceptedEvent
  | StartEvent
  | TextEvent
  | ToolUseEvent
  | ToolResultEvent
  | ResultEvent
  | ErrorEvent
  | RetryEvent
  | ExitEvent
  | CredentialEvent;
