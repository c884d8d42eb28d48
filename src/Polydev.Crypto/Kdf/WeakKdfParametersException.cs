using System.Security.Cryptography;

namespace Polydev.Crypto;

/// <summary>
/// Thrown when key-derivation parameters are weaker than this client accepts (a possible downgrade attack),
/// or are not parameters this client understands.
/// </summary>
public sealed class WeakKdfParametersException : CryptographicException
{
    /// <summary>Creates the exception with a generic message.</summary>
    public WeakKdfParametersException()
        : base("The key-derivation parameters are weaker than this client accepts.")
    {
    }

    /// <summary>Creates the exception with a message saying which parameter is too weak and what the minimum is.</summary>
    /// <param name="message">A description that names no secret.</param>
    public WeakKdfParametersException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and the exception that caused it.</summary>
    /// <param name="message">A description that names no secret.</param>
    /// <param name="innerException">The underlying failure.</param>
    public WeakKdfParametersException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
