namespace Polydev.Crypto;

/// <summary>RFC 4648 base32 (alphabet A–Z, 2–7) without padding, for byte counts that are a multiple of five.</summary>
/// <remarks>Multiples of five bytes fill whole 8-character blocks, so there is no padding and no leftover bits to canonicalize.</remarks>
internal static class Base32
{
    private const string Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    private const int BlockBytes = 5;
    private const int BlockChars = 8;

    public static int GetEncodedLength(int byteCount) => byteCount / BlockBytes * BlockChars;

    public static string Encode(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length % BlockBytes != 0)
        {
            throw new ArgumentException($"Only whole {BlockBytes}-byte blocks are supported.", nameof(bytes));
        }

        return string.Create(GetEncodedLength(bytes.Length), bytes, static (chars, data) =>
        {
            int bitBuffer = 0, bitCount = 0, next = 0;
            foreach (byte b in data)
            {
                bitBuffer = (bitBuffer << 8) | b;
                bitCount += 8;
                while (bitCount >= 5)
                {
                    bitCount -= 5;
                    chars[next++] = Alphabet[(bitBuffer >> bitCount) & 0x1F];
                }
            }
        });
    }

    /// <summary>Decodes upper-case base32 into <paramref name="destination"/>, which must be exactly the decoded length.</summary>
    /// <returns><see langword="false"/> if a character is outside the alphabet.</returns>
    public static bool TryDecode(ReadOnlySpan<char> chars, Span<byte> destination)
    {
        if (chars.Length != GetEncodedLength(destination.Length) || destination.Length % BlockBytes != 0)
        {
            throw new ArgumentException("The destination does not match the encoded length.", nameof(destination));
        }

        int bitBuffer = 0, bitCount = 0, next = 0;
        foreach (char c in chars)
        {
            int value = Alphabet.IndexOf(c);
            if (value < 0)
            {
                return false;
            }

            bitBuffer = (bitBuffer << 5) | value;
            bitCount += 5;
            if (bitCount >= 8)
            {
                bitCount -= 8;
                destination[next++] = (byte)(bitBuffer >> bitCount);
            }
        }

        return true;
    }
}
