using System.Globalization;
using System.Net;

namespace Polydev.Server.Login.Turn;

/// <summary>Refuses <see cref="TurnOptions"/> that cannot work, at start, with the setting's name.</summary>
public static class TurnOptionsValidation
{
    private const string Prefix = "Login:Turn:";

    /// <summary>What the server checks at start: nothing beyond the mode when TURN is off.</summary>
    public static void Validate(TurnOptions options)
    {
        ValidateMode(options);
        if (options.IsOff)
        {
            return;
        }

        ValidateServer(options);
        if (options.IsExternal)
        {
            if (string.IsNullOrEmpty(options.Secret))
            {
                throw Fail($"{Prefix}Secret is required when {Prefix}Mode is '{TurnOptions.External}': it is the static-auth-secret of that coturn.");
            }

            Urls(options.Urls, nameof(options.Urls));
            Urls(options.SandboxUrls, nameof(options.SandboxUrls));
        }
    }

    public static void ValidateMode(TurnOptions options)
    {
        if (!options.IsOff && !options.IsEmbedded && !options.IsExternal)
        {
            throw Fail($"{Prefix}Mode '{options.Mode}' is not known; use '{TurnOptions.Embedded}', '{TurnOptions.External}' or '{TurnOptions.Off}'.");
        }
    }

    /// <summary>What a turnserver.conf is made from (<see cref="TurnServerConfig"/>), whatever the mode.</summary>
    public static void ValidateServer(TurnOptions options)
    {
        if (!string.IsNullOrEmpty(options.Secret))
        {
            ValidateSecret(options.Secret, $"{Prefix}Secret");
        }

        if (options.Realm.Length is 0 or > 64 || !options.Realm.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_'))
        {
            throw Fail($"{Prefix}Realm '{options.Realm}' must be 1–64 letters, digits, '.', '-' or '_'.");
        }

        Port(options.ListeningPort, nameof(options.ListeningPort));
        foreach (var address in options.ListeningAddresses)
        {
            if (!IPAddress.TryParse(address, out _))
            {
                throw Fail($"{Prefix}ListeningAddresses holds '{address}', which is not an IP address.");
            }
        }

        if (Uri.CheckHostName(options.PublicHost.Trim('[', ']')) is UriHostNameType.Unknown or UriHostNameType.Basic)
        {
            throw Fail($"{Prefix}PublicHost '{options.PublicHost}' is not a host name or IP address.");
        }

        if (!IPAddress.TryParse(options.RelayAddress, out var relay) || relay.Equals(IPAddress.Any) || relay.Equals(IPAddress.IPv6Any) || relay.IsIPv6Multicast
            || (relay.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork && relay.GetAddressBytes()[0] >= 224))
        {
            throw Fail($"{Prefix}RelayAddress '{options.RelayAddress}' must be one unicast IP address of this host.");
        }

        RelayRange(options);
        Lifetime(options.CredentialLifetime);
        if (options.UserQuota < 1 || options.TotalQuota < options.UserQuota)
        {
            throw Fail($"{Prefix}UserQuota must be at least 1 and {Prefix}TotalQuota at least {Prefix}UserQuota (they are {options.UserQuota} and {options.TotalQuota}).");
        }

        if (!options.ProcessUser.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_'))
        {
            throw Fail($"{Prefix}ProcessUser '{options.ProcessUser}' is not an account name.");
        }

        if (string.IsNullOrWhiteSpace(options.Certificate) != string.IsNullOrWhiteSpace(options.PrivateKey))
        {
            throw Fail($"{Prefix}Certificate and {Prefix}PrivateKey go together: give both for TURN over TLS, or neither.");
        }

        if (options.HasCertificate)
        {
            // A line break in a path would add a line of its own to turnserver.conf.
            foreach (var (path, name) in new[] { (options.Certificate!, nameof(options.Certificate)), (options.PrivateKey!, nameof(options.PrivateKey)) })
            {
                if (path.Any(char.IsControl) || !Path.IsPathFullyQualified(path))
                {
                    throw Fail($"{Prefix}{name} must be an absolute path to a PEM file.");
                }
            }

            Port(options.TlsListeningPort, nameof(options.TlsListeningPort));
            if (options.TlsListeningPort == options.ListeningPort)
            {
                throw Fail($"{Prefix}TlsListeningPort must differ from {Prefix}ListeningPort ({options.ListeningPort}).");
            }
        }
    }

    /// <summary>A secret coturn's config format carries as written: no spaces, quotes or comment signs.</summary>
    public static void ValidateSecret(string secret, string source)
    {
        // The message names where the secret came from, never the secret.
        if (secret.Length is < 16 or > 256 || !secret.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or '~' or '+' or '/' or '='))
        {
            throw Fail($"{source} must be 16–256 characters of letters, digits and '-', '_', '.', '~', '+', '/', '=' (e.g. openssl rand -hex 32).");
        }
    }

    private static void RelayRange(TurnOptions options)
    {
        if (options.MinRelayPort is < 1024 or > 65535 || options.MaxRelayPort is < 1024 or > 65535 || options.MaxRelayPort < options.MinRelayPort)
        {
            throw Fail($"{Prefix}MinRelayPort–MaxRelayPort {options.MinRelayPort}–{options.MaxRelayPort} is not a UDP port range between 1024 and 65535.");
        }

        foreach (var (port, name) in new[] { (options.ListeningPort, nameof(options.ListeningPort)), (options.TlsListeningPort, nameof(options.TlsListeningPort)) })
        {
            if ((name == nameof(options.ListeningPort) || options.HasCertificate) && port >= options.MinRelayPort && port <= options.MaxRelayPort)
            {
                throw Fail($"{Prefix}{name} {port} lies inside the relay range {options.MinRelayPort}–{options.MaxRelayPort}.");
            }
        }
    }

    private static void Lifetime(TimeSpan lifetime)
    {
        // Long-lived TURN credentials are what abuse of a relay is made of; a login session lasts minutes.
        if (lifetime < TimeSpan.FromMinutes(1) || lifetime > TimeSpan.FromDays(1))
        {
            throw Fail($"{Prefix}CredentialLifetime must be between 00:01:00 and 1.00:00:00 (it is {lifetime.ToString("c", CultureInfo.InvariantCulture)}).");
        }
    }

    private static void Port(int port, string name)
    {
        if (port is < 1 or > 65535)
        {
            throw Fail($"{Prefix}{name} {port} is not a port (1–65535).");
        }
    }

    private static void Urls(List<string> urls, string name)
    {
        if (urls.Count == 0)
        {
            throw Fail($"{Prefix}{name} is required when {Prefix}Mode is '{TurnOptions.External}', e.g. turn:turn.example.com:3478?transport=udp.");
        }

        foreach (var url in urls)
        {
            if (!(url.StartsWith("turn:", StringComparison.Ordinal) || url.StartsWith("turns:", StringComparison.Ordinal)) || url.Any(char.IsWhiteSpace))
            {
                throw Fail($"{Prefix}{name} holds '{url}', which is not a turn: or turns: URL.");
            }
        }
    }

    private static TurnConfigurationException Fail(string message) => new(message);
}
