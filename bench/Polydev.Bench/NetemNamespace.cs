using System.Diagnostics;

namespace Polydev.Bench;

/// <summary>
/// A network namespace for the viewer, joined to the host by a veth pair: the host side is <see cref="HostAddress"/>,
/// where the server and coturn are reached through <see cref="DelayRelay"/>s. This machine's kernel has no
/// <c>netem</c> (CONFIG_NET_SCH_NETEM is off), so the path is shaped in two halves: the relays hold every byte for half
/// the round trip each way, and iptables' <c>statistic</c> match drops packets at random on the veth in each
/// direction (real loss: TCP retransmits, RTP sees gaps). A chromium run through <see cref="BrowserWrapper"/> lives in
/// the namespace (Playwright talks to it over a pipe, which crosses namespaces).
/// </summary>
internal sealed class NetemNamespace : IDisposable
{
    public const string Name = "polydev-bench";
    public const string HostAddress = "10.217.0.1";
    private const string ViewerAddress = "10.217.0.2";
    private const string HostLink = "pdb-host0";
    private const string ViewerLink = "pdb-view0";

    private double _loss;

    private NetemNamespace(string wrapper) => BrowserWrapper = wrapper;

    /// <summary>An executable that starts Debian's chromium inside the namespace with the arguments it was given.</summary>
    public string BrowserWrapper { get; }

    public static NetemNamespace Create(string chromium)
    {
        Run("ip", "netns", "del", Name);
        Run("ip", "link", "del", HostLink);
        Must("ip", "netns", "add", Name);
        Must("ip", "link", "add", HostLink, "type", "veth", "peer", "name", ViewerLink);
        Must("ip", "link", "set", ViewerLink, "netns", Name);
        Must("ip", "addr", "add", HostAddress + "/24", "dev", HostLink);
        Must("ip", "link", "set", HostLink, "up");
        Must("ip", "netns", "exec", Name, "ip", "addr", "add", ViewerAddress + "/24", "dev", ViewerLink);
        Must("ip", "netns", "exec", Name, "ip", "link", "set", ViewerLink, "up");
        Must("ip", "netns", "exec", Name, "ip", "link", "set", "lo", "up");
        var wrapper = Path.Combine(Path.GetTempPath(), "polydev-bench-chromium-in-netns");
        File.WriteAllText(wrapper, $"#!/bin/sh\nexec ip netns exec {Name} {chromium} \"$@\"\n");
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(wrapper, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
        return new NetemNamespace(wrapper);
    }

    /// <summary>Drops <paramref name="lossPercent"/> of the packets on the veth in each direction (none: clears it).</summary>
    public void Loss(double lossPercent)
    {
        if (_loss > 0)
        {
            foreach (var rule in LossRules(_loss))
            {
                Run(["iptables", "-w", "-D", .. rule]);
            }
        }

        _loss = lossPercent;
        if (lossPercent > 0)
        {
            foreach (var rule in LossRules(lossPercent))
            {
                Must(["iptables", "-w", "-I", .. rule]);
            }
        }
    }

    private static IEnumerable<string[]> LossRules(double lossPercent)
    {
        var probability = (lossPercent / 100).ToString("0.####", System.Globalization.CultureInfo.InvariantCulture);
        yield return ["INPUT", "-i", HostLink, "-m", "statistic", "--mode", "random", "--probability", probability, "-j", "DROP"];
        yield return ["OUTPUT", "-o", HostLink, "-m", "statistic", "--mode", "random", "--probability", probability, "-j", "DROP"];
    }

    public void Dispose()
    {
        Loss(0);
        Run("ip", "netns", "del", Name);
        Run("ip", "link", "del", HostLink);
        File.Delete(BrowserWrapper);
    }

    private static void Must(params string[] command)
    {
        if (Run(command) is { } error)
        {
            throw new InvalidOperationException($"{string.Join(' ', command)}: {error}");
        }
    }

    /// <summary>Runs a command; null when it succeeded, else its stderr.</summary>
    private static string? Run(params string[] command)
    {
        var info = new ProcessStartInfo(command[0]) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var argument in command[1..])
        {
            info.ArgumentList.Add(argument);
        }

        using var process = Process.Start(info)!;
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        return process.ExitCode == 0 ? null : error.Trim();
    }
}
