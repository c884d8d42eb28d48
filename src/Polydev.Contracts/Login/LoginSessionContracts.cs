namespace Polydev.Contracts.Login;

/// <summary>A login session's life: waiting for the viewer's opening, open (streaming), ended.</summary>
public static class LoginSessionStates
{
    public const string Waiting = "waiting";
    public const string Open = "open";
    public const string Ended = "ended";
}

/// <summary>Why a login session ended, as the server tells it (the viewer shows these in words).</summary>
public static class LoginSessionEndReasons
{
    /// <summary>The user ended it (the viewer, <c>polydev login-sessions end</c>, or DELETE).</summary>
    public const string EndedByUser = "ended_by_user";
    public const string TimeLimit = "time_limit";
    public const string Idle = "idle";
    /// <summary>The sandbox or its agent disappeared.</summary>
    public const string SandboxLost = "sandbox_lost";
    /// <summary>A session message failed authentication at the agent: something between the two ends changed it.</summary>
    public const string ChannelRefused = "channel_refused";
    /// <summary>The agent could not open the viewer's opening.</summary>
    public const string OpeningRefused = "opening_refused";
    /// <summary>The remote browser or its stream failed.</summary>
    public const string StreamFailed = "stream_failed";
    /// <summary>No opening came within the start window.</summary>
    public const string NotOpened = "not_opened";
    public const string ServerStopped = "server_stopped";
    /// <summary>The account was connected: the CLI's credential was captured, sealed to the user, and waits for the user's client.</summary>
    public const string Connected = "connected";
    /// <summary>The CLI wrote a credential of the wrong shape; nothing was kept.</summary>
    public const string CredentialRefused = "credential_refused";
    /// <summary>The CLI's login ended without writing a credential (the sign-in was refused or cancelled).</summary>
    public const string LoginFailed = "login_failed";
}

/// <param name="Connect">The provider whose account this session connects (<c>anthropic</c>, <c>openai</c>, <c>google</c>); null for a plain remote browser. Metadata: the viewer seals what the agent acts on.</param>
public sealed record StartLoginSessionRequest(string? Connect = null);

/// <summary>
/// The credential a session captured: <c>CredentialCapture</c> bytes (tag and sealed box), base64, or null while it has
/// none (not yet, or it ended otherwise; <see cref="State"/> and <see cref="EndReason"/> say which). Only the user's
/// client can check and open it.
/// </summary>
public sealed record LoginSessionCredentialResponse(string? SealedCredential, string State, string? EndReason);

/// <summary>An ICE server for the viewer's <c>RTCPeerConnection</c>, or for the sandbox (sealed into the opening).</summary>
public sealed record LoginIceServerResponse(IReadOnlyList<string> Urls, string Username, string Credential);

/// <summary>
/// A login sandbox is reserved: seal a <see cref="LoginOpening"/> to <see cref="SandboxPublicKey"/> (putting
/// <see cref="SandboxIceServers"/> and <see cref="ProxyUrl"/> in it) and open it before <see cref="OpenBy"/>.
/// </summary>
/// <param name="ProxyUrl">The user's egress port as the sandbox reaches it, with a proxy token for this session alone.</param>
/// <param name="IceServers">The viewer's TURN servers; empty when this server has no TURN (the viewer goes straight to the fallback).</param>
/// <param name="SandboxIceServers">The sandbox's view of the same TURN servers; only the opening carries them to it.</param>
public sealed record LoginSessionCreatedResponse(
    Guid Id,
    string SandboxPublicKey,
    IReadOnlyList<LoginIceServerResponse> IceServers,
    IReadOnlyList<LoginIceServerResponse> SandboxIceServers,
    DateTimeOffset OpenBy,
    DateTimeOffset ExpiresAt,
    int IdleSeconds,
    string? ProxyUrl = null,
    string? Connect = null);

/// <param name="SealedOpening">The <see cref="LoginOpening"/> sealed to the sandbox's key with purpose <c>login.session</c>, base64.</param>
public sealed record OpenLoginSessionRequest(string? SealedOpening);

/// <summary>The opening went to the sandbox; connect the session channel (a WebSocket) with this one-time ticket within 30 s.</summary>
public sealed record LoginSessionOpenedResponse(string ChannelTicket, DateTimeOffset TicketExpiresAt);

/// <summary>What the viewer measured (metadata only): for the server's metrics.</summary>
/// <param name="Path"><c>webrtc</c> or <c>vnc</c>.</param>
/// <param name="IcePath">The selected candidate pair's local type: <c>host</c>, <c>srflx</c>, <c>prflx</c> or <c>relay</c>.</param>
/// <remarks>Every field is optional: a viewer reports what it has measured so far.</remarks>
public sealed record LoginSessionReport(
    string? Path = null, string? IcePath = null, double? FirstFrameMs = null, double? BitrateKbps = null, double? FramesPerSecond = null, long? PacketsLost = null);

public sealed record LoginSessionResponse(
    Guid Id,
    string State,
    DateTimeOffset CreatedAt,
    DateTimeOffset ExpiresAt,
    string? Path,
    string? IcePath,
    DateTimeOffset? EndedAt,
    string? EndReason,
    string? Connect = null,
    bool HasCredential = false);
