// A stand-in for the Polydev server's executions API in node tests: answers the page's fetch calls, opens the sealed
// job with the "sandbox" key (as the agent would), and serves the agent's events as sealed output frames.
import { concat, fromBase64, i2osp, importAesGcmKey, toBase64, utf8 } from "../src/crypto/bytes.ts";
import { sealOutputChunk } from "../src/crypto/output-stream.ts";
import { generateKeyPair, type P256KeyPair } from "../src/crypto/p256.ts";
import { open } from "../src/crypto/sealed-box.ts";
import type { ApiTransport } from "../src/app/run/executions.ts";

type AuthorizedFetch = (path: string, init?: RequestInit) => Promise<Response>;

export const executionId = "0199aaaa-bbbb-7ccc-8ddd-eeeeffff0000";

export interface Connection {
  /** Frames (with their length prefix) this connection delivers, as byte pieces. */
  pieces: Uint8Array[];
  /** How the connection ends after its pieces: cleanly, or with a network error. */
  end: "close" | "error";
}

export interface Request { method: string; path: string; body: string | undefined }

/** Length-prefixed frames of `events` (one chunk each, the last final), sealed under `key`. */
export async function sealedFrames(key: CryptoKey, events: readonly object[]): Promise<Uint8Array<ArrayBuffer>[]> {
  const frames: Uint8Array<ArrayBuffer>[] = [];
  for (let i = 0; i < events.length; i++) {
    const frame = await sealOutputChunk(key, BigInt(i), i === events.length - 1, utf8(JSON.stringify(events[i])));
    frames.push(concat(i2osp(frame.length, 4), frame));
  }
  return frames;
}

export function bodyOf(connection: Connection): ReadableStream<Uint8Array> {
  let index = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      const piece = connection.pieces[index++];
      if (piece !== undefined) controller.enqueue(piece);
      else if (connection.end === "error") controller.error(new TypeError("network error"));
      else controller.close();
    },
  });
}

export function problem(status: number, detail: string): Response {
  return new Response(JSON.stringify({ status, detail }), { status, headers: { "Content-Type": "application/problem+json" } });
}

export class FakeExecutionsServer {
  readonly requests: Request[] = [];
  sandbox!: P256KeyPair;
  /** The job as the agent would see it after opening the sealed box. */
  job: Record<string, any> | undefined;
  /** Answers for create; the default allocates a sandbox. */
  createAnswer: (() => Response) | undefined;
  /** Given the output key from the job and the `from` asked for, what each stream request gets. */
  connections: ((outputKey: CryptoKey, from: number) => Promise<Connection>)[] = [];
  statusAnswer: { state: string; reason: string | null; chunks: number } = { state: "running", reason: null, chunks: 0 };
  cancelStatus = 200;

  static async create(): Promise<FakeExecutionsServer> {
    const server = new FakeExecutionsServer();
    server.sandbox = await generateKeyPair();
    return server;
  }

  readonly fetch: AuthorizedFetch = async (path, init) => {
    const method = init?.method ?? "GET";
    const body = typeof init?.body === "string" ? init.body : undefined;
    this.requests.push({ method, path, body });
    if (init?.signal?.aborted) throw new DOMException("Aborted", "AbortError");
    const base = `/api/executions`;
    if (method === "POST" && path === base) {
      if (this.createAnswer) return this.createAnswer();
      return Response.json({
        id: executionId, provider: JSON.parse(body!).provider, sandboxPublicKey: toBase64(this.sandbox.publicKey),
        proxyUrl: "http://exec:tok@10.217.0.1:10001", warm: true, startBy: "2030-01-01T00:00:00Z",
        limits: { maxRunSeconds: 900, maxOutputBytes: 33554432 },
      }, { status: 201 });
    }
    if (method === "POST" && path === `${base}/${executionId}/start`) {
      const sealed = fromBase64(JSON.parse(body!).sealedJob);
      this.job = JSON.parse(new TextDecoder().decode(await open(this.sandbox, sealed, "execution.job")));
      return Response.json(this.status("running"));
    }
    if (method === "POST" && path === `${base}/${executionId}/cancel`) {
      if (this.cancelStatus !== 200) return problem(this.cancelStatus, "The execution already ended (succeeded).");
      this.statusAnswer = { ...this.statusAnswer, state: "cancelled", reason: "cancelled" };
      return Response.json(this.status("cancelled"));
    }
    if (method === "GET" && path.startsWith(`${base}/${executionId}/stream?from=`)) {
      const from = Number(path.split("from=")[1]);
      const next = this.connections.shift();
      if (next === undefined) throw new Error(`unexpected stream request from=${from}`);
      const outputKey = await importAesGcmKey(fromBase64(this.job!.outputKey));
      return new Response(bodyOf(await next(outputKey, from)), { headers: { "Content-Type": "application/vnd.polydev.output-stream" } });
    }
    if (method === "GET" && path === `${base}/${executionId}`) {
      return Response.json(this.status(this.statusAnswer.state));
    }
    return problem(404, "No execution with this id.");
  };

  /** The page's API layer over this server, failing as api/client.ts does: HTTP status and problem detail, 0 = no answer. */
  readonly transport: ApiTransport = {
    send: async (method, path, body, init = {}) => {
      const request: RequestInit = { method, headers: { Accept: init.accept ?? "application/json" } };
      if (body !== undefined) request.body = JSON.stringify(body);
      if (init.signal) request.signal = init.signal;
      let response: Response;
      try {
        response = await this.fetch(path, request);
      } catch (error) {
        if (init.signal?.aborted) throw error;
        throw Object.assign(new Error("no answer"), { status: 0, detail: null });
      }
      if (response.ok) return response;
      const problem = (await response.json()) as { detail?: string };
      throw Object.assign(new Error(problem.detail ?? "failed"), { status: response.status, detail: problem.detail ?? null });
    },
  };

  private status(state: string) {
    return {
      id: executionId, provider: "anthropic", state, reason: this.statusAnswer.reason, warm: true, exitCode: null,
      outputBytes: 0, chunks: this.statusAnswer.chunks, createdAt: "2030-01-01T00:00:00Z", startedAt: null, finishedAt: null,
    };
  }

  get streamRequests(): string[] {
    return this.requests.filter((r) => r.path.includes("/stream")).map((r) => r.path.split("?")[1]!);
  }
}
