// Provider credentials (docs/vault.md, "Provider credential"): UTF-8 JSON sealed as credential.secret under the
// credential's own id. The provider stays in plain beside it, so the server can pick one without reading it.
import type { Api } from "../api/client.ts";
import type { CredentialResponse, Provider } from "../api/types.ts";
import type { Keys } from "../account/keys.ts";
import type { CredentialType } from "../run/contract.generated.ts";
import { openJson, RecordError, sealJson } from "./cipher.ts";
import { newId } from "./ids.ts";

export const apiKeyType = "api_key";

/** A provider account connected by its CLI's own login: `secret` is the CLI's credential file (CredentialSecret.OAuth). */
export const oauthType = "oauth";

/** The plaintext. baseUrl and caBundle are optional: a provider endpoint to use instead of the provider's own
 * (e.g. a company gateway), and the PEM certificates to trust for it. account, expiresAt and refreshable describe an
 * OAuth credential (src/Polydev.Client/Vault/CredentialSecret.cs). */
export interface CredentialSecret {
  readonly label: string;
  readonly type: string;
  readonly secret: string;
  readonly baseUrl?: string;
  readonly caBundle?: string;
  /** The account's e-mail or id, as the CLI's files name it. */
  readonly account?: string;
  /** When the access token in the file expires (ISO 8601, as written). */
  readonly expiresAt?: string;
  /** The file holds a refresh token: the CLI renews an expired access token by itself. */
  readonly refreshable?: boolean;
}

/** A stored credential as a page shows it: decrypted, or the reason it would not open. */
export type OpenedCredential =
  | { readonly id: string; readonly provider: string; readonly revision: number; readonly secret: CredentialSecret; readonly error?: undefined }
  | { readonly id: string; readonly provider: string; readonly revision: number; readonly secret?: undefined; readonly error: string };

/** Human words for a credential type. */
export function describeType(type: string): string {
  return type === apiKeyType ? "API key" : type === oauthType ? "Connected account" : type;
}

/** What a sealed job carries for a stored type (CredentialSecret.JobType): an OAuth credential is the CLI's own file. */
export function jobCredentialType(type: string): CredentialType | null {
  if (type === oauthType || type === "credential_file") return "credential_file";
  return type === apiKeyType ? "api_key" : null;
}

export function toPlaintext(secret: CredentialSecret): Record<string, string | boolean> {
  // Optional fields are written only when set, so a plain API key stays {"label","type","secret"} as the CLI writes
  // it; refreshable only when true, as the C# client leaves out a false one.
  const plaintext: Record<string, string | boolean> = { label: secret.label, type: secret.type, secret: secret.secret };
  if (secret.baseUrl) plaintext["baseUrl"] = secret.baseUrl;
  if (secret.caBundle) plaintext["caBundle"] = secret.caBundle;
  if (secret.account) plaintext["account"] = secret.account;
  if (secret.expiresAt) plaintext["expiresAt"] = secret.expiresAt;
  if (secret.refreshable === true) plaintext["refreshable"] = true;
  return plaintext;
}

function fromPlaintext(value: Record<string, unknown>): CredentialSecret {
  const { label, type, secret, baseUrl, caBundle, account, expiresAt, refreshable } = value;
  if (typeof label !== "string" || typeof type !== "string" || typeof secret !== "string") {
    throw new RecordError("This credential lacks its label, type or secret.");
  }
  return {
    label, type, secret,
    ...(typeof baseUrl === "string" && baseUrl.length > 0 ? { baseUrl } : {}),
    ...(typeof caBundle === "string" && caBundle.length > 0 ? { caBundle } : {}),
    ...(typeof account === "string" && account.length > 0 ? { account } : {}),
    ...(typeof expiresAt === "string" && isIsoTime(expiresAt) ? { expiresAt } : {}),
    ...(refreshable === true ? { refreshable } : {}),
  };
}

/** An ISO 8601 date and time with its offset, as System.Text.Json writes a DateTimeOffset (and toISOString). */
export function isIsoTime(text: string): boolean {
  return /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,7})?)?(Z|[+-]\d{2}:\d{2})$/.test(text) && !Number.isNaN(Date.parse(text));
}

/**
 * Opens a credential bound to its provider (issue 13): one the server relabelled as another provider's does not open.
 * One sealed before credentials were bound opens too, marked legacy.
 */
async function openCredentialRecord(
  keys: Keys, credential: CredentialResponse, provider: string = credential.provider,
): Promise<{ secret: CredentialSecret; legacy: boolean }> {
  try {
    return { secret: fromPlaintext(await openJson(keys, "credential.secret", credential.id, credential.secret, "credential", provider)), legacy: false };
  } catch {
    return { secret: fromPlaintext(await openJson(keys, "credential.secret", credential.id, credential.secret, "credential")), legacy: true };
  }
}

/** Opens a credential as `provider`'s (by default the one the server lists it under). */
export async function openCredential(keys: Keys, credential: CredentialResponse, provider?: string): Promise<CredentialSecret> {
  return (await openCredentialRecord(keys, credential, provider)).secret;
}

/** Every credential (of one provider, or all), decrypted here; one that does not open is listed with its error. */
export async function listCredentials(api: Api, keys: Keys, provider?: Provider, signal?: AbortSignal): Promise<OpenedCredential[]> {
  const stored = await api.listCredentials(provider, signal);
  return Promise.all(stored.map(async (c): Promise<OpenedCredential> => {
    try {
      const { secret, legacy } = await openCredentialRecord(keys, c);
      if (legacy) {
        // Sealed before credentials were bound to their provider: re-sealed bound, in place (a changed one waits).
        await api.updateCredential(c.id, { secret: await sealCredential(keys, c.id, c.provider as Provider, secret), revision: c.revision })
          .then((saved) => { c = saved; }, () => undefined);
      }
      return { id: c.id, provider: c.provider, revision: c.revision, secret };
    } catch (error) {
      return { id: c.id, provider: c.provider, revision: c.revision, error: error instanceof Error ? error.message : "It does not open." };
    }
  }));
}

export async function addCredential(api: Api, keys: Keys, provider: Provider, secret: CredentialSecret): Promise<CredentialResponse> {
  const id = newId();
  return api.createCredential({ id, provider, secret: await sealCredential(keys, id, provider, secret) });
}

/** Seals the plaintext bound to its provider (issue 13): the server cannot relabel it as another provider's. */
export function sealCredential(keys: Keys, id: string, provider: Provider, secret: CredentialSecret) {
  return sealJson(keys, "credential.secret", id, toPlaintext(secret), provider);
}
