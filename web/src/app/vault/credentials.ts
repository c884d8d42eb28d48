// Provider credentials (docs/vault.md, "Provider credential"): UTF-8 JSON sealed as credential.secret under the
// credential's own id. The provider stays in plain beside it, so the server can pick one without reading it.
import type { Api } from "../api/client.ts";
import type { CredentialResponse, Provider } from "../api/types.ts";
import type { Keys } from "../account/keys.ts";
import { openJson, RecordError, sealJson } from "./cipher.ts";
import { newId } from "./ids.ts";

export const apiKeyType = "api_key";

/** The plaintext. baseUrl and caBundle are optional: a provider endpoint to use instead of the provider's own
 * (e.g. a company gateway), and the PEM certificates to trust for it. */
export interface CredentialSecret {
  readonly label: string;
  readonly type: string;
  readonly secret: string;
  readonly baseUrl?: string;
  readonly caBundle?: string;
}

/** A stored credential as a page shows it: decrypted, or the reason it would not open. */
export type OpenedCredential =
  | { readonly id: string; readonly provider: string; readonly revision: number; readonly secret: CredentialSecret; readonly error?: undefined }
  | { readonly id: string; readonly provider: string; readonly revision: number; readonly secret?: undefined; readonly error: string };

/** Human words for a credential type. */
export function describeType(type: string): string {
  return type === apiKeyType ? "API key" : type;
}

function toPlaintext(secret: CredentialSecret): Record<string, string> {
  // Optional fields are written only when set, so a plain API key stays {"label","type","secret"} as the CLI writes it.
  const plaintext: Record<string, string> = { label: secret.label, type: secret.type, secret: secret.secret };
  if (secret.baseUrl) plaintext["baseUrl"] = secret.baseUrl;
  if (secret.caBundle) plaintext["caBundle"] = secret.caBundle;
  return plaintext;
}

function fromPlaintext(value: Record<string, unknown>): CredentialSecret {
  const { label, type, secret, baseUrl, caBundle } = value;
  if (typeof label !== "string" || typeof type !== "string" || typeof secret !== "string") {
    throw new RecordError("This credential lacks its label, type or secret.");
  }
  return {
    label, type, secret,
    ...(typeof baseUrl === "string" && baseUrl.length > 0 ? { baseUrl } : {}),
    ...(typeof caBundle === "string" && caBundle.length > 0 ? { caBundle } : {}),
  };
}

export async function openCredential(keys: Keys, credential: CredentialResponse): Promise<CredentialSecret> {
  return fromPlaintext(await openJson(keys, "credential.secret", credential.id, credential.secret, "credential"));
}

/** Every credential (of one provider, or all), decrypted here; one that does not open is listed with its error. */
export async function listCredentials(api: Api, keys: Keys, provider?: Provider, signal?: AbortSignal): Promise<OpenedCredential[]> {
  const stored = await api.listCredentials(provider, signal);
  return Promise.all(stored.map(async (c): Promise<OpenedCredential> => {
    try {
      return { id: c.id, provider: c.provider, revision: c.revision, secret: await openCredential(keys, c) };
    } catch (error) {
      return { id: c.id, provider: c.provider, revision: c.revision, error: error instanceof Error ? error.message : "It does not open." };
    }
  }));
}

export async function addCredential(api: Api, keys: Keys, provider: Provider, secret: CredentialSecret): Promise<CredentialResponse> {
  const id = newId();
  return api.createCredential({ id, provider, secret: await sealJson(keys, "credential.secret", id, toPlaintext(secret)) });
}
