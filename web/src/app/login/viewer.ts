// One login session in the page: start or attach, seal the opening, connect the channel, then show the remote browser
// over WebRTC, or over the sealed VNC fallback when WebRTC cannot connect. Everything the server relays is sealed
// under a session key this page made and only the sandbox can open (docs/login-sessions.md). A session that connects a
// provider account ends `connected`; then the capture is fetched, checked and stored (or left to the terminal).
import { fromBase64, randomBytes, toBase64, utf8 } from "../../crypto/bytes.ts";
import { seal } from "../../crypto/sealed-box.ts";
import { SessionChannelCipher } from "../../crypto/session-channel.ts";
import { userMessage } from "../api/errors.ts";
import { SessionChannel, type LoginSignal } from "./channel.ts";
import { connectMismatch, type ConnectRequest } from "./connect.ts";
import { captureInput, type RemoteSize } from "./input.ts";
import { loginOpening, openingPurpose } from "./opening.ts";
import { LoginSessionsClient, type LoginSessionCreated } from "./sessions.ts";
import { decodableCodecs, ViewerStream } from "./stream.ts";
import { loadRfb, SealedVncChannel, type Rfb } from "./vnc.ts";
import { cliName, endingSentence, isKnownEnding, tamperedSentence } from "./words.ts";
import type { ViewerView } from "./viewer-view.ts";

const connectTimeoutMs = 12_000;
const reportEveryMs = 10_000;

export interface ViewerOptions {
  readonly startUrl: string | null;
  readonly relayOnly: boolean;
  readonly transport: "udp" | "tcp" | null;
  readonly codec: string | null;
  /** Go straight to the sealed VNC path (a network where WebRTC never works; the benchmark). */
  readonly forceVnc: boolean;
  /** A fixed remote screen size instead of the stage's (the benchmark's 1280×800). */
  readonly size: RemoteSize | null;
  /** The session connects a provider account; null for a plain remote browser. */
  readonly connect: ViewerConnect | null;
}

export interface ViewerConnect {
  readonly request: ConnectRequest;
  /** Once the session ended `connected`: fetch, check, open and store the capture, or leave it to the terminal. */
  finish(sessionId: string): Promise<ConnectOutcome>;
}

export interface ConnectOutcome {
  readonly sentence: string;
  /** The connected account, when this page stored it and the CLI named one. */
  readonly account: string | null;
  /** The vault record this page stored; null when the terminal stores it. */
  readonly credentialId: string | null;
}

export class LoginViewer {
  private channel: SessionChannel | null = null;
  private stream: ViewerStream | null = null;
  private vnc: { channel: SealedVncChannel; rfb: Rfb | null } | null = null;
  private remote: RemoteSize = { width: 0, height: 0 };
  private openedAt = 0;
  private firstFrameMs: number | null = null;
  private ended = false;
  /** The page went away: nothing more is shown or stored. */
  private gone = false;
  private sessionId: string | null = null;
  private agentEnding: string | null = null;
  private readonly timers: number[] = [];
  private stopInput: (() => void) | null = null;

  constructor(private readonly sessions: LoginSessionsClient, private readonly view: ViewerView, private readonly options: ViewerOptions) {}

  /** `id` null starts a new session; otherwise attaches to one started elsewhere (`polydev login-sessions start`). */
  async run(id: string | null, signal: AbortSignal): Promise<void> {
    const connect = this.options.connect?.request ?? null;
    this.view.state("starting", connect === null ? "Starting a remote browser…" : `Starting a remote browser for the ${cliName(connect.provider)} sign-in…`);
    const created = id === null ? await this.sessions.start(signal, connect?.provider) : await this.sessions.attach(id, signal);
    this.sessionId = created.id;
    this.view.sessionStarted(created.id);
    // The opening says what the agent does; the server's word on the session must agree with the page's.
    const mismatch = connectMismatch(created.connect, connect);
    if (mismatch !== null) {
      if (id === null) void this.sessions.end(created.id).catch(() => undefined);
      throw new Error(mismatch);
    }
    const size = this.options.size ?? this.view.stageSize();
    this.remote = { ...size };
    const sessionKey = randomBytes(32);
    const cipher = await SessionChannelCipher.forViewer(sessionKey);
    const opening = utf8(JSON.stringify(loginOpening({
      sessionKey,
      sandboxIceServers: created.sandboxIceServers,
      size,
      codecs: decodableCodecs(this.options.codec),
      startUrl: this.options.startUrl,
      proxyUrl: created.proxyUrl,
      connect,
    })));
    let sealedOpening: Uint8Array;
    try {
      sealedOpening = await seal(fromBase64(created.sandboxPublicKey), opening, openingPurpose);
    } finally {
      opening.fill(0);
      sessionKey.fill(0);
      // The terminal's proof key is the terminal's to check with; this page needs no copy once it is sealed.
      if (connect?.forTerminal) connect.proofKey.fill(0);
    }
    if (signal.aborted) return;
    const ticket = await this.sessions.open(created.id, toBase64(sealedOpening), signal);
    this.openedAt = performance.now();
    this.channel = await SessionChannel.connect(LoginSessionsClient.channelUrl(created.id, ticket.channelTicket), cipher, {
      signal: (message) => void this.onSignal(message),
      screen: (bytes) => this.vnc?.channel.deliver(bytes),
      closed: (reason, tampered) => this.end(
        tampered ? tamperedSentence : isKnownEnding(reason) || this.agentEnding === null ? endingSentence(reason) : this.agentEnding,
        reason, tampered),
    });
    this.view.state("connecting", "Connecting…");
    this.startStream(created);
  }

  /** Ends the session at the user's request. */
  async endByUser(id: string | null): Promise<void> {
    if (this.channel?.isOpen) await this.channel.sendSignal({ type: "end" });
    if (id !== null) await this.sessions.end(id).catch(() => undefined);
  }

  pasteText(text: string): void {
    if (this.vnc?.rfb) this.vnc.rfb.clipboardPasteFrom(text);
    else this.view.sendInput({ t: "paste", text });
  }

  requestCopy(): void {
    this.view.sendInput({ t: "copy" });
  }

  resize(size: RemoteSize): void {
    if (this.vnc === null && this.options.size === null) this.view.sendInput({ t: "resize", width: size.width, height: size.height });
  }

  dispose(): void {
    this.gone = true;
    this.stop();
  }

  private stop(): void {
    this.ended = true;
    for (const timer of this.timers) clearInterval(timer);
    this.stopInput?.();
    this.stream?.close();
    this.vnc?.rfb?.disconnect();
    this.channel?.close();
  }

  private startStream(created: LoginSessionCreated): void {
    if (created.iceServers.length === 0 || this.options.forceVnc) {
      void this.fallBack(created.id);
      return;
    }
    this.stream = new ViewerStream({ iceServers: created.iceServers, relayOnly: this.options.relayOnly, transport: this.options.transport }, {
      signal: (message) => void this.channel?.sendSignal(message),
      track: (media) => this.view.showVideo(media, () => this.onFirstFrame(created.id)),
      input: (channel) => {
        this.view.inputChannel(channel, (notice) => this.onNotice(notice));
        this.stopInput = captureInput(this.view.surface, channel, () => this.remote);
      },
      connected: () => this.view.state("streaming", "Connected over WebRTC.", "webrtc"),
      failed: () => void this.fallBack(created.id),
    });
    this.timers.push(window.setTimeout(() => {
      if (this.firstFrameMs === null && this.vnc === null) void this.fallBack(created.id);
    }, connectTimeoutMs));
    this.timers.push(window.setInterval(() => void this.showQuality(created.id), 2000));
  }

  private async onSignal(message: LoginSignal): Promise<void> {
    if (message.type === "offer" && message.sdp && this.stream) await this.stream.answer(message.sdp);
    else if (message.type === "candidate" && message.candidate && this.stream) await this.stream.addCandidate(message.candidate, message.mLineIndex ?? 0);
    else if (message.type === "end") {
      // The server's close follows at once with the reason it recorded; the agent's words stand in if it does not.
      this.agentEnding = message.reason ?? null;
      this.timers.push(window.setTimeout(() => this.end(this.agentEnding ?? endingSentence(null), null), 3000));
    }
  }

  private onNotice(notice: { t?: string; text?: string; width?: number; height?: number; cursor?: string }): void {
    if (notice.t === "size" && notice.width && notice.height) {
      this.remote = { width: notice.width, height: notice.height };
      this.view.remoteSize(this.remote);
    } else if (notice.t === "clipboard" && typeof notice.text === "string") {
      this.view.remoteClipboard(notice.text);
    } else if (notice.t === "cursor" && notice.cursor) {
      this.view.cursor(notice.cursor);
    }
  }

  private onFirstFrame(id: string): void {
    if (this.firstFrameMs !== null) return;
    this.firstFrameMs = Math.round(performance.now() - this.openedAt);
    void this.sessions.report(id, { path: this.vnc ? "vnc" : "webrtc", firstFrameMs: this.firstFrameMs }).catch(() => undefined);
  }

  private lastReport = Number.NEGATIVE_INFINITY;

  private async showQuality(id: string): Promise<void> {
    if (!this.stream || this.vnc || this.ended) return;
    const quality = await this.stream.quality();
    this.view.quality(quality);
    if (performance.now() - this.lastReport < reportEveryMs || quality.icePath === null) return;
    this.lastReport = performance.now();
    const report: Record<string, unknown> = { path: "webrtc", icePath: quality.icePath };
    if (quality.bitrateKbps !== null) report["bitrateKbps"] = quality.bitrateKbps;
    if (quality.framesPerSecond !== null) report["framesPerSecond"] = quality.framesPerSecond;
    if (quality.packetsLost !== null) report["packetsLost"] = quality.packetsLost;
    await this.sessions.report(id, report).catch(() => undefined);
  }

  /** WebRTC did not connect: ask the agent for the sealed VNC path and hand noVNC a channel that decrypts. */
  private async fallBack(id: string): Promise<void> {
    if (this.vnc !== null || this.ended || this.channel === null) return;
    this.stream?.close();
    this.stream = null;
    this.stopInput?.();
    const channel = new SealedVncChannel(this.channel);
    this.vnc = { channel, rfb: null };
    this.view.state("connecting", "WebRTC could not connect; switching to the encrypted VNC path…", "vnc");
    const Rfb = await loadRfb();
    await this.channel.sendSignal({ type: "fallback" });
    const rfb = new Rfb(this.view.vncTarget(), channel, {});
    rfb.scaleViewport = true;
    rfb.addEventListener("clipboard", (event) => this.view.remoteClipboard((event as CustomEvent<{ text: string }>).detail.text));
    rfb.addEventListener("connect", () => {
      this.view.state("streaming", "Connected over the encrypted VNC path (WebRTC could not connect).", "vnc");
      this.onFirstFrame(id);
    });
    this.vnc.rfb = rfb;
    channel.open();
    void this.sessions.report(id, { path: "vnc" }).catch(() => undefined);
  }

  private end(sentence: string, reason: string | null, tampered = false): void {
    if (this.ended) return;
    this.stop();
    const id = this.sessionId;
    // This page refused the channel: the sandbox may not know yet, so the session is ended on the server too.
    if (tampered && id !== null) void this.sessions.end(id).catch(() => undefined);
    if (this.options.connect !== null && !tampered && id !== null) {
      void this.endConnect(this.options.connect, id, sentence, reason);
      return;
    }
    this.view.ended(sentence, tampered ? "tampered" : reason);
  }

  /** A connecting session ended: when it ended `connected`, its capture is taken in (ConnectOutcome). */
  private async endConnect(connect: ViewerConnect, id: string, sentence: string, reason: string | null): Promise<void> {
    // The server's close names the reason; when only the agent's end signal came, the session's status says it.
    const ending = reason ?? await this.sessions.status(id).then((status) => status.endReason, () => null);
    if (this.gone) return;
    if (ending !== "connected") {
      this.view.ended(ending === reason ? sentence : endingSentence(ending), ending);
      return;
    }
    this.view.state("ended", connect.request.forTerminal ? "Connected." : "Storing the credential in your vault…");
    try {
      const outcome = await connect.finish(id);
      if (!this.gone) this.view.connected(outcome.sentence, outcome.account, outcome.credentialId);
    } catch (error) {
      if (!this.gone) this.view.connectFailed(userMessage(error));
    }
  }
}
