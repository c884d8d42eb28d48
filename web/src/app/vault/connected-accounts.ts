// OAuth credentials in the vault, as src/Polydev.Client/Vault/ConnectedAccounts.cs keeps them: a CLI's credential file
// captured by a login session, or rewritten by a run that refreshed its token. Opens what the sandbox sealed to the
// user, checks it is the expected provider's, and stores it under the user key (docs/vault.md, "Provider
// credential"). The server only ever relays and stores ciphertext.
import type { Keys } from "../account/keys.ts";
import type { Api } from "../api/client.ts";
import { ApiError, UserFacingError } from "../api/errors.ts";
import type { Provider } from "../api/types.ts";
import { fromBase64 } from "../../crypto/bytes.ts";
import { openCapture as openCaptureBox } from "../../crypto/credential-capture.ts";
import { open as openSealedBox } from "../../crypto/sealed-box.ts";
import type { P256KeyPair } from "../../crypto/p256.ts";
import { isIsoTime, oauthType, openCredential, sealCredential, type CredentialSecret } from "./credentials.ts";
import { newId } from "./ids.ts";

/** The sealed box's purpose of a run's `credential` event (CredentialEvent.SealedPurpose). */
export const refreshPurpose = "credential.refresh";

/** LoginCapturedCredential: the CLI's credential file and what the agent read from it. */
export interface CapturedCredential {
  readonly version: number;
  readonly provider: string;
  readonly file: string;
  readonly account: string | null;
  readonly expiresAt: string | null;
  readonly refreshable: boolean;
}

/** What storing and replacing need of the API (the page's Api; a fake in tests). */
export type CredentialRecords = Pick<Api, "createCredential" | "getCredential" | "updateCredential">;

const members = new Set(["version", "provider", "file", "account", "expiresAt", "refreshable"]);
const notReadable = "The captured credential is not in a form this page reads. Nothing was stored.";

/**
 * Reads a capture's plaintext the way the C# client does (LoginJsonContext): unknown members refused, version 1 (the
 * default when absent), a non-empty file, and the provider this page asked for.
 */
export function parseCapturedCredential(plaintext: Uint8Array, provider: string): CapturedCredential {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(plaintext));
  } catch {
    throw new UserFacingError(notReadable);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw new UserFacingError(notReadable);
  const v = value as Record<string, unknown>;
  const { version = 1, provider: captured = "", file, account = null, expiresAt = null, refreshable = false } = v;
  if (Object.keys(v).some((key) => !members.has(key))
    || version !== 1 || typeof captured !== "string" || typeof file !== "string" || file.length === 0
    || (account !== null && typeof account !== "string")
    || (expiresAt !== null && (typeof expiresAt !== "string" || !isIsoTime(expiresAt)))
    || typeof refreshable !== "boolean") {
    throw new UserFacingError(notReadable);
  }
  if (captured !== provider) {
    throw new UserFacingError(`The captured credential is ${captured || "no provider"}'s, not ${provider}'s. Nothing was stored.`);
  }
  return { version, provider: captured, file, account, expiresAt, refreshable };
}

/** Opens a login session's capture: its tag must verify under `proofKey`, then the box under the user's private key. */
export async function openCapture(keys: P256KeyPair, sealedCapture: string, proofKey: Uint8Array<ArrayBuffer>, provider: string): Promise<CapturedCredential> {
  let plaintext: Uint8Array<ArrayBuffer>;
  try {
    plaintext = await openCaptureBox(keys, proofKey, fromBase64(sealedCapture));
  } catch {
    throw new UserFacingError("The captured credential did not come from the login sandbox this page opened (or was changed on the way). Nothing was stored.");
  }
  try {
    return parseCapturedCredential(plaintext, provider);
  } finally {
    plaintext.fill(0);
  }
}

/** Opens a run's write-back (a `credential` event), sealed to the user with purpose credential.refresh. */
export async function openRefresh(keys: P256KeyPair, sealed: string, provider: string): Promise<CapturedCredential> {
  let plaintext: Uint8Array<ArrayBuffer>;
  try {
    plaintext = await openSealedBox(keys, fromBase64(sealed), refreshPurpose);
  } catch {
    throw new UserFacingError("The run's refreshed credential does not open with your key.");
  }
  try {
    return parseCapturedCredential(plaintext, provider);
  } finally {
    plaintext.fill(0);
  }
}

/** The vault plaintext of an OAuth credential (CredentialSecret with type oauth). */
export function toSecret(captured: CapturedCredential, label: string): CredentialSecret {
  return {
    label, type: oauthType, secret: captured.file,
    ...(captured.account !== null ? { account: captured.account } : {}),
    ...(captured.expiresAt !== null ? { expiresAt: captured.expiresAt } : {}),
    ...(captured.refreshable ? { refreshable: true } : {}),
  };
}

/** Stores a newly connected account as a new credential, labelled by its account (or its provider). */
export async function storeConnected(
  api: CredentialRecords, keys: Keys, captured: CapturedCredential, label?: string,
): Promise<{ id: string; secret: CredentialSecret }> {
  const secret = toSecret(captured, label || captured.account || captured.provider);
  const id = newId();
  const provider = captured.provider as Provider;
  await api.createCredential({ id, provider, secret: await sealCredential(keys, id, provider, secret) });
  return { id, secret };
}

const replaceAttempts = 3;

/**
 * Replaces credential `id` with a run's refreshed file. The stored revision guards the write: when another run stored
 * first (409), the newer expiry wins — this one is written only if it expires later than what is stored now. Returns
 * whether it was written.
 */
export async function replaceRefreshed(api: CredentialRecords, keys: Keys, id: string, refreshed: CapturedCredential): Promise<boolean> {
  for (let attempt = 0; attempt < replaceAttempts; attempt++) {
    const stored = await api.getCredential(id);
    // Opened as the provider the run used, not as the server labels it: a relabelled credential does not open.
    const current = await openCredential(keys, stored, refreshed.provider);
    if (current.type !== oauthType) return false;
    // Another run may have stored a newer refresh already: the newer expiry wins.
    if (current.secret === refreshed.file
      || (current.expiresAt !== undefined && refreshed.expiresAt !== null && Date.parse(current.expiresAt) >= Date.parse(refreshed.expiresAt))) {
      return false;
    }
    // The user's label and endpoint stay; the file and what describes it are the run's.
    const replacement: CredentialSecret = {
      ...toSecret(refreshed, current.label),
      ...(current.baseUrl !== undefined ? { baseUrl: current.baseUrl } : {}),
      ...(current.caBundle !== undefined ? { caBundle: current.caBundle } : {}),
    };
    try {
      await api.updateCredential(id, { secret: await sealCredential(keys, id, refreshed.provider as Provider, replacement), revision: stored.revision });
      return true;
    } catch (error) {
      // Another run wrote between our read and our write: read again and compare expiries.
      if (!(error instanceof ApiError && error.status === 409)) throw error;
    }
  }
  return false;
}
