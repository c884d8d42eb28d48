using System.Diagnostics;
using System.Text;
using Polydev.EndToEnd.Tests.Infrastructure;

namespace Polydev.EndToEnd.Tests.Executions;

/// <summary>
/// DISRUPTIVE: restarts the machine's Docker daemon, which stops EVERY container on the machine (not only this
/// test's). It runs in a collection of its own, after all others and alone; run it only where nothing else uses the
/// engine, or leave it out with <c>--filter "Disruptive!=RestartsDockerEngine"</c>.
/// </summary>
[Collection(DockerRestartCollection.Name)]
[Trait("Disruptive", "RestartsDockerEngine")]
public sealed class DockerRestartTests
{
    private const string PidFile = "/var/run/docker.pid";
    private static readonly TimeSpan RecoveryLimit = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task A_server_recovers_from_a_Docker_engine_restart_and_runs_again()
    {
        const string name = "anthropic";
        await using var provider = await ProviderUnderTest.StartAsync(name);
        await using var server = await SandboxedServer.StartAsync(name, SandboxedServer.NewServerId(), ServerProcess.FreePort());
        using var cli = new Cli(server.Url);
        await cli.SignupAsync($"docker-{Guid.NewGuid():N}@example.com", Needles.Canary("password"));
        (await cli.RunAsync(["credentials", "add", name], stdin: Needles.Canary("key"))).Succeeded();
        await SandboxedServer.WaitForReadyAsync(server, name, TimeSpan.FromSeconds(60));
        var before = Assert.Single(await Docker.OwnedContainersAsync(ServerIdOf(server)));

        await RestartDockerAsync();
        var restartedAt = DateTime.UtcNow;

        // The old pool sandbox died with the engine; the server notices, replaces it, and runs a prompt again.
        while (true)
        {
            var owned = await Docker.OwnedContainersAsync(ServerIdOf(server));
            var ready = await SandboxedServer.ReadyCountAsync(server, name);
            if (ready >= 1 && !owned.Contains(before))
            {
                break;
            }

            Assert.True(DateTime.UtcNow - restartedAt < RecoveryLimit,
                $"{RecoveryLimit.TotalSeconds} s after the engine restart the server has {ready} ready sandboxes (old one {(owned.Contains(before) ? "still there" : "gone")}).\n{server.Logs}");
            await Task.Delay(500);
        }

        var run = (await cli.RunAsync(provider.RunArguments("Are you back?"))).Succeeded();
        Assert.Contains(provider.Stub.Answer, run.Stdout, StringComparison.Ordinal);
    }

    private static string ServerIdOf(ServerProcess server) =>
        Encoding.UTF8.GetString(server.ReadEnviron()).Split('\0').Single(v => v.StartsWith("POLYDEV_SANDBOXES__SERVERID=", StringComparison.Ordinal)).Split('=', 2)[1];

    /// <summary>
    /// Stops dockerd (SIGTERM to the pid in its pid file; it stops every container on the way out) and starts it
    /// again the way scripts/lib/docker.sh does (<c>ensure_docker</c>), then waits until it answers.
    /// </summary>
    private static async Task RestartDockerAsync()
    {
        var pid = int.Parse((await File.ReadAllTextAsync(PidFile)).Trim(), System.Globalization.CultureInfo.InvariantCulture);
        PolydevProcess.Signal(pid, 15);
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (Directory.Exists($"/proc/{pid}"))
        {
            Assert.True(DateTime.UtcNow < deadline, $"dockerd (pid {pid}) did not stop within 60 s of SIGTERM.");
            await Task.Delay(200);
        }

        var root = RepositoryRoot();
        var start = new ProcessStartInfo("bash") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add("source scripts/lib/common.sh && source scripts/lib/docker.sh && ensure_docker");
        start.WorkingDirectory = root;
        start.Environment["ROOT"] = root;
        using var script = Process.Start(start)!;
        var errors = script.StandardError.ReadToEndAsync();
        _ = script.StandardOutput.ReadToEndAsync();
        await script.WaitForExitAsync();
        Assert.True(script.ExitCode == 0, $"ensure_docker could not start dockerd again: {await errors}");
    }

    private static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "scripts", "lib", "docker.sh")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"No scripts/lib/docker.sh above {AppContext.BaseDirectory}.");
    }
}
