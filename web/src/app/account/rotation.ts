// Key rotation (docs/crypto.md, "Key rotation"), as src/Polydev.Client/Keys/KeyRotation.cs does it: a fresh userKey,
// key pair and recovery code, and every vault record opened under the old userKey and re-sealed, bound, under the new
// one — sent as one request the server stores in one transaction or not at all. Whoever knew the old userKey (an old
// recovery code's holder, a stolen device) opens nothing stored from then on.
import type { Api } from "../api/client.ts";
import { ApiError } from "../api/errors.ts";
import type * as T from "../api/types.ts";
import { openBytes, RecordError, sealBytes } from "../vault/cipher.ts";
import type { EnvelopeKind } from "../../crypto/index.ts";
import type { Keys } from "./keys.ts";
import { newKeySet, type RotationProof } from "./protocol.ts";

/** Another device writing meanwhile makes the server refuse (409); the vault is read again this often in all. */
const attempts = 3;

export interface Rotated {
  /** The new keys: the shell holds these from now on. */
  readonly keys: Keys;
  /** The new recovery code's display form: shown once, never stored or logged. */
  readonly recoveryCode: string;
  /** How many vault records were re-sealed. */
  readonly records: number;
  readonly account: T.AccountKeysResponse;
}

export async function rotateKeys(api: Api, current: Keys, proof: RotationProof, signal?: AbortSignal): Promise<Rotated> {
  const next = await newKeySet(current.userId, proof.kek);
  for (let attempt = 1; ; attempt++) {
    const vault = await resealVault(api, current, next.keys, signal);
    try {
      const account = await api.rotateKeys({
        currentAuthKey: proof.currentAuthKey, userKey: next.userKey, publicKey: next.publicKey, privateKey: next.privateKey,
        recovery: next.recovery.dto, ...vault, newPassword: proof.newPassword,
      }, signal);
      return { keys: next.keys, recoveryCode: next.recovery.code, records: vault.chats.length + vault.messages.length + vault.credentials.length, account };
    } catch (error) {
      if (!(error instanceof ApiError && error.status === 409 && attempt < attempts)) throw error;
    }
  }
}

/** Every chat title, message and credential, opened with `from` and sealed with `to`. */
async function resealVault(api: Api, from: Keys, to: Keys, signal?: AbortSignal) {
  const chats: T.ResealedRecord[] = [];
  const messages: T.ResealedRecord[] = [];
  for (const chat of await api.listChats(signal)) {
    chats.push(await reseal(from, to, "chat.title", chat.id, chat.revision, chat.title, "chat title"));
    for (const message of await api.listMessages(chat.id, signal)) {
      messages.push(await reseal(from, to, "chat.message", message.id, message.revision, message.body, "message", chat.id));
    }
  }
  const credentials: T.ResealedRecord[] = [];
  for (const credential of await api.listCredentials(undefined, signal)) {
    credentials.push(await reseal(from, to, "credential.secret", credential.id, credential.revision, credential.secret, "credential", credential.provider));
  }
  return { chats, messages, credentials };
}

/**
 * One record re-sealed. One sealed before records were bound (issue 13) opens unbound and is sealed bound, like
 * every other; one that opens neither way stops the rotation, which changes nothing.
 */
async function reseal(
  from: Keys, to: Keys, kind: EnvelopeKind, id: string, revision: number, value: T.EncryptedValue, what: string, binding?: string,
): Promise<T.ResealedRecord> {
  let plaintext: Uint8Array<ArrayBuffer>;
  try {
    plaintext = await openBytes(from, kind, id, value, what, binding);
  } catch {
    try {
      plaintext = await openBytes(from, kind, id, value, what);
    } catch {
      throw new RecordError(`A ${what} in your vault (${id}) does not decrypt with your key, so nothing was rotated. Delete it, then try again.`);
    }
  }
  try {
    return { id, revision, value: await sealBytes(to, kind, id, plaintext, binding) };
  } finally {
    plaintext.fill(0);
  }
}
