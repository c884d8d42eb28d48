using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using Polydev.Agent.Protocol;

namespace Polydev.Agent.Tests;

/// <summary>
/// A real exchange with <c>polydev-agent serve</c>: hello, a heartbeat, the job, the first output chunk, a cancel, the
/// last chunk, the exit frame. It checks the order, and with <c>POLYDEV_PROTOCOL_EXAMPLE=PATH</c> writes the exchange
/// as hex to PATH: the worked example of docs/agent-protocol.md comes from here.
/// </summary>
public sealed class ProtocolExampleTests
{
    [Fact]
    public async Task A_cancelled_job_goes_hello_heartbeat_job_output_cancel_output_exit()
    {
        using var sandbox = new AgentHarness();
        sandbox.Environment["POLYDEV_AGENT_CLAUDE"] = sandbox.WriteScript("hang", "cat > /dev/null\nexec sleep 300\n");
        using Process process = Process.Start(sandbox.StartInfo("serve", "--heartbeat-ms", "250"))!;
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        var reader = new AgentFrameReader(process.StandardOutput.BaseStream, "agent");
        using var writer = new AgentFrameWriter(process.StandardInput.BaseStream);
        var exchange = new List<(bool FromAgent, AgentFrame Frame)>();

        AgentFrame hello = (await reader.ReadAsync())!;
        exchange.Add((true, hello));
        exchange.Add((true, (await reader.ReadAsync())!));
        byte[] outputKey = RandomNumberGenerator.GetBytes(32);
        var job = new AgentFrame(AgentFrameType.Job, AgentHarness.Seal(AgentHello.Decode(hello.Payload).PublicKey, AgentHarness.Job("anthropic", "api_key", "sk-x", "hi", outputKey)));
        await writer.WriteAsync(job.Type, job.Payload);
        exchange.Add((false, job));
        AgentFrame next;
        while ((next = (await reader.ReadAsync())!).Type == AgentFrameType.Heartbeat)
        {
        }

        exchange.Add((true, next));
        await Task.Delay(200);
        var cancel = new AgentFrame(AgentFrameType.Cancel, []);
        await writer.WriteAsync(cancel.Type, cancel.Payload);
        exchange.Add((false, cancel));
        while (await reader.ReadAsync() is { } frame)
        {
            if (frame.Type != AgentFrameType.Heartbeat)
            {
                exchange.Add((true, frame));
            }
        }

        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 5, await stderr);
        Assert.Equal(
            [AgentFrameType.Hello, AgentFrameType.Heartbeat, AgentFrameType.Job, AgentFrameType.Output, AgentFrameType.Cancel, AgentFrameType.Output, AgentFrameType.Exit],
            exchange.Select(e => e.Frame.Type));
        AgentExit exit = AgentExit.Decode(exchange[^1].Frame.Payload);
        Assert.Equal((AgentExitReason.Cancelled, 5), (exit.Reason, exit.ExitStatus));
        Assert.True(exit.Phases is { CliStartedAhead: false, CliSpawnedMs: not null, FirstTextMs: null, EndMs: not null }, exit.Phases?.ToString());

        if (Environment.GetEnvironmentVariable("POLYDEV_PROTOCOL_EXAMPLE") is { Length: > 0 } path)
        {
            await File.WriteAllTextAsync(path, Dump(exchange));
        }
    }

    private static string Dump(List<(bool FromAgent, AgentFrame Frame)> exchange)
    {
        var text = new StringBuilder();
        foreach ((bool fromAgent, AgentFrame frame) in exchange)
        {
            byte[] bytes = AgentFrameWriter.Encode(frame.Type, frame.Payload);
            text.AppendLine($"{(fromAgent ? "agent → server" : "server → agent")}  {frame.Type} ({bytes.Length} bytes)");
            if (frame.Type == AgentFrameType.Hello)
            {
                AgentHello hello = AgentHello.Decode(frame.Payload);
                text.AppendLine($"  (heartbeat {hello.HeartbeatInterval.TotalMilliseconds} ms, agent version \"{hello.AgentVersion}\")");
            }

            text.AppendLine($"  header   {Convert.ToHexStringLower(bytes.AsSpan(0, AgentProtocol.HeaderLength))}");
            // The handshake in full; of the job and the output chunks, their start (the rest is ciphertext).
            int Shown = frame.Type == AgentFrameType.Hello ? frame.Payload.Length : 32;
            for (int i = AgentProtocol.HeaderLength; i < Math.Min(bytes.Length, AgentProtocol.HeaderLength + Shown); i += 16)
            {
                text.AppendLine($"  {(i == AgentProtocol.HeaderLength ? "payload" : "       ")}  {Convert.ToHexStringLower(bytes.AsSpan(i, Math.Min(16, Math.Min(bytes.Length, AgentProtocol.HeaderLength + Shown) - i)))}");
            }

            if (bytes.Length > AgentProtocol.HeaderLength + Shown)
            {
                text.AppendLine($"           … {bytes.Length - AgentProtocol.HeaderLength - Shown} more bytes");
            }
        }

        return text.ToString();
    }
}
