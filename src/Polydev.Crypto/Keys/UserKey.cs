using System.Security.Cryptography;

namespace Polydev.Crypto;

/// <summary>
/// The user key: a random 256-bit AES key that encrypts the user's data (chats, credentials, the private key).
/// It is stored on the server only inside envelopes (under the KEK, and optionally under a recovery code), so a
/// password change re-wraps it and no data needs re-encrypting.
/// </summary>
public static class UserKey
{
    /// <summary>The length of a user key in bytes.</summary>
    public const int Length = 32;

    /// <summary>Generates a new user key from the system CSPRNG.</summary>
    public static byte[] Generate() => RandomNumberGenerator.GetBytes(Length);
}
