namespace Polydev.Server.Login.Turn;

/// <summary>
/// One ICE server for an <c>RTCPeerConnection</c> (WebRTC's <c>RTCIceServer</c>: <c>urls</c>, <c>username</c>,
/// <c>credential</c>) plus when its credential stops working.
/// </summary>
public sealed record TurnIceServer(IReadOnlyList<string> Urls, string Username, string Credential, DateTimeOffset ExpiresAt);

/// <summary>
/// The TURN credential of one login session, as each end reaches coturn: the viewer at the public host, the sandbox at
/// its network's gateway. Hand each end its own and nobody else either.
/// </summary>
public sealed record TurnSessionServers(TurnIceServer Viewer, TurnIceServer Sandbox);
