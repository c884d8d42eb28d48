using System.Buffers.Binary;

namespace Polydev.Crypto;

/// <summary>Appends byte strings to a fixed buffer: the <c>a || b || c</c> concatenations that RFC 9180 is written in.</summary>
internal ref struct ByteWriter
{
    private Span<byte> _remaining;

    public ByteWriter(Span<byte> destination) => _remaining = destination;

    /// <summary>Whether every byte of the buffer has been written.</summary>
    public readonly bool IsFull => _remaining.IsEmpty;

    public void Write(ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(_remaining);
        _remaining = _remaining[bytes.Length..];
    }

    public void Write(byte value)
    {
        _remaining[0] = value;
        _remaining = _remaining[1..];
    }

    /// <summary>Writes RFC 9180's I2OSP(value, 2).</summary>
    public void WriteUInt16BigEndian(ushort value)
    {
        BinaryPrimitives.WriteUInt16BigEndian(_remaining, value);
        _remaining = _remaining[sizeof(ushort)..];
    }
}
