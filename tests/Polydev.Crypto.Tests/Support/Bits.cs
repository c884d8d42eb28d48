namespace Polydev.Crypto.Tests.Support;

internal static class Bits
{
    /// <summary>A copy of <paramref name="bytes"/> with one bit inverted.</summary>
    public static byte[] Flip(ReadOnlySpan<byte> bytes, int bitIndex)
    {
        byte[] copy = bytes.ToArray();
        copy[bitIndex / 8] ^= (byte)(1 << (bitIndex % 8));
        return copy;
    }
}
