// The login sessions API (docs/login-sessions.md) as the viewer uses it: start (lease a login sandbox, optionally to
// connect a provider account), open (hand it the sealed opening; answers a one-time channel ticket), reconnect, report
// (metadata for the metrics), end, status, and the credential a connecting session captured (still sealed and tagged).
import type { Api } from "../api/client.ts";

export interface IceServer {
  readonly urls: readonly string[];
  readonly username: string;
  readonly credential: string;
}

/** LoginSessionCreatedResponse. */
export interface LoginSessionCreated {
  readonly id: string;
  readonly sandboxPublicKey: string;
  readonly iceServers: readonly IceServer[];
  readonly sandboxIceServers: readonly IceServer[];
  readonly openBy: string;
  readonly expiresAt: string;
  readonly idleSeconds: number;
  /** The user's egress port as the sandbox reaches it, with this session's own proxy token: the remote browser's only way out. */
  readonly proxyUrl?: string | null;
  /** The provider whose account the session connects; null for a plain remote browser. */
  readonly connect?: string | null;
}

/** LoginSessionResponse: metadata only. */
export interface LoginSessionStatus {
  readonly id: string;
  readonly state: "waiting" | "open" | "ended";
  readonly createdAt: string;
  readonly expiresAt: string;
  readonly path: "webrtc" | "vnc" | null;
  readonly icePath: string | null;
  readonly endedAt: string | null;
  readonly endReason: string | null;
  readonly connect?: string | null;
  /** A connecting session captured a credential, which waits for the client at …/credential. */
  readonly hasCredential?: boolean;
}

/** LoginSessionCredentialResponse: the capture (tag and sealed box), base64. Only the user's client can check and open it. */
export interface LoginSessionCredential {
  /** Null while the session has none (not yet, or it ended otherwise). */
  readonly sealedCredential: string | null;
}

export interface ChannelTicket {
  readonly channelTicket: string;
  readonly ticketExpiresAt: string;
}

export interface LoginSessionReport {
  readonly path?: "webrtc" | "vnc";
  readonly icePath?: string;
  readonly firstFrameMs?: number;
  readonly bitrateKbps?: number;
  readonly framesPerSecond?: number;
  readonly packetsLost?: number;
}

const base = "/api/login-sessions";

export class LoginSessionsClient {
  constructor(private readonly api: Api) {}

  /** `connect` names the provider whose account the session connects (StartLoginSessionRequest); none: a plain remote browser. */
  start(signal?: AbortSignal, connect?: string): Promise<LoginSessionCreated> {
    return this.api.json("POST", base, connect === undefined ? undefined : { connect }, signal);
  }

  /** The connection details of a session started elsewhere (`polydev login-sessions start`), before it is opened. */
  attach(id: string, signal?: AbortSignal): Promise<LoginSessionCreated> {
    return this.api.json("POST", `${base}/${id}/attach`, undefined, signal);
  }

  status(id: string, signal?: AbortSignal): Promise<LoginSessionStatus> {
    return this.api.json("GET", `${base}/${id}`, undefined, signal);
  }

  open(id: string, sealedOpening: string, signal?: AbortSignal): Promise<ChannelTicket> {
    return this.api.json("POST", `${base}/${id}/open`, { sealedOpening }, signal);
  }

  reconnect(id: string, signal?: AbortSignal): Promise<ChannelTicket> {
    return this.api.json("POST", `${base}/${id}/reconnect`, undefined, signal);
  }

  report(id: string, report: LoginSessionReport): Promise<void> {
    return this.api.call("POST", `${base}/${id}/report`, report);
  }

  credential(id: string, signal?: AbortSignal): Promise<LoginSessionCredential> {
    return this.api.json("GET", `${base}/${id}/credential`, undefined, signal);
  }

  end(id: string): Promise<LoginSessionStatus> {
    return this.api.json("DELETE", `${base}/${id}`);
  }

  /** The channel's WebSocket URL on this origin (ws: or wss: as the page's own scheme). */
  static channelUrl(id: string, ticket: string, origin: string = location.origin): string {
    return `${origin.replace(/^http/, "ws")}${base}/${id}/channel?ticket=${encodeURIComponent(ticket)}`;
  }
}
