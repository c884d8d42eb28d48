using System.Threading.Channels;
using Polydev.Agent.Protocol;

namespace Polydev.Server.Sandboxes.Agents;

/// <summary>
/// A login session's signal frames on the agent channel (docs/agent-protocol.md, type <c>0x07</c>): encrypted session
/// messages between the viewer and the login agent, relayed both ways unopened. Only login agents send them; the
/// channel's reader waits (and so stops reading, without counting the wait as the agent's silence) while 256 are
/// waiting for a viewer.
/// </summary>
public sealed class AgentSignals(AgentFrameWriter writer)
{
    private readonly Channel<byte[]> _fromAgent = Channel.CreateBounded<byte[]>(new BoundedChannelOptions(256) { SingleReader = true, SingleWriter = true });

    /// <summary>The agent's messages, in order; completes when the channel ends.</summary>
    public ChannelReader<byte[]> FromAgent => _fromAgent.Reader;

    /// <summary>One viewer message to the agent.</summary>
    public async Task SendAsync(ReadOnlyMemory<byte> message, CancellationToken cancellationToken)
    {
        if (message.Length is 0 or > AgentProtocol.MaxOutputLength)
        {
            throw new ArgumentOutOfRangeException(nameof(message), $"A session message is 1 to {AgentProtocol.MaxOutputLength} bytes.");
        }

        await writer.WriteAsync(AgentFrameType.Signal, message, cancellationToken);
    }

    /// <summary>
    /// The credential a login agent captured (<see cref="AgentFrameType.Credential"/>): sealed to the user, opaque here;
    /// null until it arrives. Set once; a second one ends the channel as a protocol error.
    /// </summary>
    public byte[]? Credential { get; private set; }

    /// <summary>Takes a signal or credential frame from the agent; what is wrong with it, when it breaks the protocol.</summary>
    internal async ValueTask<string?> DeliverAsync(AgentFrame frame, CancellationToken cancellationToken)
    {
        if (frame.Type == AgentFrameType.Signal)
        {
            await _fromAgent.Writer.WriteAsync(frame.Payload, cancellationToken);
            return null;
        }

        if (Credential is not null || frame.Payload.Length == 0)
        {
            return "the agent sent a second or empty credential frame";
        }

        Credential = frame.Payload;
        return null;
    }

    internal void Complete() => _fromAgent.Writer.TryComplete();
}
