// One prompt run by one provider, end to end blind: allocate a sandbox, seal the job to its one-job key, start
// it, follow the encrypted answer. Cancel stops the sandbox on the server; the stream then ends by itself with the
// agent's `exit` (reason `killed`) or the server's `cancelled`. A run with a connected account may send the CLI's
// refreshed credential file back (a `credential` event), which is stored once the run ends, as ExecutionRunner does.
import type { ExecutionCreated, ExecutionsClient } from "./executions.ts";
import { followOutput, type FollowOptions, type RunEvent } from "./follow.ts";
import { sealJob, type CredentialType } from "./job.ts";

/** The decrypted credential a run uses (docs/vault.md credential plaintext, optional baseUrl/caBundle included). */
import type { CredentialName } from "./words.ts";
import type { JobTurn } from "./contract.generated.ts";

export interface RunCredential {
  /** The job's type: an OAuth credential runs as `credential_file`. */
  readonly type: CredentialType;
  readonly secret: string;
  readonly baseUrl?: string | undefined;
  readonly caBundle?: string | undefined;
  /** An OAuth credential's vault record: a refreshed file from the run replaces it. Absent for an API key. */
  readonly recordId?: string | undefined;
}

/** Where a run's refreshed OAuth credential goes; without one, no write-back is asked for. */
export interface CredentialWriteBack {
  /** The user's own public key (65 bytes), from the private key the page holds: the agent seals the new file to it. */
  readonly publicKey: Uint8Array;
  /** Opens the `credential` event's sealed box and stores it in place of record `recordId`; false when a newer one was stored. */
  store(provider: string, recordId: string, sealed: string): Promise<boolean>;
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
  readonly writeBack?: CredentialWriteBack | undefined;
}

export class ExecutionRun {
  private created: ExecutionCreated | null = null;
  private cancelRequested = false;
  private readonly abort = new AbortController();
  /** The last `credential` event's sealed box: the newest file the CLI wrote. */
  private refreshed: string | null = null;

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
    const { provider, credential, prompt, model, history, writeBack } = this.request;
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
      // Only for an OAuth credential whose record is known (ExecutionRunner.JobFor): there is nowhere else to store it.
      writeBackKey: credential.recordId !== undefined && writeBack !== undefined ? writeBack.publicKey : undefined,
    }, created.sandboxPublicKey);
    await this.client.start(created, job.sealedJob, this.abort.signal);
    for await (const event of followOutput(this.client, created.id, provider, job.outputKey, { ...this.followOptions, signal: this.abort.signal })) {
      if (event.type === "credential") this.refreshed = event.sealed;
      yield event;
    }
  }

  /**
   * Stores the credential the run refreshed, once it has ended: true when stored, false when a newer one was stored
   * already, null when there was nothing to store (or the page went away, taking the keys with it).
   */
  async storeRefreshed(): Promise<boolean | null> {
    const { provider, credential, writeBack } = this.request;
    if (this.refreshed === null || credential.recordId === undefined || writeBack === undefined || this.abort.signal.aborted) return null;
    const sealed = this.refreshed;
    this.refreshed = null;
    return writeBack.store(provider, credential.recordId, sealed);
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
