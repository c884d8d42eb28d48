// Follows one execution's encrypted output: reads length-prefixed frames off fetch()'s ReadableStream, opens them
// strictly in order with the job's output key, and yields the decoded events. A dropped connection resumes from the
// next sequence number this side needs, as `polydev run` does (src/Polydev.Client/Executions/
// ExecutionStreamFollower.cs); the output-stream format makes a dropped, replayed or reordered chunk fail, so a
// resumed stream is exactly the missing part.
import { OutputFrameSplitter, OutputStreamDecryptor, OutputStreamError } from "../../crypto/output-stream.ts";
import { decodeEvent, type AgentEvent } from "./events.ts";
import { isAbort, isFinished, type ExecutionsClient, type ExecutionStatus } from "./executions.ts";
import { RunError, streamFailureMessage } from "./words.ts";

/** The server says the execution ended, and no final chunk will come (cancelled, sandbox lost, …). */
export interface StoppedEvent {
  readonly type: "stopped";
  readonly state: ExecutionStatus["state"];
  readonly reason: string | null;
}

/** The page's own: the server allocated a sandbox for the run (from its warm pool or started cold). */
export interface AllocatedEvent {
  readonly type: "allocated";
  readonly warm: boolean;
}

export type RunEvent = AgentEvent | StoppedEvent | AllocatedEvent;

export interface FollowOptions {
  readonly signal?: AbortSignal;
  /** Reconnections after a dropped connection before giving up (ExecutionStreamFollower: 40). */
  readonly maxReconnects?: number;
  /** Waits between reconnections; tests pass one that does not wait. */
  readonly delay?: (milliseconds: number, signal?: AbortSignal) => Promise<void>;
}

/**
 * Yields the execution's events in order until its final chunk (an `exit` event), or a `stopped` event when the
 * server says it ended without one. Throws RunError when the output cannot be trusted (authentication or order
 * failures: the events already yielded stay valid) or the stream keeps breaking; throws the AbortError on abort.
 */
export async function* followOutput(
  client: ExecutionsClient, id: string, provider: string, outputKey: CryptoKey, options: FollowOptions = {},
): AsyncGenerator<RunEvent, void, undefined> {
  const { signal, maxReconnects = 40, delay = wait } = options;
  const decryptor = new OutputStreamDecryptor(outputKey);
  let reconnects = 0;
  while (true) {
    try {
      const body = await client.openStream(id, provider, decryptor.nextSequence, signal);
      const reader = body.getReader();
      const splitter = new OutputFrameSplitter();
      try {
        while (true) {
          const { done, value } = await reader.read();
          if (done) break;
          for (const frame of splitter.push(value)) {
            const chunk = await decryptor.open(frame);
            const event = decodeEvent(chunk.plaintext);
            if (event !== null) yield event;
            if (chunk.isFinal) return;
          }
        }
        splitter.end();
      } finally {
        reader.releaseLock();
        body.cancel().catch(() => undefined);
      }
    } catch (error) {
      if (isAbort(error) || signal?.aborted === true) throw error;
      if (!isDroppedConnection(error)) throw untrusted(error, provider);
      // A dropped connection: ask again from the next chunk this side needs.
    }

    if (++reconnects > maxReconnects) {
      throw new RunError("The answer's connection kept breaking. The run may still be going; reload the chat later to see what was saved.");
    }
    try {
      const status = await client.status(id, provider, signal);
      if (isFinished(status.state) && BigInt(status.chunks) <= decryptor.nextSequence) {
        yield { type: "stopped", state: status.state, reason: status.reason };
        return;
      }
    } catch (error) {
      if (isAbort(error)) throw error;
      // 404 means the execution is gone; any other failure (the server restarting, say) is worth another try.
      if (error instanceof RunError && error.status === 404) throw error;
    }
    await delay(Math.min(2000, 200 * reconnects), signal);
  }
}

/** Network failures (fetch's TypeError, including one mid-body) and a stream that ended inside or before a frame. */
function isDroppedConnection(error: unknown): boolean {
  if (error instanceof OutputStreamError) return error.failure === "truncated";
  if (error instanceof RunError) return error.status === null || error.status >= 500;
  return error instanceof TypeError;
}

function untrusted(error: unknown, provider: string): Error {
  if (error instanceof RunError) return error;
  if (error instanceof OutputStreamError || error instanceof SyntaxError) {
    return new RunError(streamFailureMessage(provider));
  }
  return error instanceof Error ? error : new Error(String(error));
}

function wait(milliseconds: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, milliseconds);
    signal?.addEventListener("abort", () => {
      clearTimeout(timer);
      reject(signal.reason instanceof Error ? signal.reason : new DOMException("Aborted", "AbortError"));
    }, { once: true });
  });
}
