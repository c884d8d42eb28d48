// A credential a login sandbox captured (src/Polydev.Crypto/Hpke/CredentialCapture.cs): `tag (32) | sealed box`, the
// box sealed to the user's public key with purpose login.credential, the tag an HMAC-SHA256 over the box under
// HKDF-SHA256(proofKey, info "polydev/login/credential-tag"). A sealed box names no sender — the server holds the
// user's public key and could make one — so the tag is what shows the capture came from the sandbox this client
// opened: only that sandbox got the proof key, inside the sealed opening. The tag is checked before anything is opened.
import { concat, subtle } from "./bytes.ts";
import { hkdfHmacKey, importHkdfKey } from "./kdf.ts";
import type { P256KeyPair } from "./p256.ts";
import { open as openSealedBox, seal as sealBox, sealedBoxOverhead } from "./sealed-box.ts";

export const credentialCapturePurpose = "login.credential";
export const credentialTagInfo = "polydev/login/credential-tag";
export const proofKeyLength = 32;
const tagLength = 32;

/** Which check refused a capture: its length, its tag, or the sealed box itself. */
export type CaptureFailure = "shape" | "tag" | "box";

export class CredentialCaptureError extends Error {
  override name = "CredentialCaptureError";

  constructor(readonly failure: CaptureFailure, message: string) {
    super(message);
  }
}

async function tagKey(proofKey: Uint8Array<ArrayBuffer>): Promise<CryptoKey> {
  if (proofKey.length !== proofKeyLength) throw new CredentialCaptureError("shape", `A proof key is ${proofKeyLength} bytes.`);
  return hkdfHmacKey(await importHkdfKey(proofKey), credentialTagInfo);
}

/** Checks the capture's tag under `proofKey`, then opens its box with the recipient's private key. */
export async function openCapture(
  recipient: P256KeyPair, proofKey: Uint8Array<ArrayBuffer>, capture: Uint8Array<ArrayBuffer>,
): Promise<Uint8Array<ArrayBuffer>> {
  if (capture.length < tagLength + sealedBoxOverhead) throw new CredentialCaptureError("shape", "A captured credential is too short.");
  const box = capture.slice(tagLength);
  // HMAC verify, not a comparison of our own: Web Crypto compares in constant time.
  if (!(await subtle.verify("HMAC", await tagKey(proofKey), capture.subarray(0, tagLength), box))) {
    throw new CredentialCaptureError("tag", "The captured credential's tag is wrong: it did not come from the login sandbox this page opened.");
  }
  try {
    return await openSealedBox(recipient, box, credentialCapturePurpose);
  } catch (error) {
    throw new CredentialCaptureError("box", error instanceof Error ? error.message : "The captured credential does not open.");
  }
}

/** What the login agent does (tests, and the vectors the C# side opens); `ephemeral` for fixed vectors only. */
export async function sealCapture(
  recipientPublicKey: Uint8Array<ArrayBuffer>, proofKey: Uint8Array<ArrayBuffer>, plaintext: Uint8Array<ArrayBuffer>, ephemeral?: P256KeyPair,
): Promise<Uint8Array<ArrayBuffer>> {
  const box = await sealBox(recipientPublicKey, plaintext, credentialCapturePurpose, ephemeral);
  const tag = new Uint8Array(await subtle.sign("HMAC", await tagKey(proofKey), box));
  return concat(tag, box);
}
