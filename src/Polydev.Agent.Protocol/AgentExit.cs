using System.Buffers.Binary;

namespace Polydev.Agent.Protocol;

/// <summary>
/// The payload of an <see cref="AgentFrameType.Exit"/> frame: <c>reason (1) | exit status (4, big-endian, signed)</c>,
/// the status the agent process exits with right after the frame, then, after a job that ran, its
/// <see cref="AgentPhases"/> (<see cref="AgentPhases.Length"/> bytes).
/// </summary>
/// <param name="Reason">Why the agent ends.</param>
/// <param name="ExitStatus">The agent process's exit status.</param>
public sealed record AgentExit(AgentExitReason Reason, int ExitStatus)
{
    /// <summary>Length of the payload without phases.</summary>
    public const int Length = 5;

    /// <summary>The job's phases, when a job ran.</summary>
    public AgentPhases? Phases { get; init; }

    /// <summary>The exit of an agent that ends for <paramref name="reason"/>: its exit status is the reason's number.</summary>
    public static AgentExit For(AgentExitReason reason) => new(reason, (int)reason);

    /// <summary>The payload bytes.</summary>
    public byte[] Encode()
    {
        var payload = new byte[Length + (Phases is null ? 0 : AgentPhases.Length)];
        payload[0] = (byte)Reason;
        BinaryPrimitives.WriteInt32BigEndian(payload.AsSpan(1), ExitStatus);
        Phases?.Write(payload.AsSpan(Length));
        return payload;
    }

    /// <summary>Reads a payload.</summary>
    /// <exception cref="AgentProtocolException">Wrong length or an unknown reason.</exception>
    public static AgentExit Decode(ReadOnlySpan<byte> payload)
    {
        if (payload.Length is not (Length or Length + AgentPhases.Length))
        {
            throw new AgentProtocolException(AgentProtocolFailure.Malformed, $"An exit frame carries {Length} or {Length + AgentPhases.Length} bytes, not {payload.Length}.");
        }

        var reason = (AgentExitReason)payload[0];
        if (!Enum.IsDefined(reason))
        {
            throw new AgentProtocolException(AgentProtocolFailure.Malformed, $"Exit reason {payload[0]} is not known to protocol version {AgentProtocol.Version}.");
        }

        return new AgentExit(reason, BinaryPrimitives.ReadInt32BigEndian(payload[1..Length]))
        {
            Phases = payload.Length > Length ? AgentPhases.Read(payload[Length..]) : null,
        };
    }
}
