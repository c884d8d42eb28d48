// Seals and opens vault records under userKey (docs/vault.md). Every envelope is bound to (kind, user, record id);
// opening uses the context the page asked for, never the labels the server sends beside the envelope, so a
// ciphertext moved to another record fails instead of showing in the wrong place.
import { fromBase64, openEnvelope, sealEnvelope, toBase64, utf8, type EnvelopeKind } from "../../crypto/index.ts";
import { UserFacingError } from "../api/errors.ts";
import type { EncryptedValue } from "../api/types.ts";
import type { Keys } from "../account/keys.ts";

/** A record that does not open: altered, moved, or sealed by someone else. */
export class RecordError extends UserFacingError {
  override name = "RecordError";
}

export async function sealBytes(
  keys: Keys, kind: EnvelopeKind, recordId: string, plaintext: Uint8Array<ArrayBuffer>, binding?: string,
): Promise<EncryptedValue> {
  const envelope = await sealEnvelope(keys.userKey, plaintext, { kind, userId: keys.userId, recordId, ...(binding === undefined ? {} : { binding }) });
  return { kind, recordId, envelope: toBase64(envelope) };
}

export async function openBytes(
  keys: Keys, kind: EnvelopeKind, recordId: string, value: EncryptedValue, what: string, binding?: string,
): Promise<Uint8Array<ArrayBuffer>> {
  try {
    return await openEnvelope(keys.userKey, fromBase64(value.envelope), { kind, userId: keys.userId, recordId, ...(binding === undefined ? {} : { binding }) });
  } catch {
    throw new RecordError(`This ${what} does not decrypt with your key: it was altered or is not yours.`);
  }
}

export function sealText(keys: Keys, kind: EnvelopeKind, recordId: string, text: string, binding?: string): Promise<EncryptedValue> {
  return sealBytes(keys, kind, recordId, utf8(text), binding);
}

export async function openText(keys: Keys, kind: EnvelopeKind, recordId: string, value: EncryptedValue, what: string, binding?: string): Promise<string> {
  const bytes = await openBytes(keys, kind, recordId, value, what, binding);
  try {
    return new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    throw new RecordError(`This ${what} is not valid text.`);
  } finally {
    bytes.fill(0);
  }
}

export function sealJson(keys: Keys, kind: EnvelopeKind, recordId: string, value: unknown, binding?: string): Promise<EncryptedValue> {
  return sealText(keys, kind, recordId, JSON.stringify(value), binding);
}

/** The parsed JSON object of a record; the caller checks its fields. */
export async function openJson(
  keys: Keys, kind: EnvelopeKind, recordId: string, value: EncryptedValue, what: string, binding?: string,
): Promise<Record<string, unknown>> {
  const text = await openText(keys, kind, recordId, value, what, binding);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new RecordError(`This ${what} is not in a format this page can read.`);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new RecordError(`This ${what} is not in a format this page can read.`);
  }
  return parsed as Record<string, unknown>;
}
