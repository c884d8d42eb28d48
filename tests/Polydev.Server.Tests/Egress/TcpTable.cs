using System.Globalization;

namespace Polydev.Server.Tests.Egress;

/// <summary>
/// This process's TCP sockets as the kernel sees them (/proc/net/tcp, tcp6 and /proc/self/fd),
/// so a test can prove no socket was leaked even while other tests run in the same process.
/// </summary>
public static class TcpTable
{
    private static readonly Dictionary<string, string> States = new()
    {
        ["01"] = "ESTABLISHED", ["02"] = "SYN_SENT", ["03"] = "SYN_RECV", ["04"] = "FIN_WAIT1", ["05"] = "FIN_WAIT2",
        ["06"] = "TIME_WAIT", ["07"] = "CLOSE", ["08"] = "CLOSE_WAIT", ["09"] = "LAST_ACK", ["0A"] = "LISTEN", ["0B"] = "CLOSING",
    };

    /// <summary>
    /// Non-listening sockets this process has a descriptor for, whose local port is one of
    /// <paramref name="localPorts"/> or whose remote port is one of <paramref name="remotePorts"/>.
    /// </summary>
    public static List<string> HeldByThisProcess(int[] localPorts, int[] remotePorts)
    {
        var inodes = OwnSocketInodes();
        var held = new List<string>();
        foreach (var file in new[] { "/proc/net/tcp", "/proc/net/tcp6" })
        {
            if (!File.Exists(file))
            {
                continue;
            }

            foreach (var line in File.ReadLines(file).Skip(1))
            {
                var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (fields.Length < 10)
                {
                    continue;
                }

                var local = Port(fields[1]);
                var remote = Port(fields[2]);
                var state = States.GetValueOrDefault(fields[3], fields[3]);
                if (state == "LISTEN" || !inodes.Contains(fields[9]))
                {
                    continue;
                }

                if (localPorts.Contains(local) || remotePorts.Contains(remote))
                {
                    held.Add($"{local}->{remote} {state}");
                }
            }
        }

        return held;
    }

    /// <summary>Open descriptors of this process.</summary>
    public static int DescriptorCount() => Directory.GetFiles("/proc/self/fd").Length;

    private static HashSet<string> OwnSocketInodes()
    {
        var inodes = new HashSet<string>();
        foreach (var fd in Directory.GetFiles("/proc/self/fd"))
        {
            try
            {
                var target = new FileInfo(fd).LinkTarget;
                if (target is not null && target.StartsWith("socket:[", StringComparison.Ordinal))
                {
                    inodes.Add(target[8..^1]);
                }
            }
            catch (IOException)
            {
                // Closed while we looked.
            }
        }

        return inodes;
    }

    private static int Port(string address) =>
        int.Parse(address[(address.IndexOf(':', StringComparison.Ordinal) + 1)..], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
}
