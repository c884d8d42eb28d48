using System.Security.Cryptography;

namespace Polydev.Crypto;

/// <summary>
/// How a password is stretched into the master key: the algorithm, its work factor and the salt.
/// The server stores these per account and hands them to any client that signs in.
/// </summary>
/// <param name="Algorithm">The KDF name; only <see cref="Pbkdf2Sha256"/> is defined.</param>
/// <param name="Iterations">The PBKDF2 iteration count.</param>
/// <param name="Salt">The per-account random salt (not secret).</param>
/// <remarks>
/// The parameters come from the server, so a compromised server could hand out weak ones to make a
/// captured <c>authKey</c> cheap to brute-force. <see cref="EnsureAcceptable"/> is the client's
/// refusal to go below its own minimum, and <see cref="MasterKey.Derive"/> always calls it first.
/// </remarks>
public sealed record KdfParameters(string Algorithm, int Iterations, byte[] Salt)
{
    /// <summary>The name of PBKDF2 with HMAC-SHA256, the only supported algorithm.</summary>
    public const string Pbkdf2Sha256 = "PBKDF2-SHA256";

    /// <summary>The fewest iterations a client accepts (downgrade defence; OWASP 2023 figure for PBKDF2-HMAC-SHA256).</summary>
    public const int MinimumIterations = 600_000;

    /// <summary>
    /// The most iterations a client accepts: a server could otherwise make a client spin for hours on a count near
    /// int.MaxValue. Ten million is about 17 times the default, seconds on a phone; the server refuses more at sign-up.
    /// </summary>
    public const int MaximumIterations = 10_000_000;

    /// <summary>The iteration count used for new accounts.</summary>
    public const int DefaultIterations = 600_000;

    /// <summary>The length of a generated salt in bytes, and the shortest salt accepted.</summary>
    public const int SaltLength = 16;

    /// <summary>The longest salt accepted, in bytes; anything longer is not something a Polydev client produced.</summary>
    internal const int MaximumSaltLength = 64;

    /// <summary>Creates parameters for a new account: PBKDF2-SHA256, <see cref="DefaultIterations"/>, a fresh random salt.</summary>
    public static KdfParameters CreateDefault() =>
        new(Pbkdf2Sha256, DefaultIterations, RandomNumberGenerator.GetBytes(SaltLength));

    /// <summary>Refuses parameters weaker than this client's minimum, before any work is done with them.</summary>
    /// <exception cref="WeakKdfParametersException">
    /// The algorithm is unknown, the iteration count is below <see cref="MinimumIterations"/> or above
    /// <see cref="MaximumIterations"/>, or the salt is
    /// shorter than <see cref="SaltLength"/> or longer than 64 bytes.
    /// </exception>
    public void EnsureAcceptable()
    {
        if (!string.Equals(Algorithm, Pbkdf2Sha256, StringComparison.Ordinal))
        {
            // The algorithm name is not echoed: it is server-controlled text and could be anything.
            throw new WeakKdfParametersException(
                $"The server asked for an unsupported key-derivation algorithm; this client supports only {Pbkdf2Sha256}.");
        }

        if (Iterations < MinimumIterations)
        {
            throw new WeakKdfParametersException(
                $"The server asked for {Iterations} PBKDF2 iterations; this client requires at least {MinimumIterations}.");
        }

        if (Iterations > MaximumIterations)
        {
            throw new WeakKdfParametersException(
                $"The server asked for {Iterations} PBKDF2 iterations; this client does at most {MaximumIterations}.");
        }

        int saltLength = Salt?.Length ?? 0;
        if (saltLength < SaltLength)
        {
            throw new WeakKdfParametersException(
                $"The server sent a KDF salt of {saltLength} bytes; this client requires at least {SaltLength}.");
        }

        if (saltLength > MaximumSaltLength)
        {
            throw new WeakKdfParametersException(
                $"The server sent a KDF salt of {saltLength} bytes; this client accepts at most {MaximumSaltLength}.");
        }
    }
}
