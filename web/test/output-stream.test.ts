import assert from "node:assert/strict";
import { test } from "node:test";
import { concat, i2osp, importAesGcmKey, toHex } from "../src/crypto/bytes.ts";
import {
  outputAssociatedData, outputNonce, OutputFrameSplitter, OutputStreamDecryptor, OutputStreamError, readFrameHeader, readOutputStream, sealOutputChunk,
} from "../src/crypto/output-stream.ts";
import { hex, loadVectors, type OutputStreamVectors } from "./vectors.ts";

const vectors = loadVectors<OutputStreamVectors>("output-stream.json");

test("output stream chunks: nonce, associated data, frame, and open in order", async () => {
  const key = await importAesGcmKey(hex(vectors.key));
  const decryptor = new OutputStreamDecryptor(key);
  for (const chunk of vectors.chunks) {
    const sequence = BigInt(chunk.sequence);
    assert.equal(toHex(outputNonce(sequence, chunk.final)), chunk.nonce);
    const frame = hex(chunk.frame);
    assert.equal(toHex(outputAssociatedData(frame)), chunk.associatedData);
    assert.deepEqual(readFrameHeader(frame), { sequence, isFinal: chunk.final });
    assert.equal(toHex(await sealOutputChunk(key, sequence, chunk.final, hex(chunk.plaintext))), chunk.frame);
    const opened = await decryptor.open(frame);
    assert.equal(toHex(opened.plaintext), chunk.plaintext);
    assert.equal(opened.isFinal, chunk.final);
  }
  decryptor.complete();
  assert.equal(vectors.chunks.at(-1)!.final, true);
});

test("output stream: the whole stream reads, also when split byte by byte", async () => {
  const key = await importAesGcmKey(hex(vectors.key));
  const stream = hex(vectors.stream);
  assert.equal(toHex(concat(...vectors.chunks.map((c) => concat(i2osp(c.frame.length / 2, 4), hex(c.frame))))), vectors.stream);
  const result = await readOutputStream(key, stream);
  assert.equal(result.error, undefined);
  assert.deepEqual(result.chunks.map((c) => toHex(c.plaintext)), vectors.chunks.map((c) => c.plaintext));

  const splitter = new OutputFrameSplitter();
  const frames = [];
  for (const b of stream) frames.push(...splitter.push(Uint8Array.of(b)));
  splitter.end();
  assert.deepEqual(frames.map(toHex), vectors.chunks.map((c) => c.frame));
});

for (const v of vectors.streamsThatMustFail) {
  test(`streamsThatMustFail: ${v.description} (${v.failure})`, async () => {
    const key = await importAesGcmKey(hex(vectors.key));
    const result = await readOutputStream(key, hex(v.stream), BigInt(v.startSequence));
    assert.ok(result.error, "the stream must be rejected");
    assert.equal(result.error.failure, v.failure);
  });
}

test("a frame length out of range is refused before buffering", () => {
  const splitter = new OutputFrameSplitter();
  assert.throws(() => splitter.push(i2osp(0xffffffff, 4)), (e: unknown) => (e as { failure?: string }).failure === "malformed");
  assert.throws(() => new OutputFrameSplitter().push(i2osp(25, 4)), /out of range/);
});

// Issue 13, finding 15b: the decryptor kept opening chunks after one had failed.
test("after one chunk fails every later chunk is refused, even a good one", async () => {
  const key = await importAesGcmKey(hex(vectors.key));
  const frames = vectors.chunks.map((c) => hex(c.frame));
  assert.ok(frames.length >= 3);
  const decryptor = new OutputStreamDecryptor(key);
  await decryptor.open(frames[0]!);
  const tampered = frames[1]!.slice();
  tampered[tampered.length - 1]! ^= 1;
  await assert.rejects(decryptor.open(tampered), (e: unknown) => e instanceof OutputStreamError && e.failure === "authentication");
  for (const frame of frames.slice(1)) {
    await assert.rejects(decryptor.open(frame), (e: unknown) => e instanceof OutputStreamError && e.failure === "afterFailure");
  }
  assert.equal(decryptor.isFinished, false);
});
