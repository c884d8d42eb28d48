using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Polydev.Server.Egress.Proxy;

/// <summary>
/// The configured upstream proxy (Decodo), with <c>{port}</c> and <c>{session}</c> substituted per
/// user. Credentials come from <c>Upstream:Username</c>/<c>Password</c> or, failing those, from
/// the URL's user-info. Nothing here ever puts the URL or the credentials in a message.
/// </summary>
internal sealed class UpstreamProxy
{
    private const string PortPlaceholder = "{port}";
    private const string SessionPlaceholder = "{session}";

    private readonly string _urlTemplate;
    private readonly string? _username;
    private readonly string? _password;

    private UpstreamProxy(string urlTemplate, string? username, string? password)
    {
        _urlTemplate = urlTemplate;
        _username = username;
        _password = password;
    }

    /// <summary>Null when no upstream is configured (direct connections).</summary>
    public static UpstreamProxy? Create(EgressUpstreamOptions options)
    {
        if (!options.IsConfigured)
        {
            return null;
        }

        var template = options.Url!.Trim();
        var sample = Substitute(template, 10001, "0000000000000000");
        if (!Uri.TryCreate(sample, UriKind.Absolute, out var uri) || uri.Scheme != Uri.UriSchemeHttp || string.IsNullOrEmpty(uri.Host)
            || !string.IsNullOrEmpty(uri.Query) || uri.AbsolutePath is not ("/" or ""))
        {
            // The URL may carry credentials: say what is wrong without echoing it.
            throw new ArgumentException("Egress:Upstream:Url must be an http:// proxy address such as http://gate.decodo.com:7000 or http://gate.decodo.com:{port} (placeholders: {port}, {session}).");
        }

        string? username = string.IsNullOrEmpty(options.Username) ? null : options.Username;
        string? password = options.Password;
        if (username is null && uri.UserInfo.Length > 0)
        {
            var colon = uri.UserInfo.IndexOf(':', StringComparison.Ordinal);
            username = Uri.UnescapeDataString(colon < 0 ? uri.UserInfo : uri.UserInfo[..colon]);
            password ??= colon < 0 ? null : Uri.UnescapeDataString(uri.UserInfo[(colon + 1)..]);
        }

        return new UpstreamProxy(template, username, password);
    }

    /// <summary>Where and how to reach the upstream for one user's port.</summary>
    public UpstreamEndpoint For(Guid userId, int port)
    {
        var session = EgressSession.Id(userId);
        var uri = new Uri(Substitute(_urlTemplate, port, session));
        string? authorization = null;
        if (_username is not null)
        {
            var username = Substitute(_username, port, session);
            authorization = "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes(username + ":" + (_password ?? "")));
        }

        return new UpstreamEndpoint(uri.IdnHost, uri.Port, authorization);
    }

    private static string Substitute(string template, int port, string session) =>
        template
            .Replace(PortPlaceholder, port.ToString(CultureInfo.InvariantCulture), StringComparison.OrdinalIgnoreCase)
            .Replace(SessionPlaceholder, session, StringComparison.OrdinalIgnoreCase);
}

/// <param name="Host">Host name or address (IPv6 without brackets).</param>
/// <param name="ProxyAuthorization">The whole <c>Proxy-Authorization</c> value, or null without credentials. Never logged.</param>
internal sealed record UpstreamEndpoint(string Host, int Port, string? ProxyAuthorization)
{
    /// <summary><c>host:port</c>, for logs and messages.</summary>
    public string Display => (Host.Contains(':', StringComparison.Ordinal) ? "[" + Host + "]" : Host) + ":" + Port.ToString(CultureInfo.InvariantCulture);

    // A record's generated ToString would print the credentials.
    public override string ToString() => Display;
}

/// <summary>The stable, opaque per-user session id that <c>{session}</c> becomes (Decodo sticky sessions).</summary>
internal static class EgressSession
{
    /// <summary>First 16 hex characters of SHA-256("polydev-egress-session|" + userId in "D" form).</summary>
    public static string Id(Guid userId)
    {
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(Encoding.UTF8.GetBytes("polydev-egress-session|" + userId.ToString("D")), hash);
        return Convert.ToHexStringLower(hash[..8]);
    }
}
