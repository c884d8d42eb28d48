using System.Text.Json;
using Polydev.Client.Api;
using Polydev.Contracts.Executions;
using Polydev.Contracts.Jobs;
using Polydev.Crypto;

namespace Polydev.Client.Executions;

/// <summary>
/// Reads and opens an execution's output stream until its final chunk, reconnecting from the next sequence number
/// when the connection drops, so no event is lost or repeated. Ends early only when the server says the execution
/// ended without a final chunk.
/// </summary>
internal sealed class ExecutionStreamFollower(PolydevApi api, TimeProvider time)
{
    /// <summary>Reconnections of the output stream after a dropped connection before giving up.</summary>
    public const int MaxReconnects = 40;

    /// <summary>How the stream ended: the execution as the server last saw it, and whether the final chunk arrived.</summary>
    public sealed record Ending(ExecutionResponse Execution, bool Complete);

    public async Task<Ending> FollowAsync(Guid id, byte[] outputKey, Action<ReceivedEvent> onEvent, CancellationToken cancellationToken)
    {
        using var decryptor = new OutputStreamDecryptor(outputKey);
        var reconnects = 0;
        while (true)
        {
            try
            {
                await using var stream = await api.OpenExecutionStreamAsync(id, decryptor.NextSequence, cancellationToken);
                while (await OutputStream.ReadFrameAsync(stream, cancellationToken) is { } frame)
                {
                    var chunk = decryptor.Open(frame.Bytes);
                    if (chunk.Plaintext.Length > 0)
                    {
                        var e = JsonSerializer.Deserialize(chunk.Plaintext, EventJsonContext.Default.AgentEvent)
                            ?? throw new JsonException("An output chunk is JSON null, not an event.");
                        onEvent(new ReceivedEvent(chunk.Sequence, e, chunk.Plaintext));
                    }

                    if (chunk.IsFinal)
                    {
                        return new Ending(await api.GetExecutionAsync(id, cancellationToken), Complete: true);
                    }
                }
            }
            catch (Exception e) when (e is IOException or HttpRequestException || (e is OutputStreamException { Failure: OutputStreamFailure.Truncated }))
            {
                // A dropped connection: resume from the next chunk this side needs.
            }

            if (++reconnects > MaxReconnects)
            {
                throw new CliException($"the output stream of execution {id} kept breaking; it may still be running (see its status).");
            }

            try
            {
                var execution = await api.GetExecutionAsync(id, cancellationToken);
                if (ExecutionStates.IsFinished(execution.State) && execution.Chunks <= decryptor.NextSequence)
                {
                    return new Ending(execution, Complete: false);
                }
            }
            catch (CliException e) when (e is not ApiException)
            {
                // The server is unreachable (restarting, say): keep trying; it records how the execution ended.
            }

            await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(2000, 200 * reconnects)), time, cancellationToken);
        }
    }
}
