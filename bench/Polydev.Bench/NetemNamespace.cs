using System.Diagnostics;

namespace Polydev.Bench;

/// <summary>
/// A network namespace for the viewer, joined to the host by a veth pair: the host side is <see cref="HostAddress"/>,
/// where the server and coturn are reached. With <c>netem</c>, each side delays by half the round trip and drops half
/// the loss, so a viewer in it sees the bench's 40 ms RTT and 1 % loss. A chromium run through
/// <see cref="BrowserWrapper"/> lives in it (Playwright talks to it over a pipe, which crosses namespaces).
/// </summary>
internal sealed class NetemNamespace : IDisposable
{
    public const string Name = "polydev-bench";
    public const string HostAddress = "10.217.0.1";
    private const string ViewerAddress = "10.217.0.2";
    private const string HostLink = "pdb-host0";
    private const string ViewerLink = "pdb-view0";

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

    /// <summary>Sets (or, with zero, clears) the delay and loss on both sides of the link.</summary>
    public void Shape(TimeSpan roundTrip, double lossPercent)
    {
        foreach (var prefix in new[] { Array.Empty<string>(), new[] { "ip", "netns", "exec", Name } })
        {
            string link = prefix.Length == 0 ? HostLink : ViewerLink;
            Run([.. prefix, "tc", "qdisc", "del", "dev", link, "root"]);
            if (roundTrip > TimeSpan.Zero || lossPercent > 0)
            {
                Must([.. prefix, "tc", "qdisc", "add", "dev", link, "root", "netem",
                    "delay", $"{roundTrip.TotalMilliseconds / 2:0}ms", "loss", $"{lossPercent / 2:0.###}%"]);
            }
        }
    }

    public void Dispose()
    {
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
