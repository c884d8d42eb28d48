using System.Globalization;
using Polydev.Server.Login.Turn;
using Polydev.Testing;

namespace Polydev.Server.Tests.Login.Turn;

/// <summary>
/// Settings for a test's own coturn: listening on 127.0.0.1 alone, on a free port with a free relay range of its own,
/// so tests run side by side and never meet a coturn on 3478.
/// </summary>
internal static class TurnTestOptions
{
    public const string Secret = "polydev-test-secret-0123456789";
    public const int RelayPorts = 24;

    public static TurnOptions Create(string? secret = Secret)
    {
        var first = FreePorts.FindBlock(RelayPorts + 1);
        return new TurnOptions
        {
            Secret = secret,
            ListeningPort = first,
            ListeningAddresses = ["127.0.0.1"],
            MinRelayPort = first + 1,
            MaxRelayPort = first + RelayPorts,
        };
    }

    /// <summary>The same options as configuration keys (<c>Login:Turn:*</c>), for the composition path.</summary>
    public static Dictionary<string, string?> Settings(TurnOptions options, string dataDirectory) => new()
    {
        ["Data"] = dataDirectory,
        ["Login:Turn:Mode"] = options.Mode,
        ["Login:Turn:Secret"] = options.Secret,
        ["Login:Turn:Binary"] = options.Binary,
        ["Login:Turn:ListeningPort"] = options.ListeningPort.ToString(CultureInfo.InvariantCulture),
        ["Login:Turn:ListeningAddresses:0"] = options.ListeningAddresses[0],
        ["Login:Turn:MinRelayPort"] = options.MinRelayPort.ToString(CultureInfo.InvariantCulture),
        ["Login:Turn:MaxRelayPort"] = options.MaxRelayPort.ToString(CultureInfo.InvariantCulture),
    };
}
