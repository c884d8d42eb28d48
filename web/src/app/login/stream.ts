// The WebRTC side of the viewer: the answerer to the login agent's offer. Media and the input data channel are
// DTLS-encrypted end to end; their keys are checked against the fingerprints in the SDP, which came sealed under the
// session key, so neither the server nor TURN can insert itself. ICE uses only the TURN servers the session issued.
import type { IceServer } from "./sessions.ts";
import type { LoginSignal } from "./channel.ts";

export interface StreamOptions {
  readonly iceServers: readonly IceServer[];
  /** Only relay candidates (the sandbox relays anyway; this forces the viewer's side too). */
  readonly relayOnly: boolean;
  /** Keep only TURN URLs of this transport (a network that blocks UDP, or tests). */
  readonly transport: "udp" | "tcp" | null;
}

export interface StreamEvents {
  signal(signal: LoginSignal): void;
  track(stream: MediaStream): void;
  input(channel: RTCDataChannel): void;
  connected(): void;
  failed(): void;
}

export interface StreamQuality {
  readonly icePath: string | null;
  readonly framesPerSecond: number | null;
  readonly bitrateKbps: number | null;
  readonly packetsLost: number | null;
  readonly roundTripMs: number | null;
}

export class ViewerStream {
  readonly peer: RTCPeerConnection;
  private lastBytes: { bytes: number; at: number } | null = null;

  constructor(options: StreamOptions, private readonly events: StreamEvents) {
    const servers = options.iceServers
      .map((server) => ({ ...server, urls: server.urls.filter((url) => options.transport === null || url.endsWith(`transport=${options.transport}`)) }))
      .filter((server) => server.urls.length > 0);
    this.peer = new RTCPeerConnection({
      iceServers: servers.map((s) => ({ urls: [...s.urls], username: s.username, credential: s.credential })),
      iceTransportPolicy: options.relayOnly ? "relay" : "all",
      bundlePolicy: "max-bundle",
    });
    this.peer.onicecandidate = (event) => {
      if (event.candidate?.candidate) {
        events.signal({ type: "candidate", candidate: event.candidate.candidate, mLineIndex: event.candidate.sdpMLineIndex ?? 0 });
      }
    };
    this.peer.ontrack = (event) => events.track(event.streams[0] ?? new MediaStream([event.track]));
    this.peer.ondatachannel = (event) => events.input(event.channel);
    this.peer.onconnectionstatechange = () => {
      if (this.peer.connectionState === "connected") events.connected();
      if (this.peer.connectionState === "failed") events.failed();
    };
  }

  /** Answers the agent's offer. */
  async answer(offer: string): Promise<void> {
    await this.peer.setRemoteDescription({ type: "offer", sdp: offer });
    const answer = await this.peer.createAnswer();
    await this.peer.setLocalDescription(answer);
    this.events.signal({ type: "answer", sdp: this.peer.localDescription?.sdp ?? answer.sdp ?? "" });
  }

  async addCandidate(candidate: string, mLineIndex: number): Promise<void> {
    try {
      await this.peer.addIceCandidate({ candidate, sdpMLineIndex: mLineIndex });
    } catch {
      // A candidate for a transport this side cannot use (another family, say) is nothing to stop for.
    }
  }

  /** The path in use and how the video is doing, from the browser's statistics. */
  async quality(): Promise<StreamQuality> {
    const stats = await this.peer.getStats();
    let icePath: string | null = null;
    let fps: number | null = null;
    let bytes: number | null = null;
    let lost: number | null = null;
    let rtt: number | null = null;
    const byId = new Map<string, Record<string, unknown>>();
    stats.forEach((report: Record<string, unknown>) => byId.set(report["id"] as string, report));
    stats.forEach((report: Record<string, unknown>) => {
      if (report["type"] === "candidate-pair" && report["nominated"] === true && report["state"] === "succeeded") {
        const local = byId.get(report["localCandidateId"] as string);
        icePath = (local?.["candidateType"] as string | undefined) ?? null;
        rtt = typeof report["currentRoundTripTime"] === "number" ? Math.round((report["currentRoundTripTime"] as number) * 1000) : null;
      }
      if (report["type"] === "inbound-rtp" && report["kind"] === "video") {
        fps = typeof report["framesPerSecond"] === "number" ? report["framesPerSecond"] as number : null;
        bytes = typeof report["bytesReceived"] === "number" ? report["bytesReceived"] as number : null;
        lost = typeof report["packetsLost"] === "number" ? report["packetsLost"] as number : null;
      }
    });
    let kbps: number | null = null;
    const now = performance.now();
    if (bytes !== null) {
      if (this.lastBytes !== null && now > this.lastBytes.at) kbps = Math.round(((bytes - this.lastBytes.bytes) * 8) / (now - this.lastBytes.at));
      this.lastBytes = { bytes, at: now };
    }
    return { icePath, framesPerSecond: fps, bitrateKbps: kbps, packetsLost: lost, roundTripMs: rtt };
  }

  close(): void {
    this.peer.close();
  }
}

/**
 * The codecs this browser decodes, in the order the viewer prefers them (`preferred` first when given). H.264 leads:
 * measured here it shows a key press sooner (p50 38 ms against VP8's 43 on loopback, p95 100 against 663 ms at 40 ms
 * RTT and 1 % loss) at about 60 % of VP8's CPU (docs/benchmarks.md, "Login sessions").
 */
export function decodableCodecs(preferred: string | null): string[] {
  const mime = RTCRtpReceiver.getCapabilities?.("video")?.codecs.map((c) => c.mimeType.toLowerCase()) ?? [];
  const codecs = ["h264", "vp8"].filter((codec) => mime.length === 0 || mime.includes(`video/${codec}`));
  if (preferred !== null && codecs.includes(preferred)) return [preferred, ...codecs.filter((c) => c !== preferred)];
  return codecs;
}
