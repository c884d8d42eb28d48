// The session channel as the viewer holds it: a WebSocket to the server carrying sealed session messages, which this
// page alone can open and make (crypto/session-channel.ts). The server relays; it cannot read, change or forge them.
import { utf8 } from "../../crypto/bytes.ts";
import { OutputStreamError } from "../../crypto/output-stream.ts";
import { messageKinds, SessionChannelCipher } from "../../crypto/session-channel.ts";

/** A signalling message (LoginSignal in C#). */
export interface LoginSignal {
  readonly type: "offer" | "answer" | "candidate" | "fallback" | "end";
  readonly sdp?: string;
  readonly codec?: string;
  readonly candidate?: string;
  readonly mLineIndex?: number;
  readonly reason?: string;
}

export interface ChannelEvents {
  signal(signal: LoginSignal): void;
  screen(bytes: Uint8Array<ArrayBuffer>): void;
  /** The channel closed: `reason` is the server's end reason; `tampered` when this page refused a message. */
  closed(reason: string | null, tampered: boolean): void;
}

export class SessionChannel {
  private readonly socket: WebSocket;
  // Messages are opened strictly in arrival order: each waits for the one before it.
  private opening: Promise<void> = Promise.resolve();
  private refused = false;
  private closedReported = false;

  private constructor(url: string, private readonly cipher: SessionChannelCipher, private readonly events: ChannelEvents) {
    this.socket = new WebSocket(url);
    this.socket.binaryType = "arraybuffer";
    this.socket.onmessage = (message) => {
      if (!(message.data instanceof ArrayBuffer)) return;
      const frame = new Uint8Array(message.data);
      this.opening = this.opening.then(() => this.receive(frame));
    };
    this.socket.onclose = (event) => void this.opening.then(() => this.reportClosed(event.reason || null));
  }

  static async connect(url: string, cipher: SessionChannelCipher, events: ChannelEvents): Promise<SessionChannel> {
    const channel = new SessionChannel(url, cipher, events);
    await new Promise<void>((resolve, reject) => {
      channel.socket.addEventListener("open", () => resolve(), { once: true });
      channel.socket.addEventListener("error", () => reject(new Error("The session channel could not connect.")), { once: true });
    });
    return channel;
  }

  get isOpen(): boolean {
    return this.socket.readyState === WebSocket.OPEN && !this.refused;
  }

  async sendSignal(signal: LoginSignal): Promise<void> {
    await this.send(messageKinds.signal, utf8(JSON.stringify(signal)));
  }

  async sendScreen(bytes: Uint8Array): Promise<void> {
    await this.send(messageKinds.screen, bytes);
  }

  close(): void {
    this.socket.close(1000, "viewer closed");
  }

  private async send(kind: typeof messageKinds[keyof typeof messageKinds], payload: Uint8Array): Promise<void> {
    if (!this.isOpen) return;
    const sealed = await this.cipher.seal(kind, payload);
    if (this.isOpen) this.socket.send(sealed);
  }

  private async receive(frame: Uint8Array<ArrayBuffer>): Promise<void> {
    if (this.refused) return;
    let message;
    try {
      message = await this.cipher.open(frame);
    } catch (error) {
      if (!(error instanceof OutputStreamError) && !(error instanceof RangeError)) throw error;
      // Nothing of an untrustworthy stream is used, and nothing after it: the session is over for this page.
      this.refused = true;
      this.socket.close(1000, "tampered");
      this.reportClosed(null, true);
      return;
    }

    if (message.kind === messageKinds.screen) {
      this.events.screen(message.payload);
      return;
    }
    if (message.kind !== messageKinds.signal) return;
    let signal: LoginSignal;
    try {
      signal = JSON.parse(new TextDecoder().decode(message.payload)) as LoginSignal;
    } catch {
      return;
    }
    this.events.signal(signal);
  }

  private reportClosed(reason: string | null, tampered = this.refused): void {
    if (this.closedReported) return;
    this.closedReported = true;
    this.events.closed(reason, tampered);
  }
}
