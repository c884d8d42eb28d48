using System.Text.Json.Serialization;

namespace Polydev.Contracts.Login;

/// <summary>
/// What the viewer seals to a login sandbox's one-session public key (purpose <see cref="SealedPurpose"/>): the session
/// key every later message in both directions is encrypted and authenticated under, the TURN servers the sandbox may
/// use, and what the viewer can show. The server relays it and cannot open it (docs/login-sessions.md).
/// </summary>
public sealed class LoginOpening
{
    public const string SealedPurpose = "login.session";

    public const int CurrentVersion = 1;

    public const int SessionKeyLength = 32;

    public int Version { get; set; } = CurrentVersion;

    /// <summary>32 random bytes the viewer made for this session (base64 in JSON).</summary>
    public byte[] SessionKey { get; set; } = [];

    /// <summary>The TURN servers as the sandbox reaches them, with the session's time-limited credentials.</summary>
    public List<LoginIceServer> IceServers { get; set; } = [];

    /// <summary>The screen size the viewer asks for (CSS pixels of its viewer area).</summary>
    public int Width { get; set; } = 1280;

    public int Height { get; set; } = 800;

    /// <summary>The video codecs the viewer decodes, in its order of preference (<see cref="LoginCodecs"/>).</summary>
    public List<string> Codecs { get; set; } = [];

    /// <summary>The page the remote browser opens first; null: a blank page.</summary>
    public string? StartUrl { get; set; }

    /// <summary>
    /// The user's egress port as the sandbox reaches it, with the session's own proxy token (from the start's answer):
    /// the remote browser's and the CLI's only way out. Null: the sandbox reaches nothing but TURN.
    /// </summary>
    public string? ProxyUrl { get; set; }

    /// <summary>Present when the session connects a provider account: the agent runs that CLI's login and captures its credential.</summary>
    public LoginConnect? Connect { get; set; }
}

/// <summary>
/// What a session that connects an account needs: which CLI logs in, whom the captured credential is sealed to, and the
/// key that proves to the user's client that the capture came from this sandbox (<c>Polydev.Crypto.CredentialCapture</c>).
/// </summary>
public sealed class LoginConnect
{
    /// <summary><c>anthropic</c>, <c>openai</c> or <c>google</c>.</summary>
    public string Provider { get; set; } = "";

    /// <summary>The user's account public key (65-byte uncompressed P-256, base64), as the client that made the opening knows it.</summary>
    public byte[] RecipientPublicKey { get; set; } = [];

    /// <summary>32 random bytes (base64) the client keeps to check the capture's tag; the server never sees them.</summary>
    public byte[] ProofKey { get; set; } = [];
}

/// <summary>
/// The plaintext of a captured credential (sealed with <c>CredentialCapture</c>): the CLI's credential file as it wrote
/// it, and what the agent read from it (or from the CLI's account file beside it) for the user to see.
/// </summary>
public sealed class LoginCapturedCredential
{
    public const int CurrentVersion = 1;

    public int Version { get; set; } = CurrentVersion;

    public string Provider { get; set; } = "";

    /// <summary>The content of the CLI's credential file (e.g. <c>~/.claude/.credentials.json</c>), byte for byte as UTF-8 text.</summary>
    public string File { get; set; } = "";

    /// <summary>The account's e-mail address, or its id when the CLI names no address; null when neither is known.</summary>
    public string? Account { get; set; }

    /// <summary>When the access token in <see cref="File"/> expires; null when the file does not say.</summary>
    public DateTimeOffset? ExpiresAt { get; set; }

    /// <summary>Whether the file holds a refresh token (the CLI renews the access token by itself).</summary>
    public bool Refreshable { get; set; }
}

/// <summary>One TURN server: <c>turn:host:port?transport=udp|tcp</c> URLs and the REST-API credentials for them.</summary>
public sealed class LoginIceServer
{
    public List<string> Urls { get; set; } = [];

    public string? Username { get; set; }

    public string? Credential { get; set; }
}

/// <summary>The video codecs a login stream can be sent in.</summary>
public static class LoginCodecs
{
    public const string Vp8 = "vp8";
    public const string H264 = "h264";
}

/// <summary>Login sessions' JSON: camelCase, null members omitted, unknown members refused.</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow)]
[JsonSerializable(typeof(LoginOpening))]
[JsonSerializable(typeof(LoginCapturedCredential))]
[JsonSerializable(typeof(LoginSignal))]
[JsonSerializable(typeof(LoginInput))]
public sealed partial class LoginJsonContext : JsonSerializerContext;
