// Which of the user's credentials a run can use. The list shows labels only; the secret is opened from its
// envelope again at the moment of sending, goes into the sealed job, and is not kept by the page afterwards. A
// connected account (type oauth) runs as the CLI's credential file, and keeps its record id so a refreshed file
// from the run can replace it.
import type { Keys } from "../account/keys.ts";
import type { Api } from "../api/client.ts";
import type { CredentialResponse } from "../api/types.ts";
import { jobCredentialType, oauthType, openCredential } from "../vault/credentials.ts";
import type { RunCredential } from "./execution-run.ts";
import { isUsableBaseUrl } from "./job.ts";
import { providerIds } from "./words.ts";

export interface CredentialOption {
  readonly id: string;
  readonly provider: string;
  readonly label: string;
  /** Still encrypted: opened again only when a run uses it. */
  readonly record: CredentialResponse;
}

/**
 * The user's usable credentials by provider (Polydev's provider order), newest first within each: the default is
 * the newest, as `polydev run` picks. Credentials that do not open, or whose type no CLI takes, are left out.
 */
export async function loadCredentialOptions(api: Api, keys: Keys, signal?: AbortSignal): Promise<Map<string, CredentialOption[]>> {
  const records = await api.listCredentials(undefined, signal);
  const options = new Map<string, CredentialOption[]>(providerIds.map((p) => [p, []]));
  for (const record of [...records].sort((a, b) => b.createdAt.localeCompare(a.createdAt))) {
    const list = options.get(record.provider);
    if (list === undefined) continue;
    try {
      const { label, type } = await openCredential(keys, record);
      if (jobCredentialType(type) !== null) list.push({ id: record.id, provider: record.provider, label, record });
    } catch {
      // Listed on the Providers page with its error; here it simply cannot be chosen.
    }
  }
  return options;
}

/** Opens the chosen credential for one run. Null when it no longer opens, or its base URL is not usable. */
export async function openRunCredential(keys: Keys, option: CredentialOption): Promise<RunCredential | null> {
  try {
    const { type, secret, baseUrl, caBundle } = await openCredential(keys, option.record);
    const jobType = jobCredentialType(type);
    if (jobType === null) return null;
    if (baseUrl !== undefined && !isUsableBaseUrl(baseUrl)) return null;
    return { type: jobType, secret, baseUrl, caBundle, ...(type === oauthType ? { recordId: option.id } : {}) };
  } catch {
    return null;
  }
}
