using System.Globalization;

namespace Polydev.Testing;

/// <summary>
/// Whether a sandbox runs a job, read from its network namespace's <c>/proc/&lt;pid&gt;/net/tcp</c> and <c>tcp6</c>: a
/// job's CLI talks to the egress proxy, so its sandbox has a connection to an address off its loopback; a waiting
/// one has none. Listening sockets and loopback connections say nothing: the agent binds its egress relay and the CLI
/// started ahead its own helpers before any job (issue 19), and Docker's embedded resolver listens on 127.0.0.11.
/// </summary>
public static class SandboxJobSockets
{
    private const string Listen = "0A";
    private const string Close = "07";

    /// <summary>True when a <c>/proc/net/tcp</c> or <c>tcp6</c> table holds a connection leaving the sandbox.</summary>
    public static bool HasJobConnection(IEnumerable<string> procNetTcp) =>
        procNetTcp.Skip(1).Any(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries) is [_, _, var remote, var state, ..]
            && state is not (Listen or Close)
            && !IsLocal(remote[..remote.IndexOf(':', StringComparison.Ordinal)]));

    /// <summary>Whether the container whose first process is <paramref name="pid"/> runs a job; false once it is gone.</summary>
    public static async Task<bool> RunsAJobAsync(int pid)
    {
        if (pid <= 0)
        {
            return false;
        }

        try
        {
            return HasJobConnection(await File.ReadAllLinesAsync($"/proc/{pid}/net/tcp"))
                || HasJobConnection(await File.ReadAllLinesAsync($"/proc/{pid}/net/tcp6"));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Gone between the listing and the look inside: a gone sandbox runs nothing.
            return false;
        }
    }

    // The kernel writes each 32-bit word in host order (little-endian here): 127.0.0.1 is 0100007F.
    private static bool IsLocal(string hex) => hex.Length switch
    {
        8 => IsLocalV4(hex),
        32 => hex.All(c => c == '0') || hex == "00000000000000000000000001000000" || (hex[..16].All(c => c == '0') && hex[16..24] == "FFFF0000" && IsLocalV4(hex[24..])),
        _ => false,
    };

    private static bool IsLocalV4(string hex)
    {
        var word = uint.Parse(hex, NumberStyles.HexNumber, CultureInfo.InvariantCulture);
        return word == 0 || (word & 0xFF) == 127;
    }
}
