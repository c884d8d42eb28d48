// The job the sandbox agent runs (docs/events.md, "The job"), built and sealed here in the page, exactly as
// src/Polydev.Client/Executions/ExecutionJob.cs does: the credential, the prompt and the output key leave the page
// only inside a sealed box that the sandbox's one-job key opens. The base URL and the CA bundle are the user's
// choice (from the credential), never the server's, so a server cannot send the credential elsewhere.
import { fromBase64, importAesGcmKey, randomBytes, toBase64, utf8 } from "../../crypto/bytes.ts";
import { seal } from "../../crypto/sealed-box.ts";

export const sealedJobPurpose = "execution.job";
export const outputKeyLength = 32;

/** `api_key` (a provider API key) or `credential_file` (a CLI's own login file). */
export type CredentialType = "api_key" | "credential_file";

export interface JobInput {
  readonly provider: string;
  readonly credentialType: CredentialType;
  readonly credential: string;
  readonly prompt: string;
  readonly model?: string | undefined;
  /** 0 = the agent's default; callers pass the server's limit (ExecutionJob does the same). */
  readonly timeLimitSeconds: number;
  /** 0 = the agent's default. */
  readonly maxOutputBytes: number;
  readonly proxyUrl?: string | undefined;
  readonly baseUrl?: string | undefined;
  readonly caBundle?: string | undefined;
}

/**
 * The job's JSON, member for member what ExecutionJob writes (the agent refuses unknown members): optional
 * members are left out, never null.
 */
export function jobJson(input: JobInput, outputKey: Uint8Array): Record<string, unknown> {
  const options: Record<string, unknown> = {};
  if (input.model !== undefined) options["model"] = input.model;
  options["timeLimitSeconds"] = input.timeLimitSeconds;
  options["maxOutputBytes"] = input.maxOutputBytes;
  const job: Record<string, unknown> = {
    version: 1,
    provider: input.provider,
    credential: { type: input.credentialType, value: input.credential },
    prompt: input.prompt,
    options,
    outputKey: toBase64(outputKey),
  };
  if (input.proxyUrl !== undefined) job["proxyUrl"] = input.proxyUrl;
  if (input.baseUrl !== undefined) job["baseUrl"] = input.baseUrl;
  if (input.caBundle !== undefined) job["caBundle"] = input.caBundle;
  return job;
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
