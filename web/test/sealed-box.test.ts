import assert from "node:assert/strict";
import { test } from "node:test";
import { toHex } from "../src/crypto/bytes.ts";
import { deriveKeyPair } from "../src/crypto/hpke.ts";
import { generateKeyPair, importScalar } from "../src/crypto/p256.ts";
import { open, seal, SealedBoxError, sealedBoxInfo } from "../src/crypto/sealed-box.ts";
import { hex, polydev } from "./vectors.ts";

const vectors = polydev();

for (const v of vectors.sealedBoxes) {
  test(`sealedBoxes: ${v.purpose}`, async () => {
    assert.equal(toHex(sealedBoxInfo(v.purpose)), v.info);
    assert.equal(v.aad, "01");
    const recipient = await deriveKeyPair(hex(v.recipientIkm));
    assert.equal(toHex(recipient.scalar), v.recipientPrivateKey);
    assert.equal(toHex(recipient.keyPair.publicKey), v.recipientPublicKey);

    assert.equal(toHex(await open(recipient.keyPair, hex(v.sealedBox), v.purpose)), v.plaintext);
    const fromScalar = await importScalar(hex(v.recipientPrivateKey));
    assert.equal(toHex(await open(fromScalar, hex(v.sealedBox), v.purpose)), v.plaintext);

    const ephemeral = await deriveKeyPair(hex(v.ephemeralIkm));
    assert.equal(toHex(ephemeral.keyPair.publicKey), v.enc);
    const sealed = await seal(hex(v.recipientPublicKey), hex(v.plaintext), v.purpose, ephemeral.keyPair);
    assert.equal(toHex(sealed), v.sealedBox);
    assert.equal(sealed.length, hex(v.plaintext).length + 82);
  });
}

test("sealed boxes that must not open", async () => {
  const v = vectors.sealedBoxes[0]!;
  const recipient = await importScalar(hex(v.recipientPrivateKey));
  const other = await generateKeyPair();
  const box = hex(v.sealedBox);
  const reject = (r: typeof recipient, b: Uint8Array<ArrayBuffer>, purpose: string, message: RegExp) =>
    assert.rejects(open(r, b, purpose), (e: unknown) => e instanceof SealedBoxError && message.test(e.message));

  await reject(recipient, box, "credential-other", /failed authentication/);
  await reject(other, box, v.purpose, /failed authentication/);
  const flipped = box.slice(); flipped[flipped.length - 1]! ^= 1;
  await reject(recipient, flipped, v.purpose, /failed authentication/);
  const version2 = box.slice(); version2[0] = 2;
  await reject(recipient, version2, v.purpose, /^Sealed box version 2 is not supported \(expected 1\)\.$/);
  await reject(recipient, box.slice(0, 81), v.purpose, /minimum is 82/);
  const offCurve = box.slice(); offCurve[10]! ^= 1;
  await reject(recipient, offCurve, v.purpose, /not a valid P-256 public key/);
  await assert.rejects(open(recipient, box, ""), SealedBoxError);
});

test("a fresh sealed box round-trips with a platform ephemeral key", async () => {
  const recipient = await generateKeyPair();
  assert.equal(recipient.privateKey.extractable, false);
  const plaintext = new TextEncoder().encode("token");
  const box = await seal(recipient.publicKey, plaintext, "credential");
  assert.deepEqual(await open(recipient, box, "credential"), plaintext);
});
