using Polydev.EndToEnd.Tests.Infrastructure;
using Polydev.Testing.ProviderStubs;

namespace Polydev.EndToEnd.Tests.Executions;

/// <summary>
/// The server SIGKILLed in the middle of an execution and started again on the same data and server id: nothing
/// may be left behind on the engine, the execution must be marked failed (not lost), and the user's
/// <c>polydev run</c> must end with a message instead of waiting forever.
/// </summary>
[Collection(SandboxCollection.Name)]
public sealed class ServerKillTests
{
    private static readonly TimeSpan RecoveryLimit = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task A_server_killed_mid_execution_is_restarted_with_no_stray_sandbox_and_the_execution_failed_as_server_restart()
    {
        const string name = "anthropic";
        await using var provider = await ProviderUnderTest.StartAsync(name);
        // The model call hangs far longer than the test: the job is running when the server dies.
        ((AnthropicStub)provider.Stub).ResponseDelay = TimeSpan.FromMinutes(5);
        var serverId = SandboxedServer.NewServerId();
        var egressPort = ServerProcess.FreePort();
        // Disposed last: it owns the data directory the restarted server reuses.
        await using var killed = await SandboxedServer.StartAsync(name, serverId, egressPort);
        using var cli = new Cli(killed.Url);
        await cli.SignupAsync($"kill-{Guid.NewGuid():N}@example.com", Needles.Canary("password"));
        (await cli.RunAsync(["credentials", "add", name], stdin: Needles.Canary("key"))).Succeeded();
        await SandboxedServer.WaitForReadyAsync(killed, name, TimeSpan.FromSeconds(60));

        var run = cli.RunAsync(provider.RunArguments("Wait for the stub."));
        await provider.WaitForModelCallAsync(TimeSpan.FromSeconds(60), () => killed.Logs);
        Assert.Single(await Docker.JobContainersAsync(serverId));
        await killed.KillAsync();
        var killedAt = DateTime.UtcNow;

        await using var restarted = await SandboxedServer.StartAsync(name, serverId, egressPort, killed.DataDirectory, killed.Port);

        // Within the limit: no sandbox of this server runs a job any more, and what is left is exactly the warm pool.
        while (true)
        {
            var jobs = await Docker.JobContainersAsync(serverId);
            var owned = await Docker.OwnedContainersAsync(serverId);
            var ready = await SandboxedServer.ReadyCountAsync(restarted, name);
            if (jobs.Count == 0 && owned.Count == 1 && ready == 1)
            {
                break;
            }

            Assert.True(DateTime.UtcNow - killedAt < RecoveryLimit,
                $"{RecoveryLimit.TotalSeconds} s after the kill: {jobs.Count} sandboxes still run a job, {owned.Count} containers are owned, {ready} are ready (the pool's target is 1).\n{restarted.Logs}");
            await Task.Delay(250);
        }

        var execution = await SandboxedServer.NewestExecutionAsync(restarted, cli);
        Assert.Equal("failed", execution.GetProperty("state").GetString());
        Assert.Equal("server_restart", execution.GetProperty("reason").GetString());

        // The user's run ends on its own, with one line saying what happened.
        var result = await run;
        Assert.True(result.ExitCode != 0, $"polydev run exited 0 after its server was killed.\nstdout:\n{result.Stdout}\nstderr:\n{result.Stderr}");
        var line = Assert.Single(result.ErrorLines);
        Assert.StartsWith("polydev run: ", line, StringComparison.Ordinal);
        // The CLI waits out the restart and says how the server recorded the end, in the user's words (issue 14).
        Assert.Equal("polydev run: The Polydev server restarted while Claude Code ran. Try again.", line);
    }
}
