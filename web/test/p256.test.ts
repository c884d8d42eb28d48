import assert from "node:assert/strict";
import { test } from "node:test";
import { concat, fromHex, subtle, toHex } from "../src/crypto/bytes.ts";
import { generateUserKeyPair, importPkcs8, isValidPublicKey } from "../src/crypto/p256.ts";
import { hex, polydev } from "./vectors.ts";

const vectors = polydev();

test("a generated user key pair: Web Crypto PKCS#8 layout, non-extractable private key, re-importable", async () => {
  const { keyPair, pkcs8 } = await generateUserKeyPair();
  assert.equal(keyPair.privateKey.extractable, false);
  assert.equal(pkcs8.length, 138);
  assert.equal(toHex(pkcs8.subarray(0, 36)), "308187020100301306072a8648ce3d020106082a8648ce3d030107046d306b0201010420");
  assert.equal(toHex(pkcs8.subarray(68, 73)), "a144034200");
  assert.deepEqual(pkcs8.subarray(73), keyPair.publicKey);
  assert.deepEqual((await importPkcs8(pkcs8)).publicKey, keyPair.publicKey);
});

test("PKCS#8 with trailing bytes or another curve is refused", async () => {
  const { pkcs8 } = await generateUserKeyPair();
  await assert.rejects(importPkcs8(concat(pkcs8, Uint8Array.of(0))), /trailing/);
  const p384 = await subtle.generateKey({ name: "ECDH", namedCurve: "P-384" }, true, ["deriveBits"]);
  await assert.rejects(importPkcs8(new Uint8Array(await subtle.exportKey("pkcs8", p384.privateKey))), /not a PKCS#8 P-256/);
});

test("public key validation: 65 bytes, 0x04, on the curve; compressed points refused", async () => {
  const pk = hex(vectors.sealedBoxes[0]!.recipientPublicKey);
  assert.equal(await isValidPublicKey(pk), true);
  const offCurve = pk.slice(); offCurve[64]! ^= 1;
  assert.equal(await isValidPublicKey(offCurve), false);
  const compressed = concat(Uint8Array.of(0x02 + (pk[64]! & 1)), pk.subarray(1, 33));
  assert.equal(await isValidPublicKey(compressed), false);
  assert.equal(await isValidPublicKey(fromHex("04")), false);
});
