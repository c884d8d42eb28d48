namespace Polydev.Agent.Protocol;

/// <summary>
/// The agent channel's wire format (docs/agent-protocol.md): frames of <c>version (1) | type (1) | length (4,
/// big-endian) | payload (length)</c> in both directions over the agent process's stdin and stdout.
/// </summary>
public static class AgentProtocol
{
    /// <summary>
    /// The protocol version this build speaks. It is the first byte of every frame, in every version, so either side
    /// can name the other's version however the rest of the format changes.
    /// </summary>
    public const byte Version = 2;

    /// <summary>Length of a frame header: version, type, payload length.</summary>
    public const int HeaderLength = 6;

    /// <summary>Largest sealed job a <see cref="AgentFrameType.Job"/> frame carries (16 MiB).</summary>
    public const int MaxJobLength = 16 << 20;

    /// <summary>Largest <see cref="AgentFrameType.Hello"/> payload.</summary>
    public const int MaxHelloLength = 1024;

    /// <summary>Largest <see cref="AgentFrameType.Output"/> payload: one output-stream frame (docs/crypto.md).</summary>
    public const int MaxOutputLength = Crypto.OutputStream.MaxFrameLength;

    /// <summary>Largest <see cref="AgentFrameType.Credential"/> payload: a CLI's credential file, sealed (the largest real one is a few KiB).</summary>
    public const int MaxCredentialLength = 256 * 1024;

    /// <summary>The heartbeat interval an agent uses unless told otherwise.</summary>
    public static readonly TimeSpan DefaultHeartbeatInterval = TimeSpan.FromSeconds(5);

    /// <summary>The largest payload a frame of <paramref name="type"/> may carry, or -1 for a type this version does not know.</summary>
    public static int MaxPayloadLength(AgentFrameType type) => type switch
    {
        AgentFrameType.Hello => MaxHelloLength,
        AgentFrameType.Job => MaxJobLength,
        AgentFrameType.Heartbeat or AgentFrameType.Cancel => 0,
        AgentFrameType.Output or AgentFrameType.Signal => MaxOutputLength,
        AgentFrameType.Exit => AgentExit.Length + AgentPhases.Length,
        AgentFrameType.Credential => MaxCredentialLength,
        _ => -1,
    };

    /// <summary>Describes a version byte for an error message; a printable byte is what an agent from before the channel sent (its base64 key line).</summary>
    public static string DescribeVersion(byte version) =>
        version is >= 0x20 and < 0x7f ? $"0 (a text line starting '{(char)version}': an agent from before the channel protocol)" : version.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
