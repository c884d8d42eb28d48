// The fallback when WebRTC cannot connect: noVNC (Debian's, served at /novnc/) speaking RFB to x11vnc in the sandbox,
// through a channel object that looks like a WebSocket to noVNC but seals every byte it sends and opens every byte it
// gets under the session key. The server relays those messages exactly as it relays signals: it sees only sizes.
import type { SessionChannel } from "./channel.ts";

/** What noVNC's Websock.attach needs of a raw channel (core/websock.js, rawChannelProps). */
export class SealedVncChannel {
  binaryType = "arraybuffer";
  protocol = "";
  readyState: number = WebSocket.CONNECTING;
  onopen: ((event: Event) => void) | null = null;
  onmessage: ((event: { data: ArrayBuffer }) => void) | null = null;
  onerror: ((event: Event) => void) | null = null;
  onclose: ((event: { code: number; reason: string; wasClean: boolean }) => void) | null = null;

  // The agent's VNC server speaks first, and its first bytes may arrive before noVNC has attached: they wait here.
  private readonly early: ArrayBuffer[] = [];

  constructor(private readonly channel: SessionChannel) {}

  /** Called once noVNC has attached its handlers; what arrived before is handed over in order. */
  open(): void {
    this.readyState = WebSocket.OPEN;
    this.onopen?.(new Event("open"));
    for (const data of this.early.splice(0)) this.onmessage?.({ data });
  }

  /** Screen bytes from the agent, already opened. */
  deliver(bytes: Uint8Array<ArrayBuffer>): void {
    const data = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
    if (this.readyState !== WebSocket.OPEN || this.onmessage === null) this.early.push(data);
    else this.onmessage({ data });
  }

  send(data: ArrayBuffer | ArrayBufferView): void {
    const bytes = data instanceof ArrayBuffer ? new Uint8Array(data) : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    void this.channel.sendScreen(bytes.slice());
  }

  close(): void {
    if (this.readyState === WebSocket.CLOSED) return;
    this.readyState = WebSocket.CLOSED;
    this.onclose?.({ code: 1000, reason: "", wasClean: true });
  }
}

/** noVNC's RFB client, as much of it as the viewer uses. */
export interface Rfb extends EventTarget {
  scaleViewport: boolean;
  clipViewport: boolean;
  focusOnClick: boolean;
  clipboardPasteFrom(text: string): void;
  focus(): void;
  disconnect(): void;
}

type RfbConstructor = new (target: HTMLElement, channel: SealedVncChannel, options?: object) => Rfb;

/** Loads noVNC's RFB module from the server (a path kept out of the bundle: it is Debian's copy, not ours). */
export async function loadRfb(path = "/novnc/core/rfb.js"): Promise<RfbConstructor> {
  const module = (await import(/* webpackIgnore: true */ path)) as { default: RfbConstructor };
  return module.default;
}
