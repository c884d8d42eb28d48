import assert from "node:assert/strict";
import { test } from "node:test";
import { toHex } from "../src/crypto/bytes.ts";
import {
  authInfo, deriveAuthKey, deriveMasterKey, deriveMasterKeyBytes, ensureAcceptable, hkdfBytes, importHkdfKey, kekInfo,
  passwordBytes, WeakKdfParametersError, type KdfParameters,
} from "../src/crypto/kdf.ts";
import { hex, polydev } from "./vectors.ts";

const vectors = polydev();

for (const v of vectors.masterKeys) {
  test(`masterKeys: ${v.name}`, async () => {
    assert.equal(toHex(passwordBytes(v.password)), v.passwordNfcUtf8);
    const parameters: KdfParameters = { algorithm: v.kdf.algorithm, iterations: v.kdf.iterations, salt: hex(v.kdf.salt) };
    const masterKeyBytes = await deriveMasterKeyBytes(v.password, parameters);
    assert.equal(toHex(masterKeyBytes), v.masterKey);

    const masterKey = await deriveMasterKey(v.password, parameters);
    assert.equal(masterKey.extractable, false);
    assert.equal(toHex(await deriveAuthKey(masterKey)), v.authKey);
    assert.equal(toHex(await hkdfBytes(await importHkdfKey(hex(v.masterKey)), authInfo)), v.authKey);
    assert.equal(toHex(await hkdfBytes(masterKey, kekInfo)), v.kek);
  });
}

test("decomposed and NFC passwords give the same bytes", () => {
  const [, decomposed, composed] = vectors.masterKeys;
  assert.notEqual(decomposed!.password, composed!.password);
  assert.equal(decomposed!.passwordNfcUtf8, composed!.passwordNfcUtf8);
  assert.equal(toHex(passwordBytes("\ufb01")), "efac81"); // NFC, not NFKC: the ligature stays
});

test("an unpaired surrogate is refused, not replaced", () => {
  assert.throws(() => passwordBytes("abc\ud800"), /surrogate/);
  assert.throws(() => passwordBytes("\udc00abc"), /surrogate/);
});

test("downgrade rule refuses weak parameters with the documented messages", () => {
  const salt = new Uint8Array(16);
  const refuse = (p: KdfParameters, message: string) =>
    assert.throws(() => ensureAcceptable(p), (e: unknown) => e instanceof WeakKdfParametersError && e.message === message);
  refuse({ algorithm: "pbkdf2-sha256", iterations: 600000, salt },
    "The server asked for an unsupported key-derivation algorithm; this client supports only PBKDF2-SHA256.");
  refuse({ algorithm: "PBKDF2-SHA256", iterations: 1000, salt },
    "The server asked for 1000 PBKDF2 iterations; this client requires at least 600000.");
  refuse({ algorithm: "PBKDF2-SHA256", iterations: 600000, salt: new Uint8Array(8) },
    "The server sent a KDF salt of 8 bytes; this client requires at least 16.");
  refuse({ algorithm: "PBKDF2-SHA256", iterations: 600000, salt: new Uint8Array(65) },
    "The server sent a KDF salt of 65 bytes; this client accepts at most 64.");
  ensureAcceptable({ algorithm: "PBKDF2-SHA256", iterations: 600000, salt: new Uint8Array(64) });
  // Issue 13, finding 15a: no upper bound made a client spin for as long as a server liked.
  refuse({ algorithm: "PBKDF2-SHA256", iterations: 10000001, salt },
    "The server asked for 10000001 PBKDF2 iterations; this client does at most 10000000.");
  refuse({ algorithm: "PBKDF2-SHA256", iterations: 2147483647, salt },
    "The server asked for 2147483647 PBKDF2 iterations; this client does at most 10000000.");
  ensureAcceptable({ algorithm: "PBKDF2-SHA256", iterations: 10000000, salt });
});

test("deriveMasterKey checks the downgrade rule before deriving", async () => {
  await assert.rejects(deriveMasterKey("pw", { algorithm: "PBKDF2-SHA256", iterations: 1, salt: new Uint8Array(16) }), WeakKdfParametersError);
});
