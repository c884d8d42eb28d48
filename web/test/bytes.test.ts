import assert from "node:assert/strict";
import { test } from "node:test";
import { fromBase64, fromHex, i2osp, toBase64, toHex } from "../src/crypto/bytes.ts";

test("standard padded base64 matches RFC 4648 test vectors", () => {
  const cases: [string, string][] = [["", ""], ["f", "Zg=="], ["fo", "Zm8="], ["foo", "Zm9v"], ["foob", "Zm9vYg=="], ["fooba", "Zm9vYmE="], ["foobar", "Zm9vYmFy"]];
  for (const [plain, encoded] of cases) {
    const bytes = new TextEncoder().encode(plain);
    assert.equal(toBase64(bytes), encoded);
    assert.deepEqual(fromBase64(encoded), bytes);
  }
  assert.equal(toBase64(fromHex("fbff")), "+/8=");
  assert.throws(() => fromBase64("-_8="), /base64/);
  assert.throws(() => fromBase64("Zg"), /base64/);
  assert.throws(() => fromBase64("Zh=="), /canonical/);
});

test("I2OSP is big-endian and range-checked", () => {
  assert.equal(toHex(i2osp(0x0010, 2)), "0010");
  assert.equal(toHex(i2osp((1n << 63n) - 1n, 8)), "7fffffffffffffff");
  assert.throws(() => i2osp(256, 1), RangeError);
});
