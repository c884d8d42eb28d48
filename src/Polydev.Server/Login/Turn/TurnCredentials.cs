using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;

namespace Polydev.Server.Login.Turn;

/// <summary>
/// Time-limited TURN credentials in coturn's TURN REST API scheme (<c>use-auth-secret</c>): the user name is
/// <c>"&lt;unix expiry&gt;:&lt;userId&gt;"</c> and the password <c>base64(HMAC-SHA1(secret, username))</c>, so coturn
/// checks them from the shared secret alone and refuses them after the expiry.
/// </summary>
public sealed class TurnCredentials(IOptions<TurnOptions> options, Lazy<TurnSecret> secret, TurnMetrics metrics, TimeProvider clock)
{
    private readonly TurnOptions _options = options.Value;

    /// <summary>
    /// The session's two ICE servers, or null when TURN is off or the embedded coturn is not installed (the session
    /// then goes straight to the fallback).
    /// </summary>
    /// <param name="userId">The session's user; coturn logs it and counts its quota per user name.</param>
    /// <param name="sandboxGateway">Where the login sandbox reaches the host (the engine's sandbox network gateway).</param>
    public TurnSessionServers? Issue(string userId, IPAddress sandboxGateway)
    {
        if (_options.IsOff || (_options.IsEmbedded && _options.ResolveBinary() is null))
        {
            return null;
        }

        if (userId.Length == 0 || userId.Any(c => c == ':' || char.IsWhiteSpace(c) || char.IsControl(c)))
        {
            // The REST scheme splits the user name at its first ':'.
            throw new ArgumentException("A TURN user id must be non-empty, without ':', spaces or control characters.", nameof(userId));
        }

        var expiresAt = DateTimeOffset.FromUnixTimeSeconds(clock.GetUtcNow().Add(_options.CredentialLifetime).ToUnixTimeSeconds());
        var username = expiresAt.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture) + ":" + userId;
        var password = Password(secret.Value.Key, username);
        metrics.CredentialsIssued.Inc();
        return new TurnSessionServers(
            new TurnIceServer(ViewerUrls(), username, password, expiresAt),
            new TurnIceServer(SandboxUrls(sandboxGateway), username, password, expiresAt));
    }

    /// <summary>The REST scheme's password for <paramref name="username"/>.</summary>
    public static string Password(byte[] secret, string username) =>
        Convert.ToBase64String(HMACSHA1.HashData(secret, Encoding.UTF8.GetBytes(username)));

    private IReadOnlyList<string> ViewerUrls()
    {
        if (_options.IsExternal)
        {
            return [.. _options.Urls];
        }

        var host = IPAddress.TryParse(_options.PublicHost.Trim('[', ']'), out var address) ? Host(address) : _options.PublicHost;
        var urls = Plain(host);
        if (_options.HasCertificate)
        {
            urls.Add($"turns:{host}:{_options.TlsListeningPort}?transport=tcp");
        }

        return urls;
    }

    private IReadOnlyList<string> SandboxUrls(IPAddress gateway) =>
        _options.IsExternal ? [.. _options.SandboxUrls] : Plain(Host(gateway));

    private List<string> Plain(string host) =>
        [$"turn:{host}:{_options.ListeningPort}?transport=udp", $"turn:{host}:{_options.ListeningPort}?transport=tcp"];

    private static string Host(IPAddress address) =>
        address.AddressFamily == AddressFamily.InterNetworkV6 ? $"[{address}]" : address.ToString();
}
