// The executions API (docs/executions.md) as the page uses it: allocate, start with a sealed job, follow the
// encrypted output, cancel, status. Every failure becomes a RunError whose message a user understands.
import { cannotReachServer, problemMessage, RunError, type RunStep } from "./words.ts";

/**
 * What this client needs from the page's API layer: fetch against the Polydev server with the session's bearer
 * token. Rejects (as fetch does) only when the server cannot be reached.
 */
export type AuthorizedFetch = (path: string, init?: RequestInit) => Promise<Response>;

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
  constructor(private readonly fetchApi: AuthorizedFetch) {}

  create(provider: string, signal?: AbortSignal): Promise<ExecutionCreated> {
    return this.json("create", provider, base, { method: "POST", body: JSON.stringify({ provider }) }, signal);
  }

  start(execution: ExecutionCreated, sealedJob: string, signal?: AbortSignal): Promise<ExecutionStatus> {
    return this.json("start", execution.provider, `${base}/${execution.id}/start`,
      { method: "POST", body: JSON.stringify({ sealedJob }) }, signal);
  }

  status(id: string, provider: string, signal?: AbortSignal): Promise<ExecutionStatus> {
    return this.json("status", provider, `${base}/${id}`, { method: "GET" }, signal);
  }

  /** Stops the execution. One that has already ended (409) is not a failure: there is nothing left to stop. */
  async cancel(id: string, provider: string): Promise<void> {
    try {
      await this.json("cancel", provider, `${base}/${id}/cancel`, { method: "POST" });
    } catch (error) {
      if (error instanceof RunError && error.status === 409) return;
      throw error;
    }
  }

  /** The output frames from sequence `from` on, as a byte stream (application/vnd.polydev.output-stream). */
  async openStream(id: string, provider: string, from: bigint, signal?: AbortSignal): Promise<ReadableStream<Uint8Array>> {
    const response = await this.send("stream", provider, `${base}/${id}/stream?from=${from}`,
      { method: "GET", headers: { Accept: "application/vnd.polydev.output-stream" } }, signal);
    if (response.body === null) throw new TypeError("The output stream response has no body.");
    return response.body;
  }

  private async json<T>(step: RunStep, provider: string, path: string, init: RequestInit, signal?: AbortSignal): Promise<T> {
    const headers: Record<string, string> = { Accept: "application/json" };
    if (init.body !== undefined) headers["Content-Type"] = "application/json";
    const response = await this.send(step, provider, path, { ...init, headers }, signal);
    return (await response.json()) as T;
  }

  private async send(step: RunStep, provider: string, path: string, init: RequestInit, signal?: AbortSignal): Promise<Response> {
    let response: Response;
    try {
      response = await this.fetchApi(path, signal === undefined ? init : { ...init, signal });
    } catch (error) {
      if (isAbort(error)) throw error;
      throw new RunError(cannotReachServer);
    }
    if (!response.ok) throw new RunError(problemMessage(step, response.status, await problemDetail(response), provider), response.status);
    return response;
  }
}

async function problemDetail(response: Response): Promise<string | undefined> {
  try {
    const body = (await response.json()) as { detail?: unknown };
    return typeof body.detail === "string" ? body.detail : undefined;
  } catch {
    return undefined;
  }
}

export function isAbort(error: unknown): boolean {
  return error instanceof DOMException && error.name === "AbortError";
}
