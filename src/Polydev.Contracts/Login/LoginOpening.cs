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
[JsonSerializable(typeof(LoginSignal))]
[JsonSerializable(typeof(LoginInput))]
public sealed partial class LoginJsonContext : JsonSerializerContext;
