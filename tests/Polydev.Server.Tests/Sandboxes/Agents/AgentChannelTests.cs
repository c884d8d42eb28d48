using System.Diagnostics;
using System.IO.Pipelines;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Polydev.Agent.Protocol;
using Polydev.Crypto;
using Polydev.Server.Sandboxes;
using Polydev.Server.Sandboxes.Agents;

namespace Polydev.Server.Tests.Sandboxes.Agents;

/// <summary>
/// The server's end of the agent channel against the real agent: in process over in-memory pipes, or as a process
/// where only a process will do (a crash, a freeze). The fake CLI answers at once, or hangs when the prompt says so.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class AgentChannelTests
{
    private static readonly string FakeCli = WriteFakeCli();

    private static readonly AgentChannelOptions Options = new()
    {
        HeartbeatInterval = TimeSpan.FromMilliseconds(200),
        MissedHeartbeats = 10,
        HelloTimeout = TimeSpan.FromSeconds(20),
        ExitTimeout = TimeSpan.FromSeconds(10),
    };

    [Fact]
    public async Task The_handshake_gives_the_agents_one_job_key_and_heartbeats_keep_a_waiting_agent_alive()
    {
        await using var channel = await OpenInProcessAsync();

        Assert.Equal(AgentHello.PublicKeyLength, channel.PublicKey.Length);
        Assert.True(UserKeyPair.IsValidPublicKey(channel.PublicKey));
        Assert.Equal(Options.HeartbeatInterval, channel.Hello.HeartbeatInterval);
        Assert.False(string.IsNullOrEmpty(channel.Hello.AgentVersion));

        // Twice the silence limit: only the heartbeats keep the channel open.
        await Task.Delay(Options.HeartbeatInterval * Options.MissedHeartbeats * 2);
        Assert.False(channel.HasEnded, channel.HasEnded ? (await channel.Completion).ToString() : "");
    }

    [Fact]
    public async Task The_job_is_delivered_and_its_output_frames_are_relayed_byte_for_byte_then_the_exit_frame_says_ok()
    {
        await using var channel = await OpenInProcessAsync();
        byte[] outputKey = RandomNumberGenerator.GetBytes(OutputStream.KeyLength);

        await channel.SendJobAsync(Seal(channel.PublicKey, Job("hello", outputKey)), CancellationToken.None);
        List<OutputStreamFrame> frames = await ReadAllOutputAsync(channel);
        AgentEnd end = await channel.Completion.WaitAsync(TimeSpan.FromSeconds(10));

        // The job ran: its phases come with the exit (issue 19).
        Assert.Equal(AgentEnd.Exited(AgentExit.For(AgentExitReason.Ok) with { Phases = end.Exit?.Phases }), end);
        Assert.True(end.Exit?.Phases is { CliSpawnedMs: not null, EndMs: not null }, end.Exit?.Phases?.ToString());
        Assert.Equal(Enumerable.Range(0, frames.Count).Select(i => (long)i), frames.Select(f => f.Sequence));
        Assert.True(frames[^1].IsFinal);
        using var reader = new OutputStreamReader(new MemoryStream(frames.SelectMany(f => OutputStream.Frame(f.Bytes)).ToArray()), outputKey);
        var events = (await reader.ReadAllAsync()).Select(c => JsonNode.Parse(c.Plaintext)!["type"]!.GetValue<string>()).ToList();
        Assert.Equal(["accepted", "start", "result", "exit"], events);
    }

    [Fact]
    public async Task A_job_sealed_to_another_key_ends_with_exit_reason_job_refused_and_no_output()
    {
        await using var channel = await OpenInProcessAsync();
        using var other = UserKeyPair.Generate();

        await channel.SendJobAsync(Seal(other.PublicKey, Job("hello", new byte[32])), CancellationToken.None);

        Assert.Empty(await ReadAllOutputAsync(channel));
        AgentEnd end = await channel.Completion.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(AgentExitReason.JobRefused, end.Exit?.Reason);
        Assert.Equal(4, end.Exit?.ExitStatus);
        await channel.StderrDrained(TimeSpan.FromSeconds(2));
        Assert.Contains("could not be opened", channel.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_cancel_makes_the_agent_kill_the_cli_and_exit_with_reason_cancelled()
    {
        await using var channel = await OpenInProcessAsync();
        byte[] outputKey = RandomNumberGenerator.GetBytes(OutputStream.KeyLength);
        await channel.SendJobAsync(Seal(channel.PublicKey, Job("hang", outputKey)), CancellationToken.None);
        OutputStreamFrame? accepted = await channel.ReadOutputAsync(CancellationToken.None);
        Assert.Equal(0, accepted?.Sequence);
        await Task.Delay(300); // the CLI is running

        var clock = Stopwatch.StartNew();
        AgentEnd? end = await channel.CancelAsync();

        Assert.InRange(clock.Elapsed.TotalSeconds, 0, 5);
        Assert.Equal(AgentEnd.Exited(AgentExit.For(AgentExitReason.Cancelled) with { Phases = end?.Exit?.Phases }), end);
        Assert.NotNull(end?.Exit?.Phases);
    }

    [Fact]
    public async Task An_agent_that_stops_sending_heartbeats_is_lost_after_the_configured_missed_beats()
    {
        await using var agent = new AgentProcess(new Dictionary<string, string>(), ["serve", .. Options.ServeArguments]);
        await using var channel = await AgentChannel.OpenAsync(agent, Options, TimeProvider.System, CancellationToken.None);
        await Task.Delay(Options.HeartbeatInterval * 4);
        Assert.False(channel.HasEnded);

        var clock = Stopwatch.StartNew();
        agent.Signal(19); // SIGSTOP: the agent is alive but says nothing, as a hung agent would

        AgentEnd end = await channel.Completion.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.True(end.IsLost);
        Assert.Equal("the agent sent nothing for 2 s (10 heartbeats missed)", end.LostReason);
        // The silence counts from the last beat, up to one interval before the stop.
        Assert.InRange(clock.Elapsed.TotalMilliseconds, 1750, 10000);
        agent.Signal(9);
    }

    [Fact]
    public async Task An_agent_that_crashes_mid_run_is_reported_lost_with_the_reason()
    {
        await using var agent = new AgentProcess(new Dictionary<string, string> { ["POLYDEV_AGENT_CLAUDE"] = FakeCli }, ["serve", .. Options.ServeArguments]);
        await using var channel = await AgentChannel.OpenAsync(agent, Options, TimeProvider.System, CancellationToken.None);
        await channel.SendJobAsync(Seal(channel.PublicKey, Job("hang", new byte[32])), CancellationToken.None);
        Assert.NotNull(await channel.ReadOutputAsync(CancellationToken.None));

        agent.Signal(9);

        // What was sent before the kill still comes; then the output ends, without a final chunk.
        Assert.DoesNotContain(await ReadAllOutputAsync(channel), frame => frame.IsFinal);
        AgentEnd end = await channel.Completion.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(AgentEnd.Lost("the agent's output ended without an exit frame (the agent crashed or was killed)"), end);
    }

    [Fact]
    public async Task An_agent_of_another_protocol_version_is_refused_with_both_versions_named()
    {
        var stdout = new Pipe();
        byte[] hello = AgentFrameWriter.Encode(AgentFrameType.Hello, new AgentHello(UserKeyPair.Generate().PublicKey, "9.9.9", TimeSpan.FromSeconds(5)).Encode());
        hello[0] = 3;
        await stdout.Writer.WriteAsync(hello);

        var e = await Assert.ThrowsAsync<AgentChannelException>(() => AgentChannel.OpenAsync(new FakeAgent(stdout), Options, TimeProvider.System, CancellationToken.None));
        Assert.Equal("The sandbox agent cannot be used: Agent protocol version mismatch: the agent speaks version 3, this side speaks version 2.", e.Message);
    }

    [Fact]
    public async Task An_agent_from_before_the_channel_printing_its_key_as_a_line_is_named_as_protocol_0()
    {
        var stdout = new Pipe();
        await stdout.Writer.WriteAsync(Encoding.ASCII.GetBytes(Convert.ToBase64String(UserKeyPair.Generate().PublicKey) + "\n"));

        var e = await Assert.ThrowsAsync<AgentChannelException>(() => AgentChannel.OpenAsync(new FakeAgent(stdout), Options, TimeProvider.System, CancellationToken.None));
        Assert.Contains("the agent speaks version 0 (a text line starting 'B': an agent from before the channel protocol), this side speaks version 2", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_agent_that_says_nothing_is_given_up_after_the_hello_timeout()
    {
        var options = new AgentChannelOptions { HelloTimeout = TimeSpan.FromMilliseconds(200) };
        var e = await Assert.ThrowsAsync<AgentChannelException>(() => AgentChannel.OpenAsync(new FakeAgent(new Pipe()), options, TimeProvider.System, CancellationToken.None));
        Assert.Equal("The sandbox agent sent no hello within 0.2 s.", e.Message);
    }

    [Fact]
    public async Task An_agent_that_ends_before_its_hello_is_reported_with_its_stderr()
    {
        await using var agent = new InProcessAgent("serve", "--bogus");
        var e = await Assert.ThrowsAsync<AgentChannelException>(() => AgentChannel.OpenAsync(agent, Options, TimeProvider.System, CancellationToken.None));
        Assert.StartsWith("The sandbox agent ended before its hello: polydev-agent: unknown or invalid argument at position 1.", e.Message, StringComparison.Ordinal);
    }

    private static async Task<AgentChannel> OpenInProcessAsync() =>
        await AgentChannel.OpenAsync(new InProcessAgent(["serve", .. Options.ServeArguments]), Options, TimeProvider.System, CancellationToken.None);

    private static async Task<List<OutputStreamFrame>> ReadAllOutputAsync(AgentChannel channel)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var frames = new List<OutputStreamFrame>();
        while (await channel.ReadOutputAsync(timeout.Token) is { } frame)
        {
            frames.Add(frame);
        }

        return frames;
    }

    private static byte[] Seal(byte[] publicKey, JsonObject job) =>
        SealedBox.Seal(publicKey, Encoding.UTF8.GetBytes(job.ToJsonString()), "execution.job");

    private static JsonObject Job(string prompt, byte[] outputKey) => new()
    {
        ["version"] = 1,
        ["provider"] = "anthropic",
        ["credential"] = new JsonObject { ["type"] = "api_key", ["value"] = "sk-channel-test" },
        ["prompt"] = prompt,
        ["options"] = new JsonObject { ["timeLimitSeconds"] = 60 },
        ["outputKey"] = Convert.ToBase64String(outputKey),
    };

    /// <summary>The in-process agent finds the CLI through POLYDEV_AGENT_CLAUDE, set once for this test process.</summary>
    private static string WriteFakeCli()
    {
        string path = Path.Combine(Directory.CreateTempSubdirectory("polydev-channel-test-").FullName, "fake-claude");
        File.WriteAllText(path, """
            #!/bin/sh
            prompt=$(cat)
            echo '{"type":"system","subtype":"init","session_id":"s","model":"m"}'
            case "$prompt" in
              *hang*) exec sleep 300 ;;
            esac
            echo '{"type":"result","subtype":"success","is_error":false,"result":"done"}'
            """.Replace("\r", "", StringComparison.Ordinal) + "\n");
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        Environment.SetEnvironmentVariable("POLYDEV_AGENT_CLAUDE", path);
        return path;
    }

    /// <summary>A stand-in that has written what a test put in its stdout pipe and nothing else.</summary>
    private sealed class FakeAgent(Pipe stdout) : SandboxProcess
    {
        private readonly Pipe _stdin = new();

        public override Stream Stdin => _stdin.Writer.AsStream();

        public override Stream Stdout => stdout.Reader.AsStream();

        public override Stream Stderr => Stream.Null;

        public override Task OutputCompletion => Task.Delay(Timeout.Infinite);

        public override ValueTask CloseStdinAsync() => ValueTask.CompletedTask;

        public override Task<int> WaitForExitAsync(CancellationToken cancellationToken = default) => Task.Delay(Timeout.Infinite, cancellationToken).ContinueWith(_ => 0, TaskScheduler.Default);

        public override ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
