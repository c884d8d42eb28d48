using Microsoft.Extensions.Options;
using Polydev.Contracts.Executions;
using Polydev.Crypto;
using Polydev.Server.Sandboxes;
using Polydev.Server.Sandboxes.Agents;

namespace Polydev.Server.Executions;

/// <summary>What the relay saw of the agent's output.</summary>
/// <param name="SawFinal">The agent's final frame arrived.</param>
/// <param name="Problem">Why the stream broke off or was malformed, when it did.</param>
public sealed record RelayResult(long OutputBytes, long Chunks, bool SawFinal, string? Problem);

/// <summary>
/// Relays an agent's encrypted output frames blind: checks their sequence, stores each and serves it live, until the
/// final frame, within the server's limits (run time, output size). It never opens a frame.
/// </summary>
public sealed class OutputRelay(ExecutionStore store, IOptions<ExecutionsOptions> options, TimeProvider clock, ExecutionTelemetry telemetry)
{
    /// <summary>Stops the execution (reason <c>timeout</c>) once it has run <see cref="ExecutionsOptions.MaxRunTime"/>; dispose to disarm.</summary>
    public IDisposable ArmDeadline(ActiveExecution active)
    {
        var deadline = new CancellationTokenSource(options.Value.MaxRunTime, clock);
        var registration = deadline.Token.Register(() => active.Stop(ExecutionReasons.Timeout));
        return new Deadline(deadline, registration);
    }

    /// <summary>Relays until the final frame, the end of the stream, a malformed frame, or the execution being stopped.</summary>
    public async Task<RelayResult> RelayAsync(ActiveExecution active, AgentChannel agent)
    {
        long outputBytes = 0;
        long next = 0;
        try
        {
            return await RelayFramesAsync(active, agent, (bytes, chunks) => (outputBytes, next) = (bytes, chunks));
        }
        catch (Exception e) when (e is OperationCanceledException or SandboxEngineException or IOException)
        {
            return new RelayResult(outputBytes, next, false, active.StopReason is null ? e.Message : null);
        }
    }

    private async Task<RelayResult> RelayFramesAsync(ActiveExecution active, AgentChannel agent, Action<long, long> progress)
    {
        var record = active.Record;
        long outputBytes = 0;
        long next = 0;
        while (true)
        {
            OutputStreamFrame? frame;
            try
            {
                frame = await agent.ReadOutputAsync(active.Stopping);
            }
            catch (OutputStreamException e)
            {
                return new RelayResult(outputBytes, next, false, e.Message);
            }

            if (frame is null)
            {
                return new RelayResult(outputBytes, next, false, null);
            }

            if (frame.Sequence != next)
            {
                return new RelayResult(outputBytes, next, false, $"the agent sent chunk {frame.Sequence} where {next} was due");
            }

            outputBytes += frame.Bytes.Length;
            if (outputBytes > options.Value.MaxOutputBytes)
            {
                active.Stop(ExecutionReasons.OutputLimit);
                return new RelayResult(outputBytes, next, false, null);
            }

            await store.AppendChunkAsync(record.Id, frame.Sequence, frame.Bytes, CancellationToken.None);
            if (next == 0)
            {
                telemetry.FirstChunk(record.Provider, active.Started);
            }

            active.Output.Append(frame.Bytes);
            telemetry.Output(record.Provider, frame.Bytes.Length);
            next++;
            progress(outputBytes, next);
            if (frame.IsFinal)
            {
                return new RelayResult(outputBytes, next, true, null);
            }
        }
    }

    private sealed class Deadline(CancellationTokenSource source, CancellationTokenRegistration registration) : IDisposable
    {
        public void Dispose()
        {
            registration.Dispose();
            source.Dispose();
        }
    }
}
