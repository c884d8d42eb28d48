using System.Buffers.Binary;
using System.Text;

namespace Polydev.Agent.Protocol;

/// <summary>
/// The handshake, the agent's first frame (<see cref="AgentFrameType.Hello"/>, whose header carries the protocol
/// version): <c>heartbeat interval ms (4, big-endian) | key length (1) | public key | agent version length (1) |
/// agent version (UTF-8)</c>.
/// </summary>
/// <param name="PublicKey">The agent's one-job P-256 public key: the 65-byte uncompressed point. The private key never leaves the agent's memory.</param>
/// <param name="AgentVersion">The agent build, for logs and error messages (at most 255 bytes of UTF-8).</param>
/// <param name="HeartbeatInterval">How often the agent sends <see cref="AgentFrameType.Heartbeat"/>, in whole milliseconds.</param>
public sealed record AgentHello(byte[] PublicKey, string AgentVersion, TimeSpan HeartbeatInterval)
{
    /// <summary>Length of an uncompressed P-256 point.</summary>
    public const int PublicKeyLength = 65;

    /// <summary>The payload bytes.</summary>
    public byte[] Encode()
    {
        byte[] version = Encoding.UTF8.GetBytes(AgentVersion);
        if (version.Length > byte.MaxValue)
        {
            version = version[..byte.MaxValue];
        }

        var payload = new byte[4 + 1 + PublicKey.Length + 1 + version.Length];
        BinaryPrimitives.WriteUInt32BigEndian(payload, checked((uint)HeartbeatInterval.TotalMilliseconds));
        payload[4] = checked((byte)PublicKey.Length);
        PublicKey.CopyTo(payload, 5);
        payload[5 + PublicKey.Length] = (byte)version.Length;
        version.CopyTo(payload, 6 + PublicKey.Length);
        return payload;
    }

    /// <summary>Reads a payload and checks the key is an uncompressed P-256 point and the interval is usable.</summary>
    /// <exception cref="AgentProtocolException">The payload is malformed.</exception>
    public static AgentHello Decode(ReadOnlySpan<byte> payload)
    {
        if (payload.Length < 6)
        {
            throw Malformed($"it is {payload.Length} bytes");
        }

        uint interval = BinaryPrimitives.ReadUInt32BigEndian(payload);
        int keyLength = payload[4];
        if (keyLength != PublicKeyLength || payload.Length < 6 + keyLength || payload[5] != 0x04)
        {
            throw Malformed($"its public key is not a {PublicKeyLength}-byte uncompressed P-256 point");
        }

        byte[] key = payload.Slice(5, keyLength).ToArray();
        int versionLength = payload[5 + keyLength];
        if (payload.Length != 6 + keyLength + versionLength)
        {
            throw Malformed("its length does not match its fields");
        }

        if (interval is 0 or > 3_600_000)
        {
            throw Malformed($"its heartbeat interval {interval} ms is not between 1 ms and one hour");
        }

        string version = Encoding.UTF8.GetString(payload.Slice(6 + keyLength, versionLength));
        return new AgentHello(key, version, TimeSpan.FromMilliseconds(interval));
    }

    private static AgentProtocolException Malformed(string why) => new(AgentProtocolFailure.Malformed, $"The agent's hello is malformed: {why}.");
}
