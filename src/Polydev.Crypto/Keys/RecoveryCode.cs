using System.Security.Cryptography;

namespace Polydev.Crypto;

/// <summary>
/// An optional recovery code: 20 random bytes (160 bits) the user writes down at sign-up. It wraps the user key a
/// second time (envelope kind <see cref="EnvelopeKinds.UserRecoveryKey"/>), so a forgotten password does not mean
/// lost data, and it proves itself to the server through its own auth key.
/// </summary>
/// <remarks>
/// Shown as RFC 4648 base32 in 8 groups of 4, e.g. <c>ABCD-EFGH-IJKL-MNOP-QRST-UVWX-YZ23-4567</c>.
/// The code is already uniformly random, so unlike a password it needs HKDF only, not a slow KDF.
/// </remarks>
public sealed class RecoveryCode
{
    /// <summary>The number of random bytes in a recovery code.</summary>
    public const int ByteLength = 20;

    internal const string WrappingKeyInfo = "polydev/recovery-kek";
    internal const string AuthKeyInfo = "polydev/recovery-auth";

    private const int GroupLength = 4;
    private const char GroupSeparator = '-';
    private static readonly int CharLength = Base32.GetEncodedLength(ByteLength);

    private readonly byte[] _bytes;

    private RecoveryCode(byte[] bytes) => _bytes = bytes;

    /// <summary>Generates a new recovery code from the system CSPRNG.</summary>
    public static RecoveryCode Generate() => new(RandomNumberGenerator.GetBytes(ByteLength));

    /// <summary>Wraps known bytes as a recovery code. For test vectors.</summary>
    internal static RecoveryCode FromBytes(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length != ByteLength)
        {
            throw new ArgumentException($"A recovery code is {ByteLength} bytes.", nameof(bytes));
        }

        return new RecoveryCode(bytes.ToArray());
    }

    /// <summary>
    /// Reads a recovery code as a user typed it: letters in either case, with or without the dashes, with any spaces.
    /// </summary>
    /// <param name="text">The code as entered.</param>
    /// <exception cref="ArgumentNullException"><paramref name="text"/> is <see langword="null"/>.</exception>
    /// <exception cref="FormatException">The text is not a recovery code. The message never repeats the text.</exception>
    public static RecoveryCode Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);

        Span<char> chars = stackalloc char[CharLength];
        int count = 0;
        foreach (char c in text)
        {
            if (c == GroupSeparator || char.IsWhiteSpace(c))
            {
                continue;
            }

            if (count < CharLength)
            {
                // Only ASCII is folded: other scripts' letters must not turn into base32 characters.
                chars[count] = char.IsAsciiLetterLower(c) ? char.ToUpperInvariant(c) : c;
            }

            count++;
        }

        if (count != CharLength)
        {
            throw new FormatException(
                $"A recovery code has {CharLength} letters and digits (8 groups of 4); the text entered has {count}.");
        }

        var bytes = new byte[ByteLength];
        if (!Base32.TryDecode(chars, bytes))
        {
            throw new FormatException(
                "A recovery code contains only the letters A-Z and the digits 2-7 (0, 1, 8 and 9 never appear).");
        }

        chars.Clear();
        return new RecoveryCode(bytes);
    }

    /// <summary>
    /// The code for showing to the user: base32 of the 20 bytes (32 characters, A-Z and 2-7) in 8 groups of 4
    /// joined by '-'. This is secret: it unlocks the account's data. Never log it.
    /// </summary>
    public override string ToString()
    {
        string encoded = Base32.Encode(_bytes);
        return string.Join(GroupSeparator, encoded.Chunk(GroupLength).Select(group => new string(group)));
    }

    /// <summary>Derives the key that wraps the user key: HKDF-SHA256(code bytes, info "polydev/recovery-kek", 32).</summary>
    public byte[] DeriveWrappingKey() => HkdfSha256.DeriveKey(_bytes, WrappingKeyInfo);

    /// <summary>
    /// Derives the key that proves the code to the server during recovery: HKDF-SHA256(code bytes, info
    /// "polydev/recovery-auth", 32). The server keeps only a slow hash of it.
    /// </summary>
    public byte[] DeriveAuthKey() => HkdfSha256.DeriveKey(_bytes, AuthKeyInfo);
}
