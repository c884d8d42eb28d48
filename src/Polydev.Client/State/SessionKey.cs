using System.Buffers.Text;
using System.Security.Cryptography;

namespace Polydev.Client.State;

/// <summary>
/// The key <c>polydev unlock</c> prints as <c>POLYDEV_SESSION</c> (Bitwarden's <c>BW_SESSION</c> model): 32 random
/// bytes, base64url so that it pastes into a shell without quoting. It is the only thing that opens the key cache.
/// </summary>
internal static class SessionKey
{
    public const string Variable = "POLYDEV_SESSION";
    public const int Length = 32;

    public static byte[] Generate() => RandomNumberGenerator.GetBytes(Length);

    public static string Encode(ReadOnlySpan<byte> key) => Base64Url.EncodeToString(key);

    /// <summary>The key from <c>POLYDEV_SESSION</c>; null when it is unset, empty or not a session key.</summary>
    public static byte[]? FromEnvironment()
    {
        if (Environment.GetEnvironmentVariable(Variable) is not { Length: > 0 } text)
        {
            return null;
        }

        try
        {
            var key = Base64Url.DecodeFromChars(text.Trim());
            return key.Length == Length ? key : null;
        }
        catch (FormatException)
        {
            return null;
        }
    }

    public static bool IsSet => Environment.GetEnvironmentVariable(Variable) is { Length: > 0 };
}
