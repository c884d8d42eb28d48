using System.Buffers.Binary;

namespace Polydev.Agent.Protocol;

/// <summary>
/// Where a job's time went inside the sandbox, on the agent's clock, in milliseconds since it received the job (null:
/// the phase was not reached): the same figures as the sealed <c>exit</c> event's timings (docs/events.md, "Timings"),
/// also on the exit frame so the server can export them as metrics. Metadata of the kind the server sees anyway
/// (when frames arrive, how large they are); nothing of the job's content. Encoded as
/// <c>flags (1: bit 0, the CLI was started ahead) | 6 × int32 big-endian (-1: not reached)</c>.
/// </summary>
public sealed record AgentPhases(bool CliStartedAhead, int? CredentialPlacedMs, int? CliSpawnedMs, int? EgressFirstByteMs, int? ProviderFirstByteMs, int? FirstTextMs, int? EndMs)
{
    /// <summary>Length of the encoded phases.</summary>
    public const int Length = 1 + 6 * 4;

    internal void Write(Span<byte> destination)
    {
        destination[0] = (byte)(CliStartedAhead ? 1 : 0);
        int?[] values = [CredentialPlacedMs, CliSpawnedMs, EgressFirstByteMs, ProviderFirstByteMs, FirstTextMs, EndMs];
        for (var i = 0; i < values.Length; i++)
        {
            BinaryPrimitives.WriteInt32BigEndian(destination[(1 + 4 * i)..], values[i] ?? -1);
        }
    }

    internal static AgentPhases Read(ReadOnlySpan<byte> source)
    {
        var values = new int?[6];
        for (var i = 0; i < values.Length; i++)
        {
            var value = BinaryPrimitives.ReadInt32BigEndian(source[(1 + 4 * i)..]);
            values[i] = value >= 0 ? value : null;
        }

        return new AgentPhases((source[0] & 1) != 0, values[0], values[1], values[2], values[3], values[4], values[5]);
    }
}
