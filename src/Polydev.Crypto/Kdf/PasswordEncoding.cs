using System.Text;

namespace Polydev.Crypto;

/// <summary>
/// Turns a password into the exact bytes PBKDF2 consumes: Unicode NFC, then UTF-8. NFC makes "é" typed as one
/// code point and "é" typed as "e" + combining accent derive the same key on every device and keyboard.
/// </summary>
internal static class PasswordEncoding
{
    // With InvariantGlobalization .NET has no normalization data: string.Normalize silently returns its input and
    // IsNormalized answers true. A decomposed password would then derive a different key here than in the browser,
    // locking the user out with no error. Probe once, and refuse rather than derive a key that cannot unlock.
    private static readonly bool NormalizationWorks =
        "e\u0301".Normalize(NormalizationForm.FormC) == "\u00E9";

    /// <summary>Returns UTF-8(NFC(<paramref name="password"/>)). The caller owns and should zero the result.</summary>
    /// <exception cref="PlatformNotSupportedException">The password is not ASCII and this process cannot normalize Unicode.</exception>
    /// <exception cref="ArgumentException">The password contains an unpaired UTF-16 surrogate.</exception>
    public static byte[] ToNfcUtf8(string password) => ToNfcUtf8(password, NormalizationWorks);

    /// <summary>The same as <see cref="ToNfcUtf8(string)"/>, with the platform capability passed in so tests can cover both cases.</summary>
    internal static byte[] ToNfcUtf8(string password, bool normalizationAvailable)
    {
        ArgumentNullException.ThrowIfNull(password);

        // ASCII text is already in NFC, so the common case needs no normalization support at all.
        if (!Ascii.IsValid(password))
        {
            if (!normalizationAvailable)
            {
                throw new PlatformNotSupportedException(
                    "This process runs in globalization-invariant mode, so it cannot normalize a non-ASCII password to " +
                    "Unicode NFC the way other Polydev clients do. Run it with InvariantGlobalization disabled.");
            }

            try
            {
                password = password.Normalize(NormalizationForm.FormC);
            }
            catch (ArgumentException)
            {
                // .NET's message names the offending index; ours names nothing about the password.
                throw new ArgumentException("The password is not valid Unicode text (it contains an unpaired surrogate).", nameof(password));
            }
        }

        return Encoding.UTF8.GetBytes(password);
    }
}
