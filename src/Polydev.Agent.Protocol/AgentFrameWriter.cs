using System.Buffers.Binary;

namespace Polydev.Agent.Protocol;

/// <summary>
/// Writes frames to one direction of the channel, each as one write followed by a flush. Safe to call from several
/// tasks at once (the agent's heartbeats interleave with its output): frames never interleave.
/// </summary>
/// <param name="stream">The transport.</param>
public sealed class AgentFrameWriter(Stream stream) : IDisposable
{
    private readonly SemaphoreSlim _gate = new(1, 1);

    /// <summary>Writes one frame and flushes.</summary>
    public async ValueTask WriteAsync(AgentFrameType type, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken = default)
    {
        byte[] frame = Encode(type, payload.Span);
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await stream.WriteAsync(frame, cancellationToken).ConfigureAwait(false);
            await stream.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>A frame's bytes: header and payload.</summary>
    public static byte[] Encode(AgentFrameType type, ReadOnlySpan<byte> payload)
    {
        var frame = new byte[AgentProtocol.HeaderLength + payload.Length];
        frame[0] = AgentProtocol.Version;
        frame[1] = (byte)type;
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(2), (uint)payload.Length);
        payload.CopyTo(frame.AsSpan(AgentProtocol.HeaderLength));
        return frame;
    }

    /// <summary>Releases the write gate (not the transport).</summary>
    public void Dispose() => _gate.Dispose();
}
