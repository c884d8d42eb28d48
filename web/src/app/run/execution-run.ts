// One prompt run by one provider, end to end blind: allocate a sandbox, seal the job to its one-job key, start
// it, follow the encrypted answer. Cancel stops the sandbox on the server; the stream then ends by itself with the
// agent's `exit` (reason `killed`) or the server's `cancelled`.
import type { ExecutionCreated, ExecutionsClient } from "./executions.ts";
import { followOutput, type FollowOptions, type RunEvent } from "./follow.ts";
import { sealJob, type CredentialType } from "./job.ts";

/** The decrypted credential a run uses (docs/vault.md credential plaintext, optional baseUrl/caBundle included). */
import type { CredentialName } from "./words.ts";
import type { JobTurn } from "./contract.generated.ts";

export interface RunCredential {
  readonly type: CredentialType;
  readonly secret: string;
  readonly baseUrl?: string | undefined;
  readonly caBundle?: string | undefined;
}

export interface RunRequest {
  readonly provider: string;
  readonly credential: RunCredential;
  readonly prompt: string;
  readonly model?: string | undefined;
  /** The credential as its owner knows it, for a failure's sentence ("the API key “work”"). */
  readonly credentialName?: CredentialName | undefined;
  /** The conversation so far in this provider's thread of the chat (run/history.ts). */
  readonly history?: readonly JobTurn[] | undefined;
}

export class ExecutionRun {
  private created: ExecutionCreated | null = null;
  private cancelRequested = false;
  private readonly abort = new AbortController();

  constructor(
    private readonly client: ExecutionsClient,
    readonly request: RunRequest,
    private readonly followOptions: Omit<FollowOptions, "signal"> = {},
  ) {}

  /** The execution's id once the server has allocated a sandbox. */
  get id(): string | null {
    return this.created?.id ?? null;
  }

  get isCancelRequested(): boolean {
    return this.cancelRequested;
  }

  /** Runs the prompt; yields the answer's events as they arrive. Throws RunError with words for the user. */
  async *events(): AsyncGenerator<RunEvent, void, undefined> {
    const { provider, credential, prompt, model, history } = this.request;
    const created = await this.client.create(provider, this.abort.signal);
    this.created = created;
    if (this.cancelRequested) {
      await this.client.cancel(created.id, provider);
      yield { type: "stopped", state: "cancelled", reason: "cancelled" };
      return;
    }
    yield { type: "allocated", warm: created.warm };
    const job = await sealJob({
      provider,
      credentialType: credential.type,
      credential: credential.secret,
      prompt,
      history,
      model,
      timeLimitSeconds: created.limits.maxRunSeconds,
      maxOutputBytes: 0,
      proxyUrl: created.proxyUrl,
      baseUrl: credential.baseUrl,
      caBundle: credential.caBundle,
    }, created.sandboxPublicKey);
    await this.client.start(created, job.sealedJob, this.abort.signal);
    yield* followOutput(this.client, created.id, provider, job.outputKey, { ...this.followOptions, signal: this.abort.signal });
  }

  /**
   * Asks the server to stop the run; the event stream ends on its own shortly after. Before the sandbox is
   * allocated, the run cancels itself as soon as it is.
   */
  async cancel(): Promise<void> {
    if (this.cancelRequested) return;
    this.cancelRequested = true;
    if (this.created !== null) await this.client.cancel(this.created.id, this.request.provider);
  }

  /** The page is going away (navigation, lock): stop reading and stop the sandbox, without waiting. */
  dispose(): void {
    this.cancel().catch(() => undefined);
    this.abort.abort();
  }
}
