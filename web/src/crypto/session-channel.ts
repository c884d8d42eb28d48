// A login session's channel between the viewer and the login agent (docs/login-sessions.md), the viewer's end of
// src/Polydev.Crypto/Streams/SessionChannel.cs: two output streams (the same format as a job's events), each under a
// key derived from the session key the viewer sealed to the sandbox. Every message's first plaintext byte says what
// it is: a signal (JSON) or screen bytes (the VNC fallback's RFB stream). A changed, dropped, reordered or replayed
// message, or one made under another key, fails to open, and nothing after it is opened.
import { concat } from "./bytes.ts";
import { hkdfAesKey, importHkdfKey } from "./kdf.ts";
import { OutputStreamDecryptor, sealOutputChunk } from "./output-stream.ts";

export const viewerToSandboxInfo = "polydev/login/viewer-to-sandbox";
export const sandboxToViewerInfo = "polydev/login/sandbox-to-viewer";

/** The first plaintext byte of a session message (LoginMessageKind in C#). */
export const messageKinds = { signal: 0x01, screen: 0x02 } as const;
export type MessageKind = (typeof messageKinds)[keyof typeof messageKinds];

export interface SessionMessage {
  readonly kind: number;
  readonly payload: Uint8Array<ArrayBuffer>;
}

export class SessionChannelCipher {
  private next = 0n;
  // Sealing is asynchronous: a chain keeps each message's sequence number in the order seal() was called.
  private chain: Promise<unknown> = Promise.resolve();

  private constructor(private readonly outgoing: CryptoKey, private readonly incoming: OutputStreamDecryptor) {}

  /** The viewer's end: seals viewer → sandbox, opens sandbox → viewer. The key bytes are not kept. */
  static async forViewer(sessionKey: Uint8Array<ArrayBuffer>): Promise<SessionChannelCipher> {
    const ikm = await importHkdfKey(sessionKey);
    const [outgoing, incoming] = await Promise.all([hkdfAesKey(ikm, viewerToSandboxInfo), hkdfAesKey(ikm, sandboxToViewerInfo)]);
    return new SessionChannelCipher(outgoing, new OutputStreamDecryptor(incoming));
  }

  /** One message, sealed as the next chunk of the viewer's stream. */
  seal(kind: MessageKind, payload: Uint8Array): Promise<Uint8Array<ArrayBuffer>> {
    const sealed = this.chain.then(() => sealOutputChunk(this.outgoing, this.next++, false, concat(Uint8Array.of(kind), payload)));
    this.chain = sealed.catch(() => undefined);
    return sealed;
  }

  /** Opens the agent's next message; throws OutputStreamError when it cannot be trusted. Call in arrival order. */
  async open(frame: Uint8Array<ArrayBuffer>): Promise<SessionMessage> {
    const chunk = await this.incoming.open(frame);
    if (chunk.plaintext.length === 0) throw new RangeError("A session message has no kind byte.");
    return { kind: chunk.plaintext[0]!, payload: chunk.plaintext.slice(1) };
  }
}
