import assert from "node:assert/strict";
import { test } from "node:test";
import { toHex } from "../src/crypto/bytes.ts";
import { hkdfBytes, importHkdfKey } from "../src/crypto/kdf.ts";
import {
  deriveRecoveryAuthKey, formatRecoveryCode, parseRecoveryCode, recoveryKekInfo, RecoveryCodeError,
} from "../src/crypto/recovery.ts";
import { hex, polydev } from "./vectors.ts";

const vectors = polydev();

for (const v of vectors.recoveryCodes) {
  test(`recoveryCodes: ${v.code.slice(0, 4)}…`, async () => {
    assert.equal(formatRecoveryCode(hex(v.bytes)), v.code);
    assert.equal(toHex(parseRecoveryCode(v.code)), v.bytes);
    for (const spelling of v.alsoParses) assert.equal(toHex(parseRecoveryCode(spelling)), v.bytes);
    assert.equal(toHex(await deriveRecoveryAuthKey(hex(v.bytes))), v.authKey);
    assert.equal(toHex(await hkdfBytes(await importHkdfKey(hex(v.bytes)), recoveryKekInfo)), v.wrappingKey);
  });
}

for (const v of vectors.recoveryCodesThatMustNotParse) {
  test(`recoveryCodesThatMustNotParse: ${v.reason}`, () => {
    assert.throws(() => parseRecoveryCode(v.text), (e: unknown) => {
      assert.ok(e instanceof RecoveryCodeError);
      // The message never repeats what was typed.
      assert.ok(!e.message.includes(v.text.replace(/[-_ ]/g, "").slice(0, 8)));
      return true;
    });
  });
}
