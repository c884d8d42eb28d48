using System.Globalization;
using System.Net;
using System.Text;

namespace Polydev.Server.Login.Turn;

/// <summary>
/// The turnserver.conf Polydev runs coturn with (embedded) and prints for operators who run coturn themselves
/// (<c>polydev turn config</c>). It carries the secret, so it is written 0600 and passed to coturn by path.
/// </summary>
public static class TurnServerConfig
{
    /// <param name="runtime">Embedded only: where coturn keeps its pid file and database, and whom it runs as.</param>
    public static string Render(TurnOptions options, TurnSecret secret, TurnServerRuntime? runtime = null)
    {
        TurnOptionsValidation.ValidateServer(options);
        var relay = IPAddress.Parse(options.RelayAddress);
        var config = new StringBuilder();
        void Line(string line) => config.Append(line).Append('\n');

        Line("# turnserver.conf made by Polydev from its Login:Turn settings (docs/login-sessions.md, \"TURN\").");
        Line("# It holds the shared secret: keep it mode 0600, readable by coturn alone.");
        Line(Setting("listening-port", options.ListeningPort));
        foreach (var address in options.ListeningAddresses)
        {
            Line(Setting("listening-ip", address));
        }

        Line(Setting("relay-ip", relay));
        Line(Setting("min-port", options.MinRelayPort));
        Line(Setting("max-port", options.MaxRelayPort));
        Line(Setting("realm", options.Realm));

        Line("# TURN REST API credentials: user name <unix expiry>:<user id>, password base64(HMAC-SHA1(secret, user name)).");
        Line("use-auth-secret");
        Line(Setting("static-auth-secret", secret.Text));
        Line("fingerprint");
        Line("stale-nonce=600");
        Line(Setting("user-quota", options.UserQuota));
        Line(Setting("total-quota", options.TotalQuota));

        Line("# Nothing but TURN over UDP and TCP: no admin CLI, relays over UDP only, no NAT discovery or legacy STUN answers");
        Line("# (they add reflection), no software version in answers.");
        Line("no-cli");
        if (options.HasCertificate)
        {
            Line(Setting("tls-listening-port", options.TlsListeningPort));
            Line(Setting("cert", options.Certificate!));
            Line(Setting("pkey", options.PrivateKey!));
            Line("no-dtls");
        }
        else
        {
            Line("no-tls");
            Line("no-dtls");
        }

        Line("no-tcp-relay");
        Line("no-rfc5780");
        Line("no-stun-backward-compatibility");
        Line("response-origin-only-with-rfc5780");
        Line("no-software-attribute");
        Peers(Line, relay);

        Line("log-file=stdout");
        Line("simple-log");
        if (runtime is not null)
        {
            // A line per request: the server counts the allocations' answers from them (polydev_turn_allocations_total).
            Line("verbose");
            Line(Setting("pidfile", runtime.Files.PidFile));
            if (string.IsNullOrEmpty(runtime.ProcessUser))
            {
                Line(Setting("userdb", runtime.Files.UserDatabase));
            }
            else
            {
                // coturn's threads open its database after it dropped root, so the database stays where Debian's
                // package keeps it for that account (/var/lib/turn); the data directory is root's alone.
                Line(Setting("proc-user", runtime.ProcessUser));
                Line(Setting("proc-group", runtime.ProcessUser));
            }
        }

        return config.ToString();
    }

    /// <summary>
    /// Both ends of a Polydev session allocate on this coturn, so the only peer either ever names is the other's relayed
    /// address, on the relay address. Every other peer is refused, so no TURN user can reach the host's other services or
    /// the operator's network through it. coturn checks its allowed list before its denied list (an address on both is
    /// allowed), but refuses loopback peers before either unless allow-loopback-peers is set.
    /// </summary>
    private static void Peers(Action<string> line, IPAddress relay)
    {
        line("# Peers: only this coturn's own relay address (both ends of a session relay here); every other address is refused.");
        line("no-multicast-peers");
        if (IPAddress.IsLoopback(relay))
        {
            line("# A loopback relay address needs loopback peers allowed; the lists below still refuse every loopback address but it.");
            line("allow-loopback-peers");
        }

        line("denied-peer-ip=0.0.0.0-255.255.255.255");
        line("denied-peer-ip=::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
        line(Setting("allowed-peer-ip", relay));
    }

    private static string Setting(string name, object value) => name + "=" + Convert.ToString(value, CultureInfo.InvariantCulture);
}

/// <summary>What only the embedded coturn's config says: its files, and the account it drops to when started as root.</summary>
public sealed record TurnServerRuntime(TurnFiles Files, string? ProcessUser);
