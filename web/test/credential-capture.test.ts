// Credential captures (src/Polydev.Crypto/Hpke/CredentialCapture.cs): the C#-made vectors open here and are made again
// byte for byte, and every capture that must not open is refused by the check the vector names.
import assert from "node:assert/strict";
import { test } from "node:test";
import { toHex, utf8 } from "../src/crypto/bytes.ts";
import {
  CredentialCaptureError, credentialCapturePurpose, credentialTagInfo, openCapture, sealCapture, type CaptureFailure,
} from "../src/crypto/credential-capture.ts";
import { deriveKeyPair } from "../src/crypto/hpke.ts";
import { hkdfBytes, importHkdfKey } from "../src/crypto/kdf.ts";
import { generateKeyPair, importScalar } from "../src/crypto/p256.ts";
import { seal } from "../src/crypto/sealed-box.ts";
import { credentialCaptures, hex } from "./vectors.ts";

const vectors = credentialCaptures();

const refusedBy = (failure: CaptureFailure) => (error: unknown) => error instanceof CredentialCaptureError && error.failure === failure;

test("credential-capture.json: the constants and the tag key are this implementation's", async () => {
  assert.equal(vectors.purpose, credentialCapturePurpose);
  assert.equal(vectors.tagInfo, credentialTagInfo);
  assert.equal(toHex(await hkdfBytes(await importHkdfKey(hex(vectors.proofKey)), credentialTagInfo)), vectors.tagKey);
  const recipient = await deriveKeyPair(hex(vectors.recipientIkm));
  assert.equal(toHex(recipient.scalar), vectors.recipientPrivateKey);
  assert.equal(toHex(recipient.keyPair.publicKey), vectors.recipientPublicKey);
});

for (const [index, v] of vectors.captures.entries()) {
  test(`credential-capture.json captures[${index}]: a C#-made capture opens, and is made again byte for byte`, async () => {
    const recipient = await importScalar(hex(vectors.recipientPrivateKey));
    const plaintext = await openCapture(recipient, hex(vectors.proofKey), hex(v.capture));
    assert.equal(new TextDecoder().decode(plaintext), v.plaintext);

    const ephemeral = await deriveKeyPair(hex(v.ephemeralIkm));
    const made = await sealCapture(hex(vectors.recipientPublicKey), hex(vectors.proofKey), utf8(v.plaintext), ephemeral.keyPair);
    assert.equal(toHex(made), v.capture);
    assert.equal(toHex(made.subarray(0, 32)), v.tag);
    assert.equal(toHex(made.subarray(32)), v.sealedBox);
  });
}

for (const v of vectors.capturesThatMustNotOpen) {
  test(`credential-capture.json must not open (${v.failure}): ${v.description}`, async () => {
    const recipient = await importScalar(hex(vectors.recipientPrivateKey));
    await assert.rejects(openCapture(recipient, hex(v.proofKey), hex(v.capture)), refusedBy(v.failure));
  });
}

test("a fresh capture opens with its proof key; a wrong tag, another proof key or another purpose is refused", async () => {
  const recipient = await generateKeyPair();
  const proofKey = crypto.getRandomValues(new Uint8Array(32));
  const plaintext = utf8('{"version":1,"provider":"openai","file":"{}"}');
  const capture = await sealCapture(recipient.publicKey, proofKey, plaintext);
  assert.equal(capture.length, 32 + plaintext.length + 82);
  assert.deepEqual(await openCapture(recipient, proofKey, capture), plaintext);

  const wrongTag = capture.slice();
  wrongTag[0]! ^= 1;
  await assert.rejects(openCapture(recipient, proofKey, wrongTag), refusedBy("tag"));

  const otherProofKey = proofKey.slice();
  otherProofKey[31]! ^= 0x80;
  await assert.rejects(openCapture(recipient, otherProofKey, capture), refusedBy("tag"));

  // A box for another purpose, tagged correctly, still does not open as a capture: purposes keep uses apart.
  const refreshBox = await seal(recipient.publicKey, plaintext, "credential.refresh");
  const retagged = await sealCapture(recipient.publicKey, proofKey, plaintext);
  const otherPurpose = await tagged(proofKey, refreshBox);
  await assert.rejects(openCapture(recipient, proofKey, otherPurpose), refusedBy("box"));
  assert.deepEqual(await openCapture(recipient, proofKey, retagged), plaintext);

  const stranger = await generateKeyPair();
  await assert.rejects(openCapture(stranger, proofKey, capture), refusedBy("box"));
  await assert.rejects(openCapture(recipient, proofKey.slice(0, 31), capture), refusedBy("shape"));
  await assert.rejects(openCapture(recipient, proofKey, capture.slice(0, 32 + 81)), refusedBy("shape"));
});

/** tag || box with the tag computed from its definition, independently of sealCapture. */
async function tagged(proofKey: Uint8Array<ArrayBuffer>, box: Uint8Array<ArrayBuffer>): Promise<Uint8Array<ArrayBuffer>> {
  const tagKey = await hkdfBytes(await importHkdfKey(proofKey), credentialTagInfo);
  const key = await crypto.subtle.importKey("raw", tagKey, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  const tag = new Uint8Array(await crypto.subtle.sign("HMAC", key, box));
  const out = new Uint8Array(tag.length + box.length);
  out.set(tag);
  out.set(box, tag.length);
  return out;
}
