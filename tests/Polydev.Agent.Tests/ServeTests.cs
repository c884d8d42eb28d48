using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;

namespace Polydev.Agent.Tests;

/// <summary>
/// <c>polydev-agent serve</c>, the warm sandbox's agent: its key never touches the disk, the public key is the first
/// line of stdout, and the job it then reads from stdin runs exactly as with <c>run</c>.
/// </summary>
public sealed class ServeTests
{
    [Fact]
    public async Task Serve_prints_its_public_key_then_runs_the_job_sealed_to_it_and_keeps_no_key_file()
    {
        using var sandbox = new AgentHarness();
        var provider = FakeClis.Claude;
        sandbox.Environment[provider.Override] = sandbox.WriteScript("fake-claude", "cat > /dev/null\ncat <<'JSONL'\n" + provider.Stream + "\nJSONL\n");

        using Process process = Process.Start(sandbox.StartInfo("serve"))!;
        Stream stdout = process.StandardOutput.BaseStream;
        string publicKey = await ReadLineAsync(stdout);
        byte[] point = Convert.FromBase64String(publicKey);
        Assert.Equal(65, point.Length);
        Assert.Equal(0x04, point[0]);
        Assert.False(Directory.Exists(Path.Combine(sandbox.Home, ".polydev-agent")), "serve keeps its key in memory, never in a file");

        // The agent waits: nothing more arrives until the job does.
        var pending = new byte[1];
        Task<int> early = stdout.ReadAsync(pending).AsTask();
        Assert.NotSame(early, await Task.WhenAny(early, Task.Delay(300)));

        byte[] outputKey = RandomNumberGenerator.GetBytes(32);
        JsonObject job = AgentHarness.Job("anthropic", "api_key", "sk-serve", "hello", outputKey);
        await process.StandardInput.BaseStream.WriteAsync(AgentHarness.SealJob(publicKey, job));
        process.StandardInput.Close();

        await early;
        using var rest = new MemoryStream();
        rest.Write(pending);
        await stdout.CopyToAsync(rest);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        Assert.True(process.ExitCode == 0, await process.StandardError.ReadToEndAsync());

        var events = await AgentHarness.DecryptAsync(rest.ToArray(), outputKey);
        Assert.Equal(provider.Events.Select(e => JsonNode.Parse(e)!.ToJsonString()), events.Select(e => e.ToJsonString()));
    }

    [Fact]
    public async Task Serve_refuses_a_job_sealed_to_another_key_and_ends_when_stdin_closes_without_one()
    {
        using var sandbox = new AgentHarness();
        using var other = Polydev.Crypto.UserKeyPair.Generate();
        JsonObject job = AgentHarness.Job("anthropic", "api_key", "sk", "hi", new byte[32]);

        var refused = await sandbox.RunAsync(AgentHarness.SealJob(Convert.ToBase64String(other.PublicKey), job), ["serve"]);
        Assert.Equal(4, refused.ExitCode);
        Assert.Contains("could not be opened", refused.Stderr, StringComparison.Ordinal);

        var abandoned = await sandbox.RunAsync([], ["serve"]);
        Assert.Equal(4, abandoned.ExitCode);
        Assert.Equal(65, Convert.FromBase64String(Encoding.ASCII.GetString(abandoned.Stdout).Trim()).Length);
    }

    private static async Task<string> ReadLineAsync(Stream stream)
    {
        var line = new List<byte>();
        var one = new byte[1];
        while (await stream.ReadAsync(one) == 1 && one[0] != (byte)'\n')
        {
            line.Add(one[0]);
        }

        return Encoding.ASCII.GetString(line.ToArray());
    }
}
