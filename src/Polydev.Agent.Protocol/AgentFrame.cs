namespace Polydev.Agent.Protocol;

/// <summary>One frame, as read from the channel.</summary>
/// <param name="Type">What the payload is.</param>
/// <param name="Payload">The payload, of at most <see cref="AgentProtocol.MaxPayloadLength"/> bytes for its type.</param>
public sealed record AgentFrame(AgentFrameType Type, byte[] Payload);
