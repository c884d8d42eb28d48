// Sealed boxes: version || enc || HPKE ciphertext, encryption to a P-256 public key (docs/crypto.md, "Sealed boxes").
import { concat, utf8 } from "./bytes.ts";
import { aeadAes256Gcm, openBase, sealBase } from "./hpke.ts";
import { isValidPublicKey, publicKeyLength, type P256KeyPair } from "./p256.ts";

export const sealedBoxVersion1 = 0x01;
export const sealedBoxOverhead = 1 + publicKeyLength + 16; // 82
const associatedData = Uint8Array.of(sealedBoxVersion1);

export class SealedBoxError extends Error {
  override name = "SealedBoxError";
}

export function sealedBoxInfo(purpose: string): Uint8Array<ArrayBuffer> {
  if (purpose.length === 0) throw new SealedBoxError("A sealed box needs a non-empty purpose.");
  return utf8(`polydev/sealed-box/v1|${purpose}`);
}

/** `ephemeral` is for test vectors only; production gets a fresh platform key pair per box. */
export async function seal(
  recipientPublicKey: Uint8Array<ArrayBuffer>, plaintext: Uint8Array<ArrayBuffer>, purpose: string, ephemeral?: P256KeyPair,
): Promise<Uint8Array<ArrayBuffer>> {
  const { enc, ciphertext } = await sealBase(recipientPublicKey, sealedBoxInfo(purpose), associatedData, plaintext, aeadAes256Gcm, ephemeral);
  return concat(Uint8Array.of(sealedBoxVersion1), enc, ciphertext);
}

export async function open(recipient: P256KeyPair, sealedBox: Uint8Array<ArrayBuffer>, purpose: string): Promise<Uint8Array<ArrayBuffer>> {
  const info = sealedBoxInfo(purpose);
  if (sealedBox.length < sealedBoxOverhead) {
    throw new SealedBoxError(
      `Sealed box is ${sealedBox.length} bytes; the minimum is ${sealedBoxOverhead} (version, ephemeral key and tag).`);
  }
  if (sealedBox[0] !== sealedBoxVersion1) {
    throw new SealedBoxError(`Sealed box version ${sealedBox[0]} is not supported (expected ${sealedBoxVersion1}).`);
  }
  const enc = sealedBox.slice(1, 1 + publicKeyLength);
  if (!(await isValidPublicKey(enc))) {
    throw new SealedBoxError("The sealed box's ephemeral key is not a valid P-256 public key.");
  }
  try {
    return await openBase(enc, recipient, info, associatedData, sealedBox.subarray(1 + publicKeyLength), aeadAes256Gcm);
  } catch {
    throw new SealedBoxError(
      "The sealed box failed authentication: it was sealed to another key or for another purpose, or its bytes were modified.");
  }
}
