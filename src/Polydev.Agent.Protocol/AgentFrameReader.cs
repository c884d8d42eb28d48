using System.Buffers.Binary;

namespace Polydev.Agent.Protocol;

/// <summary>
/// Reads frames from one direction of the channel and checks each header (version, known type, length within the
/// type's limit) before reading its payload, so a confused or hostile peer cannot make the reader allocate much.
/// </summary>
/// <param name="stream">The transport, positioned at a frame boundary.</param>
/// <param name="peer">Who writes this direction (<c>agent</c> or <c>server</c>), for error messages.</param>
public sealed class AgentFrameReader(Stream stream, string peer)
{
    private readonly byte[] _header = new byte[AgentProtocol.HeaderLength];

    /// <summary>The next frame, or null when the stream ends cleanly at a frame boundary.</summary>
    /// <exception cref="AgentProtocolException">Another version, an unknown type, a length out of range, or the stream ends inside a frame.</exception>
    public async ValueTask<AgentFrame?> ReadAsync(CancellationToken cancellationToken = default)
    {
        int read = await stream.ReadAtLeastAsync(_header, 1, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
        if (read == 0)
        {
            return null;
        }

        // The version first, alone: whatever else a peer of another version sends, this byte names its version.
        if (_header[0] != AgentProtocol.Version)
        {
            throw AgentProtocolException.VersionMismatch(_header[0], peer);
        }

        if (read < _header.Length
            && await stream.ReadAtLeastAsync(_header.AsMemory(read), _header.Length - read, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false) < _header.Length - read)
        {
            throw new AgentProtocolException(AgentProtocolFailure.Truncated, $"The {peer}'s stream ended inside a frame header.");
        }

        var type = (AgentFrameType)_header[1];
        uint length = BinaryPrimitives.ReadUInt32BigEndian(_header.AsSpan(2));
        int max = AgentProtocol.MaxPayloadLength(type);
        if (max < 0)
        {
            throw new AgentProtocolException(AgentProtocolFailure.Malformed, $"The {peer} sent frame type 0x{_header[1]:x2}, unknown to protocol version {AgentProtocol.Version}.");
        }

        if (length > (uint)max || (type is AgentFrameType.Job or AgentFrameType.Output or AgentFrameType.Signal && length == 0))
        {
            throw new AgentProtocolException(AgentProtocolFailure.Malformed, $"The {peer} sent a {type} frame of {length} bytes; it must be {(max == 0 ? "empty" : $"1 to {max} bytes")}.");
        }

        var payload = length == 0 ? [] : new byte[length];
        if (payload.Length > 0
            && await stream.ReadAtLeastAsync(payload, payload.Length, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false) < payload.Length)
        {
            throw new AgentProtocolException(AgentProtocolFailure.Truncated, $"The {peer}'s stream ended inside a {type} frame.");
        }

        return new AgentFrame(type, payload);
    }
}
