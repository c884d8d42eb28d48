// Recovery codes: 20 random bytes shown as 8 groups of 4 base32 characters (docs/crypto.md, "Recovery code").
import { randomBytes } from "./bytes.ts";
import { hkdfAesKey, hkdfBytes, importHkdfKey } from "./kdf.ts";

const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
export const recoveryCodeLength = 20;

export class RecoveryCodeError extends Error {
  override name = "RecoveryCodeError";
}

export function generateRecoveryCode(): Uint8Array<ArrayBuffer> {
  return randomBytes(recoveryCodeLength);
}

/** The display form, e.g. AAAQ-EAYE-AUDA-OCAJ-BIFQ-YDIO-B4IB-CEQT. It is the secret: never log it. */
export function formatRecoveryCode(bytes: Uint8Array): string {
  if (bytes.length !== recoveryCodeLength) throw new RecoveryCodeError(`A recovery code is ${recoveryCodeLength} bytes.`);
  let bits = 0, value = 0, text = "";
  for (const b of bytes) {
    value = (value << 8) | b;
    bits += 8;
    while (bits >= 5) {
      text += alphabet[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  return text.match(/.{4}/g)!.join("-");
}

/** Parses a typed code. Error messages never repeat the input: it may be most of a valid code. */
export function parseRecoveryCode(text: string): Uint8Array<ArrayBuffer> {
  const compact = text.replace(/[\s-]/g, "").replace(/[a-z]/g, (c) => c.toUpperCase());
  if (compact.length !== 32) {
    throw new RecoveryCodeError(`A recovery code has 32 characters (not counting spaces and dashes); this one has ${compact.length}.`);
  }
  const out = new Uint8Array(recoveryCodeLength);
  let bits = 0, value = 0, o = 0;
  for (const ch of compact) {
    const digit = alphabet.indexOf(ch);
    if (digit < 0) throw new RecoveryCodeError("A recovery code uses only the letters A-Z and the digits 2-7.");
    value = ((value << 5) | digit) & 0xffff;
    bits += 5;
    if (bits >= 8) {
      out[o++] = (value >>> (bits - 8)) & 0xff;
      bits -= 8;
    }
  }
  return out;
}

export const recoveryKekInfo = "polydev/recovery-kek";
export const recoveryAuthInfo = "polydev/recovery-auth";

/** The key that wraps userKey as a user.recovery-key envelope, non-extractable. */
export async function deriveRecoveryWrappingKey(code: Uint8Array<ArrayBuffer>): Promise<CryptoKey> {
  return hkdfAesKey(await importHkdfKey(code), recoveryKekInfo);
}

/** The recovery authKey, sent to the server (which keeps a slow hash). */
export async function deriveRecoveryAuthKey(code: Uint8Array<ArrayBuffer>): Promise<Uint8Array<ArrayBuffer>> {
  return hkdfBytes(await importHkdfKey(code), recoveryAuthInfo);
}
