// Envelopes: AES-256-GCM in a versioned frame, bound to kind, owner and record (docs/crypto.md, "Envelopes").
import { concat, importAesGcmKey, randomBytes, subtle, utf8 } from "./bytes.ts";

export const envelopeVersion1 = 0x01;
export const algorithmAes256Gcm = 0x01;
export const envelopeOverhead = 30; // header 2 + nonce 12 + tag 16
const nonceLength = 12;

export const envelopeKinds = [
  "user.key",
  "user.recovery-key",
  "user.private-key",
  "chat.title",
  "chat.message",
  "credential.secret",
] as const;

export type EnvelopeKind = (typeof envelopeKinds)[number];

/**
 * A new userKey: 32 random bytes (to be sealed as user.key, and user.recovery-key) and the same key imported as a
 * non-extractable AES-256-GCM key for everything it seals. Callers zero `bytes` once the envelopes are made.
 */
export async function generateUserKey(): Promise<{ bytes: Uint8Array<ArrayBuffer>; key: CryptoKey }> {
  const bytes = randomBytes(32);
  return { bytes, key: await importAesGcmKey(bytes) };
}

/** Where an envelope is stored: its associated data comes from here, never from the envelope itself. */
export interface EnvelopeContext {
  readonly kind: string;
  readonly userId: string;
  readonly recordId: string;
  /** What else the record is bound to (a chat message's chat id, a credential's provider); absent otherwise. */
  readonly binding?: string;
}

export class EnvelopeError extends Error {
  override name = "EnvelopeError";
}

const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** aad = version || algorithm || UTF8("polydev/v1|kind|userId|recordId"), with "|binding" appended when there is one. */
export function envelopeAssociatedData(context: EnvelopeContext): Uint8Array<ArrayBuffer> {
  if (!(envelopeKinds as readonly string[]).includes(context.kind)) {
    throw new EnvelopeError("Unknown envelope kind.");
  }
  if (!uuid.test(context.userId) || !uuid.test(context.recordId)) {
    throw new EnvelopeError("Envelope ids must be lower-case hyphenated UUIDs.");
  }
  if (context.binding !== undefined && (context.binding.length === 0 || context.binding.includes("|"))) {
    throw new EnvelopeError("An envelope binding must not be empty or contain '|'.");
  }
  return concat(
    Uint8Array.of(envelopeVersion1, algorithmAes256Gcm),
    utf8(`polydev/v1|${context.kind}|${context.userId}|${context.recordId}${context.binding === undefined ? "" : `|${context.binding}`}`));
}

/** The server's key-less check: length and header. Returns the rejection message, or null when the shape is fine. */
export function validateEnvelopeShape(envelope: Uint8Array): string | null {
  if (envelope.length < envelopeOverhead) {
    return `Envelope is ${envelope.length} bytes; the minimum is ${envelopeOverhead} (header, nonce and tag).`;
  }
  if (envelope[0] !== envelopeVersion1) {
    return `Envelope version ${envelope[0]} is not supported (expected ${envelopeVersion1}).`;
  }
  if (envelope[1] !== algorithmAes256Gcm) {
    return `Envelope algorithm ${envelope[1]} is not supported (expected ${algorithmAes256Gcm}, AES-256-GCM).`;
  }
  return null;
}

/**
 * Seals `plaintext` under an AES-256-GCM key. `nonce` is for test vectors only; production passes none and
 * gets a fresh random one.
 */
export async function sealEnvelope(
  key: CryptoKey, plaintext: Uint8Array<ArrayBuffer>, context: EnvelopeContext, nonce: Uint8Array<ArrayBuffer> = randomBytes(nonceLength),
): Promise<Uint8Array<ArrayBuffer>> {
  if (nonce.length !== nonceLength) throw new EnvelopeError(`The nonce must be ${nonceLength} bytes.`);
  const additionalData = envelopeAssociatedData(context);
  const sealed = await subtle.encrypt({ name: "AES-GCM", iv: nonce, additionalData, tagLength: 128 }, key, plaintext);
  return concat(Uint8Array.of(envelopeVersion1, algorithmAes256Gcm), nonce, new Uint8Array(sealed));
}

/** Opens an envelope read from `context`; any failure rejects it whole. */
export async function openEnvelope(
  key: CryptoKey, envelope: Uint8Array<ArrayBuffer>, context: EnvelopeContext,
): Promise<Uint8Array<ArrayBuffer>> {
  const additionalData = envelopeAssociatedData(context);
  const shapeError = validateEnvelopeShape(envelope);
  if (shapeError !== null) throw new EnvelopeError(shapeError);
  try {
    const opened = await subtle.decrypt(
      { name: "AES-GCM", iv: envelope.subarray(2, 2 + nonceLength), additionalData, tagLength: 128 },
      key, envelope.subarray(2 + nonceLength));
    return new Uint8Array(opened);
  } catch {
    throw new EnvelopeError(
      "The envelope failed authentication: wrong key, a different kind, user or record, or the bytes were modified.");
  }
}
