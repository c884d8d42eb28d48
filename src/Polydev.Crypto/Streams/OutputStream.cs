using System.Buffers.Binary;
using System.Text;

namespace Polydev.Crypto;

/// <summary>
/// The output stream format: a sandbox agent's events, each encrypted under the job's output key as one chunk
/// (AES-256-GCM with the sequence number and a final-chunk flag in the nonce and the associated data), framed with
/// a 4-byte big-endian length. A relay with no key can split frames and read their sequence numbers and final flag
/// (<see cref="ReadFrameAsync"/>); only the output key's holder can open them (<see cref="OutputStreamDecryptor"/>).
/// See docs/crypto.md, "Output stream".
/// </summary>
/// <remarks>
/// Frame: <c>version (1) | flags (1) | sequence (8, big-endian) | ciphertext (n) | tag (16)</c>, preceded on the
/// wire by its length (4 bytes, big-endian). Nonce: <c>sequence (8) | 00 00 00 | final (1)</c>. Associated data:
/// <c>UTF8("polydev/output-stream/v1") | version | flags | sequence</c>.
/// </remarks>
public static class OutputStream
{
    /// <summary>The only output-stream format version.</summary>
    public const byte Version1 = 0x01;

    /// <summary>Flag bit set on the last chunk of a stream.</summary>
    public const byte FinalFlag = 0x01;

    /// <summary>Length of the output key.</summary>
    public const int KeyLength = 32;

    /// <summary>Length of the clear header: version, flags, sequence.</summary>
    public const int HeaderLength = 10;

    /// <summary>Length of the AES-GCM tag.</summary>
    public const int TagLength = 16;

    /// <summary>Length of the big-endian length prefix in front of every frame.</summary>
    public const int LengthPrefixLength = 4;

    /// <summary>Largest plaintext one chunk may carry (1 MiB); longer frames are refused before reading them.</summary>
    public const int MaxPlaintextLength = 1 << 20;

    /// <summary>Shortest frame: header and tag around an empty plaintext.</summary>
    public const int MinFrameLength = HeaderLength + TagLength;

    /// <summary>Longest frame.</summary>
    public const int MaxFrameLength = MinFrameLength + MaxPlaintextLength;

    internal const int NonceLength = 12;

    private static readonly byte[] AadLabel = Encoding.ASCII.GetBytes("polydev/output-stream/v1");

    /// <summary>Reads the clear header of a frame (no key needed) and checks its shape.</summary>
    /// <param name="frame">One frame, without its length prefix.</param>
    /// <param name="sequence">The chunk's sequence number.</param>
    /// <param name="isFinal">Whether the chunk is the stream's last.</param>
    /// <param name="error">Why the frame is malformed, or null.</param>
    /// <returns>Whether the frame's shape is valid.</returns>
    public static bool TryReadHeader(ReadOnlySpan<byte> frame, out long sequence, out bool isFinal, out string? error)
    {
        sequence = 0;
        isFinal = false;
        if (frame.Length < MinFrameLength || frame.Length > MaxFrameLength)
        {
            error = $"Output frame is {frame.Length} bytes; it must be between {MinFrameLength} and {MaxFrameLength}.";
            return false;
        }

        if (frame[0] != Version1)
        {
            error = $"Output stream version {frame[0]} is not supported (expected {Version1}).";
            return false;
        }

        if ((frame[1] & ~FinalFlag) != 0)
        {
            error = $"Output frame has unknown flags 0x{frame[1]:x2}.";
            return false;
        }

        ulong raw = BinaryPrimitives.ReadUInt64BigEndian(frame[2..HeaderLength]);
        if (raw > long.MaxValue)
        {
            error = "Output frame sequence number is out of range.";
            return false;
        }

        sequence = (long)raw;
        isFinal = (frame[1] & FinalFlag) != 0;
        error = null;
        return true;
    }

    /// <summary>
    /// Reads one length-prefixed frame from <paramref name="stream"/> without opening it: what a relay does.
    /// </summary>
    /// <returns>The frame, or null when the stream ends cleanly at a frame boundary.</returns>
    /// <exception cref="OutputStreamException">The stream ends inside a frame, or the frame is malformed.</exception>
    public static async ValueTask<OutputStreamFrame?> ReadFrameAsync(Stream stream, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(stream);
        var prefix = new byte[LengthPrefixLength];
        int read = await ReadAtLeastAsync(stream, prefix, cancellationToken).ConfigureAwait(false);
        if (read == 0)
        {
            return null;
        }

        if (read < LengthPrefixLength)
        {
            throw new OutputStreamException(OutputStreamFailure.Truncated, "The output stream ended inside a frame's length prefix.");
        }

        uint length = BinaryPrimitives.ReadUInt32BigEndian(prefix);
        if (length < MinFrameLength || length > MaxFrameLength)
        {
            throw new OutputStreamException(
                OutputStreamFailure.Malformed,
                $"Output frame length {length} is out of range ({MinFrameLength} to {MaxFrameLength}).");
        }

        var frame = new byte[length];
        if (await ReadAtLeastAsync(stream, frame, cancellationToken).ConfigureAwait(false) < frame.Length)
        {
            throw new OutputStreamException(OutputStreamFailure.Truncated, "The output stream ended inside a frame.");
        }

        if (!TryReadHeader(frame, out long sequence, out bool isFinal, out string? error))
        {
            throw new OutputStreamException(OutputStreamFailure.Malformed, error!);
        }

        return new OutputStreamFrame(frame, sequence, isFinal);
    }

    /// <summary>Writes one frame with its length prefix.</summary>
    public static async ValueTask WriteFrameAsync(Stream stream, ReadOnlyMemory<byte> frame, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(stream);
        await stream.WriteAsync(Frame(frame.Span), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The frame with its 4-byte big-endian length prefix in front.</summary>
    public static byte[] Frame(ReadOnlySpan<byte> frame)
    {
        var output = new byte[LengthPrefixLength + frame.Length];
        BinaryPrimitives.WriteUInt32BigEndian(output, (uint)frame.Length);
        frame.CopyTo(output.AsSpan(LengthPrefixLength));
        return output;
    }

    internal static void WriteNonce(Span<byte> nonce, long sequence, bool isFinal)
    {
        nonce.Clear();
        BinaryPrimitives.WriteUInt64BigEndian(nonce, (ulong)sequence);
        nonce[NonceLength - 1] = isFinal ? (byte)1 : (byte)0;
    }

    internal static byte[] AssociatedData(ReadOnlySpan<byte> header)
    {
        var aad = new byte[AadLabel.Length + HeaderLength];
        AadLabel.CopyTo(aad, 0);
        header[..HeaderLength].CopyTo(aad.AsSpan(AadLabel.Length));
        return aad;
    }

    internal static void WriteHeader(Span<byte> header, long sequence, bool isFinal)
    {
        header[0] = Version1;
        header[1] = isFinal ? FinalFlag : (byte)0;
        BinaryPrimitives.WriteUInt64BigEndian(header[2..HeaderLength], (ulong)sequence);
    }

    internal static void CheckKey(ReadOnlySpan<byte> key)
    {
        if (key.Length != KeyLength)
        {
            throw new ArgumentException($"The output key must be {KeyLength} bytes.", nameof(key));
        }
    }

    private static async ValueTask<int> ReadAtLeastAsync(Stream stream, byte[] buffer, CancellationToken cancellationToken) =>
        await stream.ReadAtLeastAsync(buffer, buffer.Length, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
}

/// <summary>One frame as a relay sees it: the bytes (without length prefix) and the clear header fields.</summary>
/// <param name="Bytes">The frame, without its length prefix.</param>
/// <param name="Sequence">The chunk's sequence number.</param>
/// <param name="IsFinal">Whether this is the stream's last chunk.</param>
public sealed record OutputStreamFrame(byte[] Bytes, long Sequence, bool IsFinal);

/// <summary>One opened chunk.</summary>
/// <param name="Sequence">The chunk's sequence number.</param>
/// <param name="IsFinal">Whether this is the stream's last chunk.</param>
/// <param name="Plaintext">The decrypted bytes.</param>
public sealed record OutputChunk(long Sequence, bool IsFinal, byte[] Plaintext);
