// Output stream: length-prefixed AES-256-GCM frames, sequence and final flag in nonce and associated data
// (docs/crypto.md, "Output stream"). The client only reads; the encryptor exists for tests and parity.
import { concat, i2osp, readUint32, readUint64, subtle, utf8 } from "./bytes.ts";

export const outputStreamVersion1 = 0x01;
export const finalFlag = 0x01;
export const headerLength = 10;
export const tagLength = 16;
export const maxPlaintextLength = 1 << 20;
export const minFrameLength = headerLength + tagLength;
export const maxFrameLength = minFrameLength + maxPlaintextLength;
const maxSequence = (1n << 63n) - 1n;
const aadLabel = utf8("polydev/output-stream/v1");

export type OutputStreamFailure = "malformed" | "outOfOrder" | "authentication" | "afterFinal" | "truncated" | "afterFailure";

export class OutputStreamError extends Error {
  override name = "OutputStreamError";
  constructor(readonly failure: OutputStreamFailure, message: string) {
    super(message);
  }
}

export interface OutputChunk {
  readonly sequence: bigint;
  readonly isFinal: boolean;
  readonly plaintext: Uint8Array<ArrayBuffer>;
}

export function outputNonce(sequence: bigint, isFinal: boolean): Uint8Array<ArrayBuffer> {
  return concat(i2osp(sequence, 8), Uint8Array.of(0, 0, 0, isFinal ? 1 : 0));
}

export function outputAssociatedData(header: Uint8Array): Uint8Array<ArrayBuffer> {
  return concat(aadLabel, header.subarray(0, headerLength));
}

/** Checks a frame's shape without a key: what a relay can learn (sequence number and final flag). */
export function readFrameHeader(frame: Uint8Array): { sequence: bigint; isFinal: boolean } {
  if (frame.length < minFrameLength || frame.length > maxFrameLength) {
    throw new OutputStreamError("malformed", `Output frame is ${frame.length} bytes; it must be between ${minFrameLength} and ${maxFrameLength}.`);
  }
  if (frame[0] !== outputStreamVersion1) {
    throw new OutputStreamError("malformed", `Output stream version ${frame[0]} is not supported (expected ${outputStreamVersion1}).`);
  }
  if ((frame[1]! & ~finalFlag) !== 0) {
    throw new OutputStreamError("malformed", `Output frame has unknown flags 0x${frame[1]!.toString(16).padStart(2, "0")}.`);
  }
  const sequence = readUint64(frame, 2);
  if (sequence > maxSequence) throw new OutputStreamError("malformed", "Output frame sequence number is out of range.");
  return { sequence, isFinal: (frame[1]! & finalFlag) !== 0 };
}

/**
 * Splits a byte stream into frames as bytes arrive. `push` returns every complete frame; `end` reports truncation.
 * Frame lengths are checked before the frame is buffered, so a hostile length cannot make it allocate 4 GB.
 */
export class OutputFrameSplitter {
  private buffer: Uint8Array<ArrayBuffer> = new Uint8Array(0);

  push(bytes: Uint8Array): Uint8Array<ArrayBuffer>[] {
    this.buffer = concat(this.buffer, bytes);
    const frames: Uint8Array<ArrayBuffer>[] = [];
    while (this.buffer.length >= 4) {
      const length = readUint32(this.buffer, 0);
      if (length < minFrameLength || length > maxFrameLength) {
        throw new OutputStreamError("malformed", `Output frame length ${length} is out of range (${minFrameLength} to ${maxFrameLength}).`);
      }
      if (this.buffer.length < 4 + length) break;
      frames.push(this.buffer.slice(4, 4 + length));
      this.buffer = this.buffer.slice(4 + length);
    }
    return frames;
  }

  end(): void {
    if (this.buffer.length > 0) {
      throw new OutputStreamError("truncated",
        this.buffer.length < 4 ? "The output stream ended inside a frame's length prefix." : "The output stream ended inside a frame.");
    }
  }
}

/** Opens one stream's frames strictly in order. Chunks already returned stay valid after a later failure. */
export class OutputStreamDecryptor {
  private next: bigint;
  private finished = false;
  // After one frame fails, every later one does too (as in the C# decryptor): no rest of an untrustworthy stream.
  private failed: OutputStreamFailure | undefined;

  constructor(private readonly outputKey: CryptoKey, nextSequence: bigint = 0n) {
    if (nextSequence < 0n || nextSequence > maxSequence) throw new RangeError("The next sequence number is out of range.");
    this.next = nextSequence;
  }

  get nextSequence(): bigint { return this.next; }
  get isFinished(): boolean { return this.finished; }

  async open(frame: Uint8Array<ArrayBuffer>): Promise<OutputChunk> {
    try {
      return await this.openNext(frame);
    } catch (error) {
      if (error instanceof OutputStreamError && error.failure !== "afterFailure") this.failed ??= error.failure;
      throw error;
    }
  }

  private async openNext(frame: Uint8Array<ArrayBuffer>): Promise<OutputChunk> {
    if (this.failed !== undefined) {
      throw new OutputStreamError("afterFailure", `An earlier output chunk failed (${this.failed}); nothing more of this stream is opened.`);
    }
    if (this.finished) throw new OutputStreamError("afterFinal", "A chunk followed the output stream's final chunk.");
    const { sequence, isFinal } = readFrameHeader(frame);
    if (sequence !== this.next) {
      throw new OutputStreamError("outOfOrder",
        `Output chunk ${sequence} arrived where chunk ${this.next} was expected: a chunk was dropped, reordered or replayed.`);
    }
    let plaintext: ArrayBuffer;
    try {
      plaintext = await subtle.decrypt(
        { name: "AES-GCM", iv: outputNonce(sequence, isFinal), additionalData: outputAssociatedData(frame), tagLength: 128 },
        this.outputKey, frame.subarray(headerLength));
    } catch {
      throw new OutputStreamError("authentication", `Output chunk ${sequence} failed authentication: another key, or its bytes were modified.`);
    }
    this.next++;
    this.finished = isFinal;
    return { sequence, isFinal, plaintext: new Uint8Array(plaintext) };
  }

  /** Call when the transport ends: a stream without its final chunk was truncated. */
  complete(): void {
    if (!this.finished) {
      throw new OutputStreamError("truncated", `The output stream ended after ${this.next} chunks without its final chunk: it was truncated.`);
    }
  }
}

/** Reads a whole stream (all bytes at hand): every chunk, or the first failure with the chunks before it. */
export async function readOutputStream(
  outputKey: CryptoKey, stream: Uint8Array, startSequence: bigint = 0n,
): Promise<{ chunks: OutputChunk[]; error?: OutputStreamError }> {
  const decryptor = new OutputStreamDecryptor(outputKey, startSequence);
  const splitter = new OutputFrameSplitter();
  const chunks: OutputChunk[] = [];
  try {
    for (const frame of splitter.push(stream)) chunks.push(await decryptor.open(frame));
    splitter.end();
    decryptor.complete();
    return { chunks };
  } catch (error) {
    if (error instanceof OutputStreamError) return { chunks, error };
    throw error;
  }
}

/** Seals one chunk; a key must seal exactly one stream (nonces come from sequence numbers). */
export async function sealOutputChunk(
  outputKey: CryptoKey, sequence: bigint, isFinal: boolean, plaintext: Uint8Array<ArrayBuffer>,
): Promise<Uint8Array<ArrayBuffer>> {
  if (plaintext.length > maxPlaintextLength) throw new RangeError("An output chunk holds at most 1 MiB.");
  const header = concat(Uint8Array.of(outputStreamVersion1, isFinal ? finalFlag : 0), i2osp(sequence, 8));
  const sealed = await subtle.encrypt(
    { name: "AES-GCM", iv: outputNonce(sequence, isFinal), additionalData: outputAssociatedData(header), tagLength: 128 },
    outputKey, plaintext);
  return concat(header, new Uint8Array(sealed));
}
