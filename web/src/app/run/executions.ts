// The executions API (docs/executions.md) as the page uses it: allocate, start with a sealed job, follow the
// encrypted output, cancel, status. Every failure becomes a RunError whose message a user understands.
import { cannotReachServer, notUnderstood } from "../api/errors.ts";
import { problemMessage, RunError, type RunStep } from "./words.ts";

/**
 * What this client needs from the page's API layer (api/client.ts `Api.send` has this shape): a request against
 * the Polydev server with the session's bearer token, answering the successful Response. A failure throws an error
 * carrying the HTTP `status` (0 when no answer came) and the problem's `detail`.
 */
export interface ApiTransport {
  send(method: "GET" | "POST", path: string, body?: unknown, init?: { signal?: AbortSignal; accept?: string }): Promise<Response>;
}

export interface ExecutionLimits {
  readonly maxRunSeconds: number;
  readonly maxOutputBytes: number;
}

/** The create answer (ExecutionCreatedResponse). */
export interface ExecutionCreated {
  readonly id: string;
  readonly provider: string;
  readonly sandboxPublicKey: string;
  readonly proxyUrl: string;
  readonly warm: boolean;
  readonly startBy: string;
  readonly limits: ExecutionLimits;
}

/** An execution's metadata (ExecutionResponse); never its content. */
export interface ExecutionStatus {
  readonly id: string;
  readonly provider: string;
  readonly state: "allocated" | "running" | "succeeded" | "failed" | "cancelled";
  readonly reason: string | null;
  readonly warm: boolean;
  readonly exitCode: number | null;
  readonly outputBytes: number;
  readonly chunks: number;
}

export function isFinished(state: ExecutionStatus["state"]): boolean {
  return state === "succeeded" || state === "failed" || state === "cancelled";
}

const base = "/api/executions";

export class ExecutionsClient {
  constructor(private readonly api: ApiTransport) {}

  create(provider: string, signal?: AbortSignal): Promise<ExecutionCreated> {
    return this.json("create", provider, "POST", base, { provider }, signal);
  }

  start(execution: ExecutionCreated, sealedJob: string, signal?: AbortSignal): Promise<ExecutionStatus> {
    return this.json("start", execution.provider, "POST", `${base}/${execution.id}/start`, { sealedJob }, signal);
  }

  status(id: string, provider: string, signal?: AbortSignal): Promise<ExecutionStatus> {
    return this.json("status", provider, "GET", `${base}/${id}`, undefined, signal);
  }

  /** Stops the execution. One that has already ended (409) is not a failure: there is nothing left to stop. */
  async cancel(id: string, provider: string): Promise<void> {
    try {
      await this.json("cancel", provider, "POST", `${base}/${id}/cancel`, undefined);
    } catch (error) {
      if (error instanceof RunError && error.status === 409) return;
      throw error;
    }
  }

  /** The output frames from sequence `from` on, as a byte stream (application/vnd.polydev.output-stream). */
  async openStream(id: string, provider: string, from: bigint, signal?: AbortSignal): Promise<ReadableStream<Uint8Array>> {
    const response = await this.send("stream", provider, "GET", `${base}/${id}/stream?from=${from}`, undefined, signal, streamMediaType);
    if (response.body === null) throw new TypeError("The output stream response has no body.");
    return response.body;
  }

  private async json<T>(step: RunStep, provider: string, method: "GET" | "POST", path: string, body: unknown, signal?: AbortSignal): Promise<T> {
    const response = await this.send(step, provider, method, path, body, signal);
    try {
      return (await response.json()) as T;
    } catch (error) {
      if (isAbort(error)) throw error;
      throw new RunError(error instanceof SyntaxError ? notUnderstood : cannotReachServer);
    }
  }

  private async send(
    step: RunStep, provider: string, method: "GET" | "POST", path: string, body: unknown, signal?: AbortSignal, accept?: string,
  ): Promise<Response> {
    const init: { signal?: AbortSignal; accept?: string } = {};
    if (signal !== undefined) init.signal = signal;
    if (accept !== undefined) init.accept = accept;
    try {
      return await this.api.send(method, path, body, init);
    } catch (error) {
      if (isAbort(error) || signal?.aborted === true) throw error;
      const failure = asFailure(error);
      if (failure === null) throw error;
      if (failure.status === 0) throw new RunError(cannotReachServer);
      throw new RunError(problemMessage(step, failure.status, failure.detail ?? undefined, provider), failure.status);
    }
  }
}

const streamMediaType = "application/vnd.polydev.output-stream";

function asFailure(error: unknown): { status: number; detail: string | null } | null {
  if (typeof error !== "object" || error === null) return null;
  const { status, detail } = error as { status?: unknown; detail?: unknown };
  if (typeof status !== "number") return null;
  return { status, detail: typeof detail === "string" ? detail : null };
}

export function isAbort(error: unknown): boolean {
  return error instanceof DOMException && error.name === "AbortError";
}
