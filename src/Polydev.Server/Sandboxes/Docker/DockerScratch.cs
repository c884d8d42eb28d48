using System.Diagnostics;
using System.Globalization;

namespace Polydev.Server.Sandboxes.Docker;

/// <summary>
/// Each sandbox's scratch space as a disk of its own: a sparse file of exactly <see cref="SandboxLimits.ScratchBytes"/>,
/// formatted ext4 without a journal (the root of the file system owned by the sandbox user), loop-mounted on the host
/// under <c>{root}/{sandboxId}/mnt</c> and bind-mounted into the sandbox at <see cref="SandboxLimits.ScratchPath"/>.
/// </summary>
/// <remarks>
/// Why not a tmpfs: tmpfs pages count against the sandbox's 512 MB memory, so a "1 GB" tmpfs scratch could never hold
/// more than what the processes leave of the memory limit. Why not <c>--storage-opt size</c>: it needs overlay2 on XFS
/// with project quotas, which a typical host (ext4, as here) lacks. A loop file works on any host file system, the
/// kernel enforces the size (ENOSPC), and removing the sandbox removes the file. Needs root, as the firewall does.
/// </remarks>
public sealed class DockerScratch(string root)
{
    public const string DefaultRoot = "/var/lib/polydev/scratch";

    public string Root { get; } = root;

    /// <summary>Makes, formats and mounts the sandbox's scratch disk; returns the host directory to bind into the sandbox.</summary>
    public async Task<string> CreateAsync(string sandboxId, long bytes, int uid, int gid, CancellationToken cancellationToken)
    {
        var directory = Path.Combine(Root, sandboxId);
        var image = Path.Combine(directory, "scratch.img");
        var mount = Path.Combine(directory, "mnt");
        Directory.CreateDirectory(mount);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
        try
        {
            await using (var file = new FileStream(image, FileMode.CreateNew, FileAccess.Write))
            {
                file.SetLength(bytes);
            }

            await RunAsync("mkfs.ext4", ["-q", "-F", "-O", "^has_journal", "-m", "0", "-E", string.Create(CultureInfo.InvariantCulture, $"root_owner={uid}:{gid}"), image], cancellationToken);
            await RunAsync("mount", ["-o", "loop,nosuid,nodev", image, mount], cancellationToken);
            return mount;
        }
        catch
        {
            await RemoveAsync(sandboxId, CancellationToken.None);
            throw;
        }
    }

    /// <summary>Unmounts and deletes the sandbox's scratch disk. Idempotent.</summary>
    public async Task RemoveAsync(string sandboxId, CancellationToken cancellationToken)
    {
        var directory = Path.Combine(Root, sandboxId);
        if (!Directory.Exists(directory))
        {
            return;
        }

        var mount = Path.Combine(directory, "mnt");
        if (IsMounted(mount))
        {
            // Lazy: the container is gone by now, but a straggling process must not keep the disk (or the server) waiting.
            await RunAsync("umount", ["-l", mount], cancellationToken);
        }

        Directory.Delete(directory, recursive: true);
    }

    /// <summary>The sandbox ids that have a scratch disk on this host, with when the disk was made.</summary>
    public IReadOnlyList<(string SandboxId, DateTimeOffset CreatedAt)> List() =>
        Directory.Exists(Root)
            ? Directory.GetDirectories(Root).Select(d => (Path.GetFileName(d), new DateTimeOffset(Directory.GetCreationTimeUtc(d)))).ToList()
            : [];

    private static bool IsMounted(string path) =>
        File.ReadLines("/proc/self/mounts").Any(line => line.Split(' ') is [_, var target, ..] && target == path);

    private static async Task RunAsync(string file, IReadOnlyList<string> arguments, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new SandboxEngineException("docker", "scratch", 500, $"{file} could not be started");
        var errors = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.StandardOutput.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        if (process.ExitCode != 0)
        {
            throw new SandboxEngineException("docker", "scratch", 500, $"{file} failed ({process.ExitCode}): {(await errors).Trim()}");
        }
    }
}
