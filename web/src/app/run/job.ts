// The job the sandbox agent runs (docs/events.md, "The job"), built and sealed here in the page, as
// src/Polydev.Client/Executions/ExecutionRunner.cs does: the credential, the prompt and the output key leave the page
// only inside a sealed box that the sandbox's one-job key opens. The base URL and the CA bundle are the user's
// choice (from the credential), never the server's, so a server cannot send the credential elsewhere. The job's type
// is generated from the C# contract (src/Polydev.Contracts/Jobs) that the agent reads it with.
import { fromBase64, importAesGcmKey, randomBytes, toBase64, utf8 } from "../../crypto/bytes.ts";
import { seal } from "../../crypto/sealed-box.ts";
import {
  jobVersion, sealedJobPurpose, type CredentialType, type Job, type JobCredential, type JobOptions, type JobTurn,
} from "./contract.generated.ts";
import { present } from "./contract.ts";

export { sealedJobPurpose, type CredentialType };
export const outputKeyLength = 32;

export interface JobInput {
  readonly provider: string;
  readonly credentialType: CredentialType;
  readonly credential: string;
  readonly prompt: string;
  /** The conversation so far in this provider's thread (run/history.ts); none for a first turn. */
  readonly history?: readonly JobTurn[] | undefined;
  readonly model?: string | undefined;
  /** 0 = the agent's default; callers pass the server's limit (ExecutionRunner does the same). */
  readonly timeLimitSeconds: number;
  /** 0 = the agent's default. */
  readonly maxOutputBytes: number;
  readonly proxyUrl?: string | undefined;
  readonly baseUrl?: string | undefined;
  readonly caBundle?: string | undefined;
  /**
   * For an OAuth credential whose vault record is known: the user's own public key (65 bytes). When the CLI rewrites
   * its credential file during the run, the agent seals the new one to it in a `credential` event.
   */
  readonly writeBackKey?: Uint8Array | undefined;
}

/**
 * The job's JSON (the agent refuses unknown members): every member of the contract's `Job` named, optional members
 * left out, never null.
 */
export function jobJson(input: JobInput, outputKey: Uint8Array): Job {
  return present<Job>({
    version: jobVersion,
    provider: input.provider,
    credential: present<JobCredential>({
      type: input.credentialType, value: input.credential,
      writeBackKey: input.writeBackKey === undefined ? undefined : toBase64(input.writeBackKey),
    }),
    prompt: input.prompt,
    history: input.history !== undefined && input.history.length > 0 ? input.history : undefined,
    options: present<JobOptions>({
      model: input.model, timeLimitSeconds: input.timeLimitSeconds, maxOutputBytes: input.maxOutputBytes,
    }),
    outputKey: toBase64(outputKey),
    proxyUrl: input.proxyUrl,
    baseUrl: input.baseUrl,
    caBundle: input.caBundle,
  });
}

export interface SealedJob {
  /** The sealed box, base64, for `POST /api/executions/{id}/start`. */
  readonly sealedJob: string;
  /** The job's output key as a non-extractable AES-GCM key: the only way to read this execution's output. */
  readonly outputKey: CryptoKey;
}

/**
 * Makes a fresh output key, seals the job to the sandbox's public key (base64 of the 65-byte point, as the create
 * answer gives it) and wipes the plaintext bytes it made. A JavaScript string cannot be wiped; the job's JSON
 * text lives only as long as this call.
 */
export async function sealJob(input: JobInput, sandboxPublicKey: string): Promise<SealedJob> {
  const keyBytes = randomBytes(outputKeyLength);
  const plaintext = utf8(JSON.stringify(jobJson(input, keyBytes)));
  try {
    const box = await seal(fromBase64(sandboxPublicKey), plaintext, sealedJobPurpose);
    return { sealedJob: toBase64(box), outputKey: await importAesGcmKey(keyBytes) };
  } finally {
    plaintext.fill(0);
    keyBytes.fill(0);
  }
}

/** Checks a base URL the way `polydev run --base-url` does: absolute, http or https, no user information. */
export function isUsableBaseUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return (url.protocol === "http:" || url.protocol === "https:") && url.username === "" && url.password === "";
  } catch {
    return false;
  }
}
