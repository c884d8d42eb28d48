using System.Security.Cryptography;
using System.Text;

namespace Polydev.Server.Login.Turn;

/// <summary>
/// The secret coturn shares with Polydev (<c>static-auth-secret</c>): the configured one, or 32 random bytes made at
/// first start and kept hex-encoded in <see cref="TurnFiles.SecretFile"/> (0600), so credentials stay valid across
/// restarts. Its text goes into turnserver.conf and nowhere else: it prints as <c>[redacted]</c>.
/// </summary>
public sealed class TurnSecret
{
    private readonly string _value;

    private TurnSecret(string value) => _value = value;

    /// <summary>coturn keys its HMAC with the secret's bytes as written in its config.</summary>
    internal byte[] Key => Encoding.UTF8.GetBytes(_value);

    /// <summary>For <see cref="TurnServerConfig"/> alone.</summary>
    internal string Text => _value;

    /// <summary><c>Login:Turn:Secret</c> when set, else the generated one under <paramref name="files"/> (made when missing).</summary>
    public static TurnSecret Resolve(TurnOptions options, TurnFiles files) =>
        string.IsNullOrEmpty(options.Secret) ? LoadOrCreate(files) : new TurnSecret(options.Secret);

    /// <summary>The secret in a file an operator keeps (its first line; a trailing newline is not part of it).</summary>
    public static TurnSecret FromFile(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            var why = e switch
            {
                FileNotFoundException or DirectoryNotFoundException => "it does not exist",
                UnauthorizedAccessException => "permission denied",
                _ => e.Message,
            };
            throw new TurnConfigurationException($"cannot read the secret file {path}: {why}.");
        }

        var secret = text.Split('\n')[0].TrimEnd('\r', ' ', '\t');
        TurnOptionsValidation.ValidateSecret(secret, $"The secret in {path}");
        return new TurnSecret(secret);
    }

    public override string ToString() => SecretRedactor.Redacted;

    private static TurnSecret LoadOrCreate(TurnFiles files)
    {
        files.EnsureDirectory();
        var generated = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
        try
        {
            using var stream = TurnFiles.CreatePrivate(files.SecretFile);
            stream.Write(Encoding.ASCII.GetBytes(generated + "\n"));
            return new TurnSecret(generated);
        }
        catch (IOException) when (File.Exists(files.SecretFile))
        {
            // Made by an earlier start (or concurrently, by `polydev turn config`): the one to keep.
        }

        TurnFiles.Narrow(files.SecretFile, TurnFiles.PrivateFile);
        return FromFile(files.SecretFile);
    }
}
