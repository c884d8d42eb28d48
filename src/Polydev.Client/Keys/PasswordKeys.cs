using System.Globalization;
using System.Security.Cryptography;
using Polydev.Client.Terminal;
using Polydev.Contracts;
using Polydev.Crypto;

namespace Polydev.Client.Keys;

/// <summary>
/// The two keys a password yields: <c>authKey</c>, the only thing sent to the server, and <c>kek</c>, which wraps the
/// user key and never leaves this process. The master key they come from is zeroed as soon as both exist.
/// </summary>
internal sealed class PasswordKeys : IDisposable
{
    private PasswordKeys(KdfParameters parameters, byte[] authKey, byte[] kek)
    {
        Parameters = parameters;
        AuthKey = authKey;
        Kek = kek;
    }

    public KdfParameters Parameters { get; }

    public byte[] AuthKey { get; }

    public byte[] Kek { get; }

    public KdfDto Kdf => new(Parameters.Algorithm, Parameters.Iterations, Parameters.Salt);

    public static KdfParameters ToParameters(KdfDto kdf) => new(kdf.Algorithm, kdf.Iterations, kdf.Salt);

    /// <summary>
    /// Checks the parameters against this client's minimum (a server must not talk it into weak ones), then runs
    /// PBKDF2 with progress on stderr.
    /// </summary>
    public static async Task<PasswordKeys> DeriveAsync(string password, KdfParameters parameters)
    {
        EnsureAcceptable(parameters);
        var iterations = parameters.Iterations.ToString("N0", CultureInfo.InvariantCulture);
        byte[] masterKey;
        try
        {
            masterKey = await Progress.RunAsync($"Deriving keys ({iterations} iterations)", () => MasterKey.Derive(password, parameters));
        }
        catch (PlatformNotSupportedException e)
        {
            throw new CliException(e.Message);
        }
        catch (ArgumentException e) when (e.ParamName == "password")
        {
            throw new UsageException(e.Message);
        }

        try
        {
            return new PasswordKeys(parameters, MasterKey.DeriveAuthKey(masterKey), MasterKey.DeriveKek(masterKey));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(masterKey);
        }
    }

    /// <summary>The downgrade defence: parameters below this client's minimum end the verb before any work is done.</summary>
    public static void EnsureAcceptable(KdfParameters parameters)
    {
        try
        {
            parameters.EnsureAcceptable();
        }
        catch (WeakKdfParametersException e)
        {
            throw new CliException($"refusing the server's key-derivation parameters: {e.Message} The server may be misconfigured or compromised.");
        }
    }

    public void Dispose()
    {
        CryptographicOperations.ZeroMemory(AuthKey);
        CryptographicOperations.ZeroMemory(Kek);
    }
}
