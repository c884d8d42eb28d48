import assert from "node:assert/strict";
import { test } from "node:test";
import { importAesGcmKey, toHex } from "../src/crypto/bytes.ts";
import { EnvelopeError, envelopeAssociatedData, openEnvelope, sealEnvelope, validateEnvelopeShape } from "../src/crypto/envelope.ts";
import { deriveKek, importHkdfKey } from "../src/crypto/kdf.ts";
import { importPkcs8 } from "../src/crypto/p256.ts";
import { deriveRecoveryWrappingKey } from "../src/crypto/recovery.ts";
import { hex, polydev } from "./vectors.ts";

const vectors = polydev();

for (const v of vectors.envelopes) {
  test(`envelopes: ${v.name}`, async () => {
    const context = { kind: v.kind, userId: v.userId, recordId: v.recordId, ...(v.binding === undefined ? {} : { binding: v.binding }) };
    assert.equal(toHex(envelopeAssociatedData(context)), v.associatedData);
    const key = await importAesGcmKey(hex(v.key));
    assert.equal(toHex(await openEnvelope(key, hex(v.envelope), context)), v.plaintext);
    assert.equal(toHex(await sealEnvelope(key, hex(v.plaintext), context, hex(v.nonce))), v.envelope);
  });
}

for (const v of vectors.envelopesThatMustNotOpen) {
  test(`envelopesThatMustNotOpen: ${v.name} (${v.failure})`, async () => {
    const envelope = hex(v.envelope);
    assert.equal(validateEnvelopeShape(envelope) === null, v.failure === "authentication");
    const key = await importAesGcmKey(hex(v.key));
    await assert.rejects(
      openEnvelope(key, envelope, { kind: v.kind, userId: v.userId, recordId: v.recordId, ...(v.binding === undefined ? {} : { binding: v.binding }) }),
      (e: unknown) => e instanceof EnvelopeError && (v.failure === "shape" ? /^Envelope (is|version)/ : /authentication/).test(e.message));
  });
}

test("the vectors form one hierarchy: kek and the recovery key open userKey; userKey opens the recipient's PKCS#8", async () => {
  const [userKeyEnvelope, recoveryEnvelope, privateKeyEnvelope] = vectors.envelopes;
  const kek = await deriveKek(await importHkdfKey(hex(vectors.masterKeys[0]!.masterKey)));
  assert.equal(kek.extractable, false);
  const ctx = (v: typeof userKeyEnvelope) => ({ kind: v!.kind, userId: v!.userId, recordId: v!.recordId });
  const userKey = await openEnvelope(kek, hex(userKeyEnvelope!.envelope), ctx(userKeyEnvelope));
  const wrappingKey = await deriveRecoveryWrappingKey(hex(vectors.recoveryCodes[0]!.bytes));
  assert.deepEqual(await openEnvelope(wrappingKey, hex(recoveryEnvelope!.envelope), ctx(recoveryEnvelope)), userKey);

  const pkcs8 = await openEnvelope(await importAesGcmKey(userKey), hex(privateKeyEnvelope!.envelope), ctx(privateKeyEnvelope));
  const recipient = await importPkcs8(pkcs8);
  assert.equal(recipient.privateKey.extractable, false);
  assert.equal(toHex(recipient.publicKey), vectors.sealedBoxes[0]!.recipientPublicKey);
});

test("unknown kinds and non-canonical ids are refused", async () => {
  const key = await importAesGcmKey(new Uint8Array(32));
  const id = "5f0c6a2e-8d4b-4c1e-9a3f-2b7d1e6c9a01";
  await assert.rejects(sealEnvelope(key, new Uint8Array(1), { kind: "chat|title", userId: id, recordId: id }), EnvelopeError);
  await assert.rejects(sealEnvelope(key, new Uint8Array(1), { kind: "chat.title", userId: id.toUpperCase(), recordId: id }), EnvelopeError);
});

test("server shape messages", () => {
  assert.equal(validateEnvelopeShape(new Uint8Array(12)), "Envelope is 12 bytes; the minimum is 30 (header, nonce and tag).");
  const e = new Uint8Array(30); e[0] = 2; e[1] = 1;
  assert.equal(validateEnvelopeShape(e), "Envelope version 2 is not supported (expected 1).");
  e[0] = 1; e[1] = 2;
  assert.equal(validateEnvelopeShape(e), "Envelope algorithm 2 is not supported (expected 1, AES-256-GCM).");
});

test("a fresh seal round-trips and uses a random nonce", async () => {
  const key = await importAesGcmKey(new Uint8Array(32).fill(7));
  const context = { kind: "chat.title", userId: "5f0c6a2e-8d4b-4c1e-9a3f-2b7d1e6c9a01", recordId: "0d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6" };
  const a = await sealEnvelope(key, new Uint8Array([1, 2, 3]), context);
  const b = await sealEnvelope(key, new Uint8Array([1, 2, 3]), context);
  assert.equal(a.length, 33);
  assert.notDeepEqual(a, b);
  assert.deepEqual(await openEnvelope(key, a, context), new Uint8Array([1, 2, 3]));
});

// A binding (a message's chat, a credential's provider) is one more field: never empty, never with "|".
test("a binding that could blur the associated data's fields is refused", async () => {
  const key = await importAesGcmKey(new Uint8Array(32));
  const id = "5f0c6a2e-8d4b-4c1e-9a3f-2b7d1e6c9a01";
  for (const binding of ["", "anthropic|openai", "|"]) {
    await assert.rejects(sealEnvelope(key, new Uint8Array(1), { kind: "credential.secret", userId: id, recordId: id, binding }), EnvelopeError);
  }
  const bound = await sealEnvelope(key, new Uint8Array(1), { kind: "credential.secret", userId: id, recordId: id, binding: "anthropic" });
  await assert.rejects(openEnvelope(key, bound, { kind: "credential.secret", userId: id, recordId: id, binding: "openai" }));
  await assert.rejects(openEnvelope(key, bound, { kind: "credential.secret", userId: id, recordId: id }));
});
