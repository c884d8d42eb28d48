namespace Polydev.Server.Login.Turn;

/// <summary>
/// Settings under <c>Login:Turn</c> (environment: <c>POLYDEV_LOGIN__TURN__…</c>): the TURN server that relays a login
/// session's media between the viewer and the login sandbox (docs/login-sessions.md, "TURN"). Checked at start by
/// <see cref="TurnOptionsValidation"/>.
/// </summary>
public sealed class TurnOptions
{
    public const string Section = "Login:Turn";

    /// <summary>The server runs Debian's coturn itself, from a config it writes into the data directory.</summary>
    public const string Embedded = "embedded";

    /// <summary>An operator's coturn: <see cref="Urls"/>, <see cref="SandboxUrls"/> and the shared <see cref="Secret"/>.</summary>
    public const string External = "external";

    /// <summary>No TURN: login sessions use the fallback.</summary>
    public const string Off = "off";

    /// <summary><c>embedded</c>, <c>external</c> or <c>off</c>.</summary>
    public string Mode { get; set; } = Embedded;

    /// <summary>
    /// The secret shared with coturn (<c>static-auth-secret</c>). Embedded: empty means one generated at first start and
    /// kept in <c>&lt;Data&gt;/turn/secret</c> (0600). External: required. Give it by <c>POLYDEV_LOGIN__TURN__SECRET</c>,
    /// never in a file in the repository.
    /// </summary>
    public string? Secret { get; set; }

    public string Realm { get; set; } = "polydev";

    /// <summary>coturn's port for TURN over UDP and TCP.</summary>
    public int ListeningPort { get; set; } = 3478;

    /// <summary>Addresses coturn listens on; empty means every interface (the viewers' and the sandbox network's).</summary>
    public List<string> ListeningAddresses { get; set; } = [];

    /// <summary>The host name or address viewers reach coturn at: the <c>turn:</c> URLs handed to the browser.</summary>
    public string PublicHost { get; set; } = "127.0.0.1";

    /// <summary>
    /// The one address coturn relays on, and the only peer address it relays to. Both ends of a session relay through
    /// this coturn, so their media goes relay to relay inside the host and the address need not be reachable from
    /// outside. 127.0.0.2 rather than 127.0.0.1: it is loopback too, but services meant for this host alone bind
    /// 127.0.0.1, so they stay out of a TURN client's reach.
    /// </summary>
    public string RelayAddress { get; set; } = "127.0.0.2";

    /// <summary>First UDP port of the relay range (coturn's <c>min-port</c>).</summary>
    public int MinRelayPort { get; set; } = 49160;

    /// <summary>Last UDP port of the relay range (coturn's <c>max-port</c>), inclusive.</summary>
    public int MaxRelayPort { get; set; } = 49260;

    /// <summary>How long a TURN credential handed to a session's ends stays valid.</summary>
    public TimeSpan CredentialLifetime { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>Allocations one TURN user name may hold at once (coturn's <c>user-quota</c>).</summary>
    public int UserQuota { get; set; } = 12;

    /// <summary>Allocations coturn holds at once over all users (<c>total-quota</c>).</summary>
    public int TotalQuota { get; set; } = 240;

    /// <summary>A PEM certificate for TURN over TLS; with <see cref="PrivateKey"/> it turns on <c>turns:</c>.</summary>
    public string? Certificate { get; set; }

    /// <summary>The PEM private key of <see cref="Certificate"/>.</summary>
    public string? PrivateKey { get; set; }

    /// <summary>coturn's port for TURN over TLS, used only with a certificate.</summary>
    public int TlsListeningPort { get; set; } = 5349;

    /// <summary>External: the ICE server URLs viewers get, e.g. <c>turn:turn.example.com:3478?transport=udp</c>.</summary>
    public List<string> Urls { get; set; } = [];

    /// <summary>External: the ICE server URLs login sandboxes get (an address their network routes to).</summary>
    public List<string> SandboxUrls { get; set; } = [];

    /// <summary>Embedded: the coturn binary, a path or a name looked up in <c>PATH</c>.</summary>
    public string Binary { get; set; } = "/usr/bin/turnserver";

    /// <summary>
    /// Embedded, when the server runs as root: the account coturn drops to once its ports are open (the one Debian's
    /// package creates). Ignored when the account does not exist or the server is not root; empty keeps root.
    /// </summary>
    public string ProcessUser { get; set; } = "turnserver";

    public bool IsOff => string.Equals(Mode, Off, StringComparison.OrdinalIgnoreCase);

    public bool IsEmbedded => string.Equals(Mode, Embedded, StringComparison.OrdinalIgnoreCase);

    public bool IsExternal => string.Equals(Mode, External, StringComparison.OrdinalIgnoreCase);

    public bool HasCertificate => !string.IsNullOrWhiteSpace(Certificate) && !string.IsNullOrWhiteSpace(PrivateKey);

    /// <summary>The coturn binary's full path, or null when it is not installed.</summary>
    public string? ResolveBinary()
    {
        if (Binary.Contains('/'))
        {
            return File.Exists(Binary) ? Path.GetFullPath(Binary) : null;
        }

        var path = Environment.GetEnvironmentVariable("PATH") ?? "";
        return path.Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(directory => Path.Combine(directory, Binary))
            .FirstOrDefault(File.Exists);
    }
}
