// The viewer's DOM: the stage (the remote browser at its native size when it fits, scaled down otherwise), the
// status and quality lines, the clipboard box and the controls. No decrypted content ever becomes markup: text goes
// in through textContent only.
import { button, h } from "../ui/dom.ts";
import type { RemoteSize } from "./input.ts";
import type { StreamQuality } from "./stream.ts";

export type ViewerState = "starting" | "connecting" | "streaming" | "ended";

export interface ViewerControls {
  end(): void;
  paste(text: string): void;
  copy(): void;
  resized(size: RemoteSize): void;
}

const maxSize: RemoteSize = { width: 1920, height: 1200 };
const minSize: RemoteSize = { width: 320, height: 240 };

export class ViewerView {
  readonly root: HTMLElement;
  readonly surface: HTMLVideoElement;
  private readonly stage: HTMLDivElement;
  private readonly vnc: HTMLDivElement;
  private readonly status: HTMLParagraphElement;
  private readonly qualityLine: HTMLParagraphElement;
  private readonly clipboard: HTMLOutputElement;
  private readonly ending: HTMLParagraphElement;
  private readonly pasteBox: HTMLTextAreaElement;
  private readonly title: HTMLHeadingElement;
  private readonly purpose: HTMLParagraphElement;
  private input: RTCDataChannel | null = null;
  private observer: ResizeObserver | null = null;
  private resizeTimer = 0;

  constructor(controls: ViewerControls) {
    this.surface = h("video", { class: "remote-video", autoplay: true, muted: true, playsinline: true, tabindex: 0, "aria-label": "Remote browser" });
    this.vnc = h("div", { class: "remote-vnc", hidden: true });
    this.stage = h("div", { class: "remote-stage" }, this.surface, this.vnc);
    this.status = h("p", { class: "viewer-status", role: "status", "data-state": "starting" }, "Starting…");
    this.qualityLine = h("p", { class: "viewer-quality muted", "data-quality": "" });
    this.clipboard = h("output", { class: "remote-clipboard", "data-remote-clipboard": "" });
    this.ending = h("p", { class: "viewer-ending", hidden: true, role: "alert" });
    this.pasteBox = h("textarea", { class: "paste-box", rows: 1, placeholder: "Text to paste into the remote browser", "aria-label": "Text to paste" });
    const controlsBar = h("div", { class: "viewer-controls" },
      this.pasteBox,
      button("Paste", () => { if (this.pasteBox.value) controls.paste(this.pasteBox.value); this.pasteBox.value = ""; }, { "data-action": "paste" }),
      button("Copy from remote", () => controls.copy(), { "data-action": "copy" }),
      button("Full screen", () => void this.stage.requestFullscreen?.().catch(() => undefined), { "data-action": "fullscreen" }),
      button("End session", () => controls.end(), { "data-action": "end", class: "danger" }));
    this.title = h("h1", {}, "Remote browser");
    this.purpose = h("p", { class: "hint", hidden: true });
    this.root = h("section", { class: "page viewer", "data-state": "starting" },
      this.title, this.purpose,
      this.status, this.qualityLine, controlsBar,
      h("p", { class: "muted" }, "Remote clipboard: ", this.clipboard),
      this.ending, this.stage);
    this.observer = new ResizeObserver(() => {
      clearTimeout(this.resizeTimer);
      this.resizeTimer = window.setTimeout(() => controls.resized(this.stageSize()), 400);
    });
    this.observer.observe(this.stage);
  }

  /** The remote screen size to ask for: the stage's CSS pixels, within what the sandbox's screen allows. */
  stageSize(): RemoteSize {
    const width = Math.round(this.stage.clientWidth || 1280);
    const height = Math.round(this.stage.clientHeight || 800);
    return {
      width: Math.min(maxSize.width, Math.max(minSize.width, width)) & ~1,
      height: Math.min(maxSize.height, Math.max(minSize.height, height)) & ~1,
    };
  }

  /** The session connects `provider`'s account: say so above the remote browser. */
  connecting(provider: string, cli: string, forTerminal: boolean): void {
    this.root.dataset["connect"] = provider;
    this.title.textContent = `Connect ${cli}`;
    this.purpose.hidden = false;
    this.purpose.textContent = `Sign in to your account in the remote browser below. ${cli} signs in there by itself; its credential comes back sealed to your key, ${forTerminal ? "for the terminal that started this session" : "and is stored in your vault"}. The server cannot read it.`;
  }

  state(state: ViewerState, words: string, path?: "webrtc" | "vnc"): void {
    this.status.dataset["state"] = state;
    this.root.dataset["state"] = state;
    if (path) this.status.dataset["path"] = path;
    this.status.textContent = words;
  }

  sessionStarted(id: string): void {
    this.root.dataset["session"] = id;
  }

  showVideo(media: MediaStream, firstFrame: () => void): void {
    this.surface.srcObject = media;
    this.surface.requestVideoFrameCallback?.(() => firstFrame());
  }

  inputChannel(channel: RTCDataChannel, notice: (message: Record<string, never>) => void): void {
    this.input = channel;
    channel.onmessage = (event) => {
      try {
        notice(JSON.parse(String(event.data)) as Record<string, never>);
      } catch {
        // Not a notice this page knows.
      }
    };
  }

  sendInput(message: object): void {
    if (this.input?.readyState === "open") this.input.send(JSON.stringify(message));
  }

  /** Shows the remote screen at its own size when the stage holds it; CSS scales it down otherwise. */
  remoteSize(size: RemoteSize): void {
    this.surface.style.width = `${size.width}px`;
    this.surface.style.aspectRatio = `${size.width} / ${size.height}`;
    this.root.dataset["remoteSize"] = `${size.width}x${size.height}`;
  }

  remoteClipboard(text: string): void {
    this.clipboard.textContent = text;
    void navigator.clipboard?.writeText(text).catch(() => undefined);
  }

  cursor(name: string): void {
    this.surface.style.cursor = /^[a-z-]+$/.test(name) ? name : "default";
  }

  quality(quality: StreamQuality): void {
    const parts = [
      quality.icePath === null ? null : `path ${quality.icePath}`,
      quality.framesPerSecond === null ? null : `${Math.round(quality.framesPerSecond)} fps`,
      quality.bitrateKbps === null ? null : `${quality.bitrateKbps} kbit/s`,
      quality.roundTripMs === null ? null : `${quality.roundTripMs} ms round trip`,
      quality.packetsLost === null ? null : `${quality.packetsLost} packets lost`,
    ].filter((p) => p !== null);
    this.qualityLine.textContent = parts.join(" · ");
    if (quality.icePath !== null) this.qualityLine.dataset["ice"] = quality.icePath;
    if (quality.framesPerSecond !== null) this.qualityLine.dataset["fps"] = String(quality.framesPerSecond);
  }

  vncTarget(): HTMLElement {
    this.surface.hidden = true;
    this.vnc.hidden = false;
    return this.vnc;
  }

  ended(sentence: string, reason: string | null): void {
    this.finish("ended", "Session ended.", sentence, reason);
  }

  /** The account is connected: `account` and `credentialId` when this page stored it (for tests as data-account, data-credential). */
  connected(sentence: string, account: string | null, credentialId: string | null): void {
    this.finish("connected", "Connected.", sentence, "connected");
    if (account !== null) this.root.dataset["account"] = account;
    if (credentialId !== null) this.root.dataset["credential"] = credentialId;
  }

  /** The session ended connected, but its capture could not be checked, opened or stored. */
  connectFailed(sentence: string): void {
    this.finish("connect-failed", "Not connected.", sentence, "connected");
  }

  private finish(state: "ended" | "connected" | "connect-failed", words: string, sentence: string, reason: string | null): void {
    this.state("ended", words);
    this.root.dataset["state"] = state;
    this.ending.hidden = false;
    this.ending.textContent = sentence;
    if (reason !== null) this.ending.dataset["reason"] = reason;
    this.surface.srcObject = null;
    // Nothing is streamed any more: no black stage and stale figures under the ending.
    this.stage.hidden = true;
    this.qualityLine.hidden = true;
  }

  dispose(): void {
    this.observer?.disconnect();
    clearTimeout(this.resizeTimer);
  }
}
