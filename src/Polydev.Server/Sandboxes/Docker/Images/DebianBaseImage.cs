using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Polydev.Server.Sandboxes.Images;

namespace Polydev.Server.Sandboxes.Docker.Images;

/// <summary>
/// The base of the offline build: a minimal Debian root file system made by debootstrap (variant minbase, plus
/// ca-certificates) from the host's own apt mirror, trimmed, tarred and imported as
/// <c>polydev/debian-base:{codename}</c>. No registry is involved. Needs root (debootstrap) and takes about a
/// minute and a half; done once per host, the image is then reused.
/// </summary>
public sealed class DebianBaseImage
{
    public const string Repository = "polydev/debian-base";

    /// <summary>Left out of the image: package lists and caches (apt is never run in a sandbox), docs, manuals, translations.</summary>
    private static readonly string[] Trimmed =
    [
        "var/lib/apt/lists", "var/cache/apt", "var/cache/debconf", "var/log", "usr/share/doc", "usr/share/man",
        "usr/share/info", "usr/share/locale", "usr/share/lintian",
    ];

    private readonly DockerClient _docker;
    private readonly ILogger _logger;

    public DebianBaseImage(DockerClient docker, ILogger logger)
    {
        _docker = docker;
        _logger = logger;
    }

    public static string Reference(string codename) => $"{Repository}:{codename}";

    /// <summary>The host's Debian codename (<c>VERSION_CODENAME</c> of /etc/os-release), or null.</summary>
    public static string? HostCodename(string osRelease = "/etc/os-release")
    {
        if (!File.Exists(osRelease))
        {
            return null;
        }

        foreach (var line in File.ReadLines(osRelease))
        {
            if (line.StartsWith("VERSION_CODENAME=", StringComparison.Ordinal))
            {
                var value = line["VERSION_CODENAME=".Length..].Trim().Trim('"');
                return value.Length > 0 ? value : null;
            }
        }

        return null;
    }

    /// <summary>Makes <c>polydev/debian-base:{codename}</c> unless the daemon has it; returns the reference.</summary>
    public async Task<string> EnsureAsync(string codename, Action<string> progress, CancellationToken cancellationToken = default)
    {
        var reference = Reference(codename);
        if (await _docker.InspectImageAsync(reference, cancellationToken) is not null)
        {
            return reference;
        }

        var mirror = AptSources.FindMirror(codename)
            ?? throw new ImageBuildException($"no enabled 'deb' source for suite {codename} in /etc/apt/sources.list(.d): debootstrap needs the host's Debian mirror (or use --base IMAGE)");
        if (Environment.UserName != "root")
        {
            throw new ImageBuildException($"making {reference} runs debootstrap, which needs root (run as root, or use --base IMAGE)");
        }

        var debootstrap = FindTool("debootstrap", "/usr/sbin", "/sbin")
            ?? throw new ImageBuildException("debootstrap is not installed: apt-get install debootstrap (scripts/lib/images.sh does), or use --base IMAGE");

        var started = Stopwatch.GetTimestamp();
        var work = Directory.CreateTempSubdirectory("polydev-debian-base-");
        try
        {
            var rootfs = Path.Combine(work.FullName, "rootfs");
            progress($"debootstrap {codename} (minbase + ca-certificates) from {mirror}: takes a few minutes");
            ImageLog.BaseStarted(_logger, reference, mirror);
            var (exit, output) = await RunAsync(debootstrap, ["--variant=minbase", "--include=ca-certificates", codename, rootfs, mirror], cancellationToken);
            if (exit != 0)
            {
                var tail = string.Join(" | ", output.Split('\n', StringSplitOptions.RemoveEmptyEntries).TakeLast(3));
                throw new ImageBuildException($"debootstrap {codename} from {mirror} failed (exit {exit}): {tail}");
            }

            foreach (var relative in Trimmed)
            {
                EmptyDirectory(Path.Combine(rootfs, relative));
            }

            progress($"importing the root file system as {reference}");
            await ImportAsync(rootfs, codename, mirror, cancellationToken);
            var elapsed = Stopwatch.GetElapsedTime(started);
            ImageLog.BaseMade(_logger, reference, elapsed.TotalSeconds);
            progress($"{reference} made in {elapsed.TotalSeconds:0.0} s");
            return reference;
        }
        finally
        {
            try
            {
                work.Delete(recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    private async Task ImportAsync(string rootfs, string codename, string mirror, CancellationToken cancellationToken)
    {
        // GNU tar keeps hard links, numeric owners and modes exactly; the device nodes debootstrap made are left out
        // (the engine provides /dev).
        var tar = new ProcessStartInfo("tar") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in (string[])["--numeric-owner", "--exclude=./dev/*", "--exclude=./proc/*", "--exclude=./sys/*", "-C", rootfs, "-cf", "-", "."])
        {
            tar.ArgumentList.Add(argument);
        }

        using var process = Process.Start(tar) ?? throw new ImageBuildException("could not start tar");
        var errors = process.StandardError.ReadToEndAsync(cancellationToken);
        string[] changes =
        [
            "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
            "ENV LANG=C.UTF-8",
            "CMD [\"/bin/sh\"]",
            "LABEL dev.polydev.base=debootstrap",
            $"LABEL dev.polydev.base.suite={codename}",
            $"LABEL dev.polydev.base.mirror={mirror}",
        ];
        try
        {
            await _docker.ImportImageAsync(process.StandardOutput.BaseStream, Repository, codename, changes, cancellationToken);
        }
        finally
        {
            await process.WaitForExitAsync(CancellationToken.None);
        }

        if (process.ExitCode != 0)
        {
            throw new ImageBuildException($"tar of the debootstrap root file system failed (exit {process.ExitCode}): {(await errors).Trim()}");
        }
    }

    private static void EmptyDirectory(string path)
    {
        var directory = new DirectoryInfo(path);
        if (!directory.Exists || directory.LinkTarget is not null)
        {
            return;
        }

        foreach (var entry in directory.EnumerateFileSystemInfos("*", new EnumerationOptions { AttributesToSkip = 0 }))
        {
            if (entry is DirectoryInfo { LinkTarget: null } child)
            {
                child.Delete(recursive: true);
            }
            else
            {
                entry.Delete();
            }
        }
    }

    internal static string? FindTool(string name, params string[] extraDirectories)
    {
        var path = Environment.GetEnvironmentVariable("PATH") ?? "";
        return path.Split(':', StringSplitOptions.RemoveEmptyEntries).Concat(extraDirectories)
            .Select(d => Path.Combine(d, name))
            .FirstOrDefault(File.Exists);
    }

    private static async Task<(int Exit, string Output)> RunAsync(string program, string[] arguments, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new ImageBuildException($"could not start {program}");
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        try
        {
            await process.WaitForExitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        return (process.ExitCode, await stdout + await stderr);
    }
}
