using System.Security.Cryptography;
using System.Text;
using Polydev.Testing;

namespace Polydev.EndToEnd.Tests.Deploy;

/// <summary>
/// The stand-in VPS of the deploy tests: a container of polydev-test/deploy-target (images/deploy-target: Debian 12,
/// systemd as PID 1, Debian's sshd), reached like a real host, by SSH on loopback with a key made for it, and its HTTP
/// port published on loopback too. scripts/test builds the image (ensure_deploy_target_image, scripts/lib/deploy.sh).
/// </summary>
/// <remarks>
/// systemd in a container: this machine's Docker has cgroup v1 with the cgroupfs driver and cannot grant
/// CAP_SYS_RESOURCE, so <c>--privileged</c> fails ("unable to apply caps"); every other capability, no seccomp or
/// AppArmor profile (systemd sets up the units' namespaces and filters itself), tmpfs on /run, and the cgroup tree
/// bind-mounted read-only (its controllers stay writable where Docker mounts them) let systemd boot and run hardened
/// units. The server runs with <c>Sandboxes:Engine none</c>: /health/ready needs only the database, and sandboxes on a
/// Docker engine inside a container are not what a deploy test is about (docs/deploy.md, "How it is tested").
/// </remarks>
public sealed class DeployTarget : IAsyncDisposable
{
    public const string Repository = "polydev-test/deploy-target";

    private DeployTarget(string name, string directory)
    {
        Name = name;
        Directory = directory;
    }

    public string Name { get; }

    /// <summary>The test's own folder: the SSH key, known_hosts, the env file.</summary>
    public string Directory { get; }

    public string Identity => Path.Combine(Directory, "id_ed25519");

    public string KnownHosts => Path.Combine(Directory, "known_hosts");

    public int SshPort { get; private set; }

    /// <summary>The server's port 8080 in the container, published on loopback.</summary>
    public string Url { get; private set; } = "";

    public static async Task<DeployTarget> StartAsync()
    {
        var image = await ImageAsync();
        var directory = System.IO.Directory.CreateTempSubdirectory("polydev-deploy-").FullName;
        var target = new DeployTarget($"polydev-test-deploy-{Guid.NewGuid():N}"[..32], directory);
        try
        {
            await target.BootAsync(image);
            return target;
        }
        catch
        {
            await target.DisposeAsync();
            throw;
        }
    }

    /// <summary>polydev-test/deploy-target:&lt;tag&gt;, the tag computed as scripts/lib/deploy.sh computes it.</summary>
    private static async Task<string> ImageAsync()
    {
        var codename = File.ReadLines("/etc/os-release").FirstOrDefault(l => l.StartsWith("VERSION_CODENAME=", StringComparison.Ordinal))?["VERSION_CODENAME=".Length..] ?? "bookworm";
        var baseId = await Docker.RunAsync("image", "inspect", "-f", "{{.Id}}", $"polydev/debian-base:{codename}");
        Assert.True(baseId.ExitCode == 0, $"polydev/debian-base:{codename} is missing: run the tests through scripts/test (ensure_runtime_images makes it)");
        var dockerfile = await File.ReadAllBytesAsync(Path.Combine(PinnedClis.RepositoryRoot(), "images", "deploy-target", "Dockerfile"));
        var tag = Convert.ToHexStringLower(SHA256.HashData([.. dockerfile, .. Encoding.UTF8.GetBytes("\n" + baseId.Output.Trim())]))[..16];
        var image = $"{Repository}:{tag}";
        Assert.True((await Docker.RunAsync("image", "inspect", image)).ExitCode == 0,
            $"{image} is missing: run the tests through scripts/test (ensure_deploy_target_image in scripts/lib/deploy.sh builds it)");
        return image;
    }

    private async Task BootAsync(string image)
    {
        var keygen = await ChildProcess.RunAsync("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "polydev-deploy-test", "-f", Identity);
        Assert.True(keygen.ExitCode == 0, keygen.Errors);
        var cgroup = (await Docker.RunAsync("info", "--format", "{{.CgroupVersion}}")).Output.Trim();
        // cgroup v2 (CI's runners) is the usual recipe for systemd in a container: a private cgroup namespace, writable
        // when privileged. Not run on this machine, which has v1.
        string[] systemd = cgroup == "2"
            ? ["--privileged", "--cgroupns=private"]
            : ["--cap-add", "ALL", "--cap-drop", "SYS_RESOURCE", "--security-opt", "seccomp=unconfined", "--security-opt", "apparmor=unconfined",
                "-v", "/sys/fs/cgroup:/sys/fs/cgroup:ro"];
        var run = await Docker.RunAsync(
            ["run", "-d", "--name", Name, "--label", "dev.polydev.test=deploy-target", "--hostname", "polydev-vps", .. systemd,
            "--tmpfs", "/run", "--tmpfs", "/run/lock", "-p", "127.0.0.1::22", "-p", "127.0.0.1::8080", image]);
        Assert.True(run.ExitCode == 0, run.Errors);

        var publicKey = (await File.ReadAllTextAsync(Identity + ".pub")).Trim();
        await ExecAsync("sh", "-c", $"echo '{publicKey}' > /root/.ssh/authorized_keys && chmod 600 /root/.ssh/authorized_keys");
        SshPort = await PublishedPortAsync(22);
        Url = $"http://127.0.0.1:{await PublishedPortAsync(8080)}";

        // Booted when systemd says so and sshd answers; its host key is then what scripts/deploy will expect.
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            var state = await Docker.RunAsync("exec", Name, "systemctl", "is-system-running");
            var scan = await ChildProcess.RunAsync("ssh-keyscan", "-p", SshPort.ToString(System.Globalization.CultureInfo.InvariantCulture), "-t", "ed25519", "127.0.0.1");
            if (state.Output.Trim() is "running" or "degraded" && scan.ExitCode == 0 && scan.Output.Contains("ssh-ed25519", StringComparison.Ordinal))
            {
                await File.WriteAllTextAsync(KnownHosts, scan.Output);
                return;
            }

            Assert.True(DateTime.UtcNow < deadline, $"the deploy target did not boot within 60 s: systemd {state.Output.Trim()}, ssh-keyscan {scan.Errors.Trim()}");
            await Task.Delay(500);
        }
    }

    private async Task<int> PublishedPortAsync(int port)
    {
        var published = await Docker.RunAsync("port", Name, $"{port}/tcp");
        Assert.True(published.ExitCode == 0, published.Errors);
        return int.Parse(published.Output.Trim().Split('\n')[0].Split(':')[^1], System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>A command in the container as root, which must succeed; its output.</summary>
    public async Task<string> ExecAsync(params string[] command)
    {
        var result = await Docker.RunAsync(["exec", Name, .. command]);
        Assert.True(result.ExitCode == 0, $"{string.Join(' ', command)}: exit {result.ExitCode}: {result.Output}{result.Errors}");
        return result.Output;
    }

    /// <summary>The release /opt/polydev/current points at, or "" without one.</summary>
    public async Task<string> CurrentReleaseAsync() =>
        (await Docker.RunAsync("exec", Name, "sh", "-c", "basename \"$(readlink /opt/polydev/current)\" 2>/dev/null")).Output.Trim();

    /// <summary>The releases under /opt/polydev/releases.</summary>
    public async Task<IReadOnlyList<string>> ReleasesAsync() =>
        (await ExecAsync("find", "/opt/polydev/releases", "-mindepth", "1", "-maxdepth", "1", "-printf", "%f\n"))
            .Split('\n', StringSplitOptions.RemoveEmptyEntries).Order(StringComparer.Ordinal).ToList();

    /// <summary>The release the running polydev.service was started from (its main process's executable), or "".</summary>
    public async Task<string> ServingReleaseAsync() =>
        (await Docker.RunAsync("exec", Name, "sh", "-c", "p=$(systemctl show -P MainPID polydev.service); [ \"$p\" != 0 ] && basename \"$(dirname \"$(readlink /proc/$p/exe)\")\"")).Output.Trim();

    /// <summary>Waits until /health/ready answers 200 through the published port, as a client outside the host sees it.</summary>
    public async Task WaitReadyAsync(TimeSpan timeout)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(3) };
        var deadline = DateTime.UtcNow + timeout;
        string last = "";
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                using var response = await http.GetAsync(Url + "/health/ready");
                if (response.IsSuccessStatusCode)
                {
                    return;
                }

                last = $"{(int)response.StatusCode}";
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                last = e.Message;
            }

            await Task.Delay(500);
        }

        Assert.Fail($"{Url}/health/ready did not answer 200 within {timeout.TotalSeconds} s ({last})");
    }

    public async ValueTask DisposeAsync()
    {
        await Docker.RunAsync("rm", "-f", "-v", Name);
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private static class Docker
    {
        public static Task<ChildProcess.Result> RunAsync(params string[] arguments) => ChildProcess.RunAsync("docker", arguments);
    }
}
