// Which of the user's credentials a run can use. The list shows labels only; the secret is opened from its
// envelope at the moment of sending, goes into the sealed job, and is not kept by the page afterwards.
import { fromBase64 } from "../../crypto/bytes.ts";
import { openEnvelope } from "../../crypto/envelope.ts";
import type { Keys } from "../account/keys.ts";
import type { Api } from "../api/client.ts";
import type { CredentialResponse } from "../api/types.ts";
import type { RunCredential } from "./execution-run.ts";
import { isUsableBaseUrl, type CredentialType } from "./job.ts";
import { providerIds } from "./words.ts";

export interface CredentialOption {
  readonly id: string;
  readonly provider: string;
  readonly label: string;
  /** Still encrypted: opened again only when a run uses it. */
  readonly record: CredentialResponse;
}

/** The credential plaintext (docs/vault.md), with the optional baseUrl and caBundle. */
interface CredentialPlaintext {
  readonly label: string;
  readonly type: CredentialType;
  readonly secret: string;
  readonly baseUrl?: string;
  readonly caBundle?: string;
}

const decoder = new TextDecoder("utf-8", { fatal: true });

async function openPlaintext(keys: Keys, record: CredentialResponse): Promise<CredentialPlaintext | null> {
  let bytes: Uint8Array<ArrayBuffer>;
  try {
    bytes = await openEnvelope(keys.userKey, fromBase64(record.secret.envelope),
      { kind: "credential.secret", userId: keys.userId, recordId: record.id });
  } catch {
    return null;
  }
  try {
    const value = JSON.parse(decoder.decode(bytes)) as Record<string, unknown>;
    const type = value["type"];
    if ((type !== "api_key" && type !== "credential_file") || typeof value["secret"] !== "string") return null;
    const plaintext: { -readonly [K in keyof CredentialPlaintext]: CredentialPlaintext[K] } = {
      label: typeof value["label"] === "string" ? value["label"] : record.provider,
      type,
      secret: value["secret"],
    };
    if (typeof value["baseUrl"] === "string" && value["baseUrl"] !== "") plaintext.baseUrl = value["baseUrl"];
    if (typeof value["caBundle"] === "string" && value["caBundle"] !== "") plaintext.caBundle = value["caBundle"];
    return plaintext;
  } catch {
    return null;
  } finally {
    bytes.fill(0);
  }
}

/**
 * The user's usable credentials, by provider (Polydev's provider order), newest first within each: the default
 * is the newest, as `polydev run` picks. Credentials that do not open are left out.
 */
export async function loadCredentialOptions(api: Api, keys: Keys, signal?: AbortSignal): Promise<Map<string, CredentialOption[]>> {
  const records = await api.listCredentials(undefined, signal);
  const options = new Map<string, CredentialOption[]>();
  for (const provider of providerIds) options.set(provider, []);
  for (const record of [...records].sort((a, b) => b.createdAt.localeCompare(a.createdAt))) {
    const plaintext = await openPlaintext(keys, record);
    const list = options.get(record.provider);
    if (plaintext === null || list === undefined) continue;
    list.push({ id: record.id, provider: record.provider, label: plaintext.label, record });
  }
  return options;
}

/** Opens the chosen credential for one run. Null when it no longer opens (or its base URL is unusable). */
export async function openRunCredential(keys: Keys, option: CredentialOption): Promise<RunCredential | null> {
  const plaintext = await openPlaintext(keys, option.record);
  if (plaintext === null) return null;
  if (plaintext.baseUrl !== undefined && !isUsableBaseUrl(plaintext.baseUrl)) return null;
  return { type: plaintext.type, secret: plaintext.secret, baseUrl: plaintext.baseUrl, caBundle: plaintext.caBundle };
}
