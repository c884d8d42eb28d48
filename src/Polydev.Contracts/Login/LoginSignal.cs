namespace Polydev.Contracts.Login;

/// <summary>
/// One signalling message between viewer and login agent, the plaintext of one encrypted session message
/// (<see cref="LoginMessageKind.Signal"/>). The server relays the ciphertext; it never sees these fields.
/// </summary>
public sealed class LoginSignal
{
    /// <summary><see cref="LoginSignalTypes"/>.</summary>
    public string Type { get; set; } = "";

    /// <summary>The SDP of an offer or answer.</summary>
    public string? Sdp { get; set; }

    /// <summary>The codec the offer sends (<see cref="LoginCodecs"/>).</summary>
    public string? Codec { get; set; }

    /// <summary>An ICE candidate line and its m-line index.</summary>
    public string? Candidate { get; set; }

    public int? MLineIndex { get; set; }

    /// <summary>Why the sender ends or refuses the session, in words for the user.</summary>
    public string? Reason { get; set; }
}

/// <summary>The signalling message types.</summary>
public static class LoginSignalTypes
{
    /// <summary>Agent → viewer: the stream's offer, after the opening.</summary>
    public const string Offer = "offer";

    /// <summary>Viewer → agent: the answer.</summary>
    public const string Answer = "answer";

    /// <summary>Either way: one trickled ICE candidate.</summary>
    public const string Candidate = "candidate";

    /// <summary>Viewer → agent: WebRTC could not connect; carry the screen over the session channel instead (VNC).</summary>
    public const string Fallback = "fallback";

    /// <summary>Either way: the sender ends the session (with a reason).</summary>
    public const string End = "end";
}

/// <summary>
/// The first byte of an encrypted session message's plaintext: what the rest is. Signals are JSON; screen bytes are
/// the fallback's raw VNC (RFB) stream, in either direction.
/// </summary>
public enum LoginMessageKind : byte
{
    Signal = 0x01,
    Screen = 0x02,
}
