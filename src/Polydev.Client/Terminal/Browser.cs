using System.ComponentModel;
using System.Diagnostics;

namespace Polydev.Client.Terminal;

/// <summary>
/// Opens a link in the user's browser: <c>xdg-open</c> on Linux and the BSDs, <c>open</c> on macOS, the default handler
/// (what <c>start</c> does) on Windows. The link travels as a process argument, which every local user can read in the
/// process list, so callers give it nothing secret.
/// </summary>
internal sealed class Browser(Func<string, string?> environment, Func<string, bool> onPath)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(5);

    // The opener's own output (and a browser it starts, which inherits it) must not land in our stdout, which may be
    // a --json document: a fixed script sends it to /dev/null, and the link is its argument, never part of the script.
    private const string Quiet = "exec \"$0\" \"$1\" </dev/null >/dev/null 2>&1";

    // Where Quietly puts the opener's name: after -c and the script, as the script's $0.
    private const int OpenerArgument = 2;

    public static Browser Here { get; } = new(Environment.GetEnvironmentVariable, OnPath);

    /// <summary>How <paramref name="link"/> would be opened here, or why it cannot be, in a few words for the person.</summary>
    public (ProcessStartInfo? Start, string? Unavailable) Plan(Uri link)
    {
        if (OperatingSystem.IsWindows())
        {
            return (new ProcessStartInfo(link.AbsoluteUri) { UseShellExecute = true }, null);
        }

        if (OperatingSystem.IsMacOS())
        {
            return (Quietly("open", link), null);
        }

        if (string.IsNullOrEmpty(environment("DISPLAY")) && string.IsNullOrEmpty(environment("WAYLAND_DISPLAY")))
        {
            return (null, "DISPLAY is not set");
        }

        return onPath("xdg-open") ? (Quietly("xdg-open", link), null) : (null, "xdg-open is not installed");
    }

    /// <summary>Null when the browser was asked to show <paramref name="link"/>; otherwise why it could not be.</summary>
    public string? Open(Uri link)
    {
        var (start, unavailable) = Plan(link);
        if (start is null)
        {
            return unavailable;
        }

        try
        {
            using var process = Process.Start(start);
            // xdg-open hands the link to a running browser and returns at once; when it runs the browser itself and
            // waits for it, the browser is up by now: it is left running.
            if (process is null || start.UseShellExecute || !process.WaitForExit(Patience))
            {
                return null;
            }

            return process.ExitCode == 0 ? null : $"{start.ArgumentList[OpenerArgument]} failed with exit code {process.ExitCode}";
        }
        catch (Win32Exception e)
        {
            return $"the browser could not be started ({e.Message})";
        }
    }

    private static ProcessStartInfo Quietly(string opener, Uri link)
    {
        var start = new ProcessStartInfo("/bin/sh") { UseShellExecute = false };
        foreach (var argument in (string[])["-c", Quiet, opener, link.AbsoluteUri])
        {
            start.ArgumentList.Add(argument);
        }

        return start;
    }

    private static bool OnPath(string program) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Any(directory => File.Exists(Path.Combine(directory, program)));
}
