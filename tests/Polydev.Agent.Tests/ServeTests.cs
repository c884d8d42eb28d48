using System.Diagnostics;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Polydev.Agent.Protocol;

namespace Polydev.Agent.Tests;

/// <summary>
/// <c>polydev-agent serve</c> over the agent channel (docs/agent-protocol.md): the hello with versions and key, the
/// heartbeats, one job, the cancel, and an exit frame naming why the agent ended, whatever happens.
/// </summary>
public sealed class ServeTests
{
    [Fact]
    public async Task Serve_says_hello_with_both_versions_and_its_key_beats_while_waiting_and_running_and_keeps_no_key_file()
    {
        using var sandbox = new AgentHarness();
        var provider = FakeClis.Claude;
        sandbox.Environment[provider.Override] = sandbox.WriteScript("fake-claude", "cat > /dev/null\nsleep 0.5\ncat <<'JSONL'\n" + provider.Stream + "\nJSONL\n");
        byte[] outputKey = RandomNumberGenerator.GetBytes(32);

        AgentResult result = await sandbox.RunAsync(
            AgentHarness.Job("anthropic", "api_key", "sk-serve", "hello", outputKey),
            whileRunning: _ => Task.Delay(0),
            serveArgs: ["--heartbeat-ms", "50"]);

        Assert.Equal(AgentProtocol.Version, result.Raw[0]);
        Assert.Equal((byte)AgentFrameType.Hello, result.Raw[1]);
        Assert.Equal(65, result.Hello.PublicKey.Length);
        Assert.Equal(0x04, result.Hello.PublicKey[0]);
        Assert.False(string.IsNullOrEmpty(result.Hello.AgentVersion));
        Assert.Equal(TimeSpan.FromMilliseconds(50), result.Hello.HeartbeatInterval);
        Assert.False(Directory.Exists(Path.Combine(sandbox.Home, ".polydev-agent")), "serve keeps its key in memory, never in a file");
        Assert.InRange(result.Heartbeats, 4, 1000); // the CLI took half a second: beats went on while it ran
        Assert.Equal(AgentExitReason.Ok, result.Reason);
        Assert.Equal(0, result.ExitCode);
        var events = await AgentHarness.DecryptAsync(result.Stdout, outputKey);
        AgentHarness.TakeTimings(events);
        Assert.Equal(provider.Events.Select(e => JsonNode.Parse(e)!.ToJsonString()), events.Select(e => e.ToJsonString()));
    }

    [Fact]
    public async Task The_agent_waits_for_its_job_sending_only_heartbeats_and_ends_abandoned_when_the_server_closes_the_channel()
    {
        using var sandbox = new AgentHarness();
        using Process process = Process.Start(sandbox.StartInfo("serve", "--heartbeat-ms", "40"))!;
        var reader = new AgentFrameReader(process.StandardOutput.BaseStream, "agent");
        Assert.Equal(AgentFrameType.Hello, (await reader.ReadAsync())!.Type);
        for (int i = 0; i < 3; i++)
        {
            AgentFrame beat = (await reader.ReadAsync())!;
            Assert.Equal(AgentFrameType.Heartbeat, beat.Type);
            Assert.Empty(beat.Payload);
        }

        process.StandardInput.Close();
        AgentExit? exit = null;
        while (await reader.ReadAsync() is { } frame)
        {
            if (frame.Type == AgentFrameType.Exit)
            {
                exit = AgentExit.Decode(frame.Payload);
            }
        }

        await process.WaitForExitAsync();
        Assert.Equal(AgentExit.For(AgentExitReason.Abandoned), exit);
        Assert.Equal(7, process.ExitCode);
    }

    [Fact]
    public async Task A_cancel_from_the_server_kills_the_cli_ends_the_stream_and_exits_cancelled()
    {
        using var sandbox = new AgentHarness();
        string started = Path.Combine(sandbox.Home, "started");
        string pidFile = Path.Combine(sandbox.Home, "cli.pid");
        sandbox.Environment["POLYDEV_AGENT_CLAUDE"] = sandbox.WriteScript("hang", $"cat > /dev/null\necho $$ > '{pidFile}'\ntouch '{started}'\nsleep 300\n");
        byte[] outputKey = RandomNumberGenerator.GetBytes(32);
        var clock = Stopwatch.StartNew();

        AgentResult result = await sandbox.RunAsync(
            AgentHarness.Job("anthropic", "api_key", "sk-x", "hang", outputKey, timeLimitSeconds: 60),
            async agent =>
            {
                await AgentRunTests.WaitUntilAsync(() => File.Exists(started));
                using var writer = new AgentFrameWriter(agent.StandardInput.BaseStream);
                await writer.WriteAsync(AgentFrameType.Cancel, ReadOnlyMemory<byte>.Empty);
            });

        Assert.InRange(clock.Elapsed.TotalSeconds, 0, 20);
        Assert.Equal(AgentExitReason.Cancelled, result.Reason);
        Assert.Equal(5, result.ExitCode);
        List<JsonObject> events = await AgentHarness.DecryptAsync(result.Stdout, outputKey);
        Assert.Equal("killed", events[^1]["reason"]!.GetValue<string>());
        int cli = int.Parse(File.ReadAllText(pidFile).Trim());
        await AgentRunTests.WaitUntilAsync(() => !Directory.Exists($"/proc/{cli}") || File.ReadAllText($"/proc/{cli}/stat").Contains(") Z "));
    }

    [Fact]
    public async Task A_server_of_another_protocol_version_gets_a_protocol_error_naming_both_versions()
    {
        // A job frame as a version 3 server would send it.
        byte[] frame = AgentFrameWriter.Encode(AgentFrameType.Job, new byte[100]);
        frame[0] = 3;

        (AgentExit? exit, int status, string stderr) = await SendAfterHelloAsync(frame);

        Assert.Equal(AgentExitReason.ProtocolError, exit?.Reason);
        Assert.Equal(6, status);
        Assert.Contains("the server speaks version 3, this side speaks version 2", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_malformed_job_frame_length_is_refused_before_reading_it()
    {
        byte[] header = AgentFrameWriter.Encode(AgentFrameType.Job, []);
        header[2] = 0x7f; // a 2 GiB job

        (AgentExit? exit, int status, string stderr) = await SendAfterHelloAsync(header);

        Assert.Equal(AgentExitReason.ProtocolError, exit?.Reason);
        Assert.Equal((int)AgentExitReason.ProtocolError, status);
        Assert.Contains("Job frame of 2130706432 bytes", stderr, StringComparison.Ordinal);
    }

    /// <summary>Starts <c>serve</c>, reads the hello, writes <paramref name="bytes"/>, and reads the channel to its end.</summary>
    private static async Task<(AgentExit? Exit, int Status, string Stderr)> SendAfterHelloAsync(byte[] bytes)
    {
        using var sandbox = new AgentHarness();
        using Process process = Process.Start(sandbox.StartInfo("serve"))!;
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        var reader = new AgentFrameReader(process.StandardOutput.BaseStream, "agent");
        Assert.Equal(AgentFrameType.Hello, (await reader.ReadAsync())!.Type);
        await process.StandardInput.BaseStream.WriteAsync(bytes);
        await process.StandardInput.BaseStream.FlushAsync();

        AgentExit? exit = null;
        while (await reader.ReadAsync() is { } next)
        {
            exit = next.Type == AgentFrameType.Exit ? AgentExit.Decode(next.Payload) : exit;
        }

        await process.WaitForExitAsync();
        return (exit, process.ExitCode, await stderr);
    }
}
