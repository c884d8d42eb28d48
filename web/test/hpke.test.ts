import assert from "node:assert/strict";
import { test } from "node:test";
import { toHex } from "../src/crypto/bytes.ts";
import { aeadAes128Gcm, aeadAes256Gcm, deriveKeyPair, encap, keySchedule, openBase, sealBase, type HpkeAead } from "../src/crypto/hpke.ts";
import { importScalar } from "../src/crypto/p256.ts";
import { hex, loadVectors, type HpkeVector } from "./vectors.ts";

const { vectors } = loadVectors<{ vectors: HpkeVector[] }>("hpke-rfc9180.json");

test("both RFC 9180 suites are present", () => {
  assert.deepEqual(vectors.map((v) => v.aead_id).sort(), [1, 2]);
});

for (const v of vectors) {
  test(`hpke: ${v.name}`, async () => {
    assert.equal(v.mode, 0);
    assert.equal(v.kem_id, 16);
    assert.equal(v.kdf_id, 1);
    const aead = v.aead_id as HpkeAead;
    assert.ok(aead === aeadAes128Gcm || aead === aeadAes256Gcm);

    const ephemeral = await deriveKeyPair(hex(v.ikmE));
    if (v.skEm !== undefined) assert.equal(toHex(ephemeral.scalar), v.skEm);
    assert.equal(toHex(ephemeral.keyPair.publicKey), v.pkEm ?? v.enc);
    const recipient = await deriveKeyPair(hex(v.ikmR));
    assert.equal(toHex(recipient.scalar), v.skRm);
    assert.equal(toHex(recipient.keyPair.publicKey), v.pkRm);
    assert.equal(recipient.keyPair.privateKey.extractable, false);

    const { sharedSecret, enc } = await encap(hex(v.pkRm), ephemeral.keyPair);
    assert.equal(toHex(enc), v.enc);
    assert.equal(toHex(sharedSecret), v.shared_secret);
    const schedule = await keySchedule(sharedSecret, hex(v.info), aead);
    assert.equal(toHex(schedule.key), v.key);
    assert.equal(toHex(schedule.baseNonce), v.base_nonce);

    const encryption = v.encryptions[0]!;
    const sealed = await sealBase(hex(v.pkRm), hex(v.info), hex(encryption.aad), hex(encryption.pt), aead, ephemeral.keyPair);
    assert.equal(toHex(sealed.enc), v.enc);
    assert.equal(toHex(sealed.ciphertext), encryption.ct);

    const skR = await importScalar(hex(v.skRm));
    assert.equal(toHex(await openBase(hex(v.enc), skR, hex(v.info), hex(encryption.aad), hex(encryption.ct), aead)), encryption.pt);

    const tampered = hex(encryption.ct);
    tampered[0]! ^= 1;
    await assert.rejects(openBase(hex(v.enc), skR, hex(v.info), hex(encryption.aad), tampered, aead));
    await assert.rejects(openBase(hex(v.enc), skR, hex(v.info), hex("00"), hex(encryption.ct), aead));
  });
}
