using System.Text.RegularExpressions;
using Polydev.Testing;

namespace Polydev.Operations.Tests.Systemd;

/// <summary>
/// A file system root for <c>systemd-analyze --root</c>, so the units of deploy/systemd are loaded the way the host's
/// systemd will load them, on a machine whose PID 1 is not systemd: the host's own unit files (Debian's
/// prometheus.service, coturn.service, sysinit.target, …, which the drop-ins extend and the units depend on), then
/// deploy/systemd (or a changed copy) under /etc/systemd/system, as scripts/deploy installs it.
/// </summary>
/// <remarks>
/// <c>systemd-analyze verify</c> checks that every Exec*= command exists and is executable inside the root. The
/// binaries themselves are not what is checked here (the deploy test runs them on a real systemd), so each is an empty
/// executable file at its path.
/// </remarks>
public sealed partial class OfflineSystemdRoot : IDisposable
{
    private OfflineSystemdRoot(string path) => Path = path;

    public string Path { get; }

    public string UnitDirectory => System.IO.Path.Combine(Path, "etc", "systemd", "system");

    public static string Deployed => System.IO.Path.Combine(PinnedClis.RepositoryRoot(), "deploy", "systemd");

    /// <summary>A root with the host's units and <paramref name="units"/> (default: deploy/systemd) installed.</summary>
    public static OfflineSystemdRoot Create(string? units = null)
    {
        var root = new OfflineSystemdRoot(Directory.CreateTempSubdirectory("polydev-systemd-root-").FullName);
        CopyTree("/lib/systemd/system", System.IO.Path.Combine(root.Path, "lib", "systemd", "system"));
        CopyTree(units ?? Deployed, root.UnitDirectory);
        foreach (var command in root.ExecCommands())
        {
            var stub = System.IO.Path.Combine(root.Path, command.TrimStart('/'));
            if (!File.Exists(stub))
            {
                Directory.CreateDirectory(System.IO.Path.GetDirectoryName(stub)!);
                File.WriteAllText(stub, "#!/bin/sh\n");
                if (!OperatingSystem.IsWindows())
                {
                    File.SetUnixFileMode(stub, (UnixFileMode)0b111_101_101);
                }
            }
        }

        return root;
    }

    /// <summary>A copy of deploy/systemd, to break on purpose.</summary>
    public static string CopyOfDeployedUnits()
    {
        var copy = Directory.CreateTempSubdirectory("polydev-systemd-units-").FullName;
        CopyTree(Deployed, copy);
        return copy;
    }

    /// <summary><c>systemd-analyze verify</c>: passes only with exit code 0 and nothing said (a value systemd cannot parse is a warning and exit code 0).</summary>
    public Task<ChildProcess.Result> VerifyAsync(string unit) =>
        ChildProcess.RunAsync(Tool, "verify", "--man=no", "--root=" + Path, unit);

    /// <summary>
    /// <c>systemd-analyze security --offline=true</c> with a threshold: a higher exposure exits non-zero. The tool takes
    /// the threshold in tenths (an exposure of 2.5 is <c>--threshold=25</c>; "2.5" is refused).
    /// </summary>
    public Task<ChildProcess.Result> SecurityAsync(string unit, double threshold) =>
        ChildProcess.RunAsync(Tool, "security", "--offline=true", "--no-pager", "--root=" + Path,
            "--threshold=" + ((int)Math.Round(threshold * 10)).ToString(System.Globalization.CultureInfo.InvariantCulture), unit);

    /// <summary>The exposure level systemd-analyze printed ("Overall exposure level for x.service: 1.1 OK").</summary>
    public static double Exposure(ChildProcess.Result security)
    {
        var match = ExposureLine().Match(security.Output);
        Assert.True(match.Success, security.Output + security.Errors);
        return double.Parse(match.Groups["level"].Value, System.Globalization.CultureInfo.InvariantCulture);
    }

    public static string Tool => File.Exists("/usr/bin/systemd-analyze")
        ? "/usr/bin/systemd-analyze"
        : throw new InvalidOperationException("systemd-analyze is not installed (Debian's systemd package): apt-get install systemd");

    /// <summary>Every absolute command in an Exec*= line of a unit or drop-in in the root.</summary>
    private IEnumerable<string> ExecCommands() =>
        Directory.EnumerateFiles(Path, "*", SearchOption.AllDirectories)
            .Where(f => f.EndsWith(".service", StringComparison.Ordinal) || f.EndsWith(".conf", StringComparison.Ordinal))
            .SelectMany(f => ExecLine().Matches(File.ReadAllText(f)).Select(m => m.Groups["command"].Value))
            .Distinct(StringComparer.Ordinal);

    private static void CopyTree(string from, string to)
    {
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            var target = System.IO.Path.Combine(to, System.IO.Path.GetRelativePath(from, file));
            Directory.CreateDirectory(System.IO.Path.GetDirectoryName(target)!);
            var info = new FileInfo(file);
            if (info.LinkTarget is { } link)
            {
                File.CreateSymbolicLink(target, link);
            }
            else
            {
                File.Copy(file, target);
            }
        }
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    [GeneratedRegex(@"^Exec\w+=[-@:+!]*(?<command>/\S+)", RegexOptions.Multiline)]
    private static partial Regex ExecLine();

    [GeneratedRegex(@"Overall exposure level for \S+: (?<level>\d+\.\d)")]
    private static partial Regex ExposureLine();
}
