using System.Security.Cryptography;
using System.Text;
using Dapper;

namespace Polydev.Server.Accounts;

/// <summary>
/// Answers pre-login for e-mails that have no account with parameters that look real and stay
/// the same on every ask (an HMAC of the e-mail under a per-installation secret), so pre-login
/// cannot be used to learn who has an account.
/// </summary>
public sealed class PreloginSalts(Database database, TimeProvider clock)
{
    private const string SecretName = "prelogin-salt-key";
    private byte[]? _key;

    public async Task InitializeAsync(CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var existing = await connection.QuerySingleOrDefaultAsync<byte[]>(new CommandDefinition(
            "SELECT value FROM server_secrets WHERE name = @SecretName", new { SecretName }, cancellationToken: cancellationToken));
        if (existing is null)
        {
            try
            {
                await connection.ExecuteAsync(new CommandDefinition(
                    "INSERT INTO server_secrets (name, value, created_at) VALUES (@SecretName, @value, @now)",
                    new { SecretName, value = RandomNumberGenerator.GetBytes(32), now = UnixTime.Now(clock) },
                    cancellationToken: cancellationToken));
            }
            catch (Exception e) when (Database.IsUniqueViolation(e))
            {
                // Another server instance won the race; use its key.
            }

            existing = await connection.QuerySingleAsync<byte[]>(new CommandDefinition(
                "SELECT value FROM server_secrets WHERE name = @SecretName", new { SecretName }, cancellationToken: cancellationToken));
        }

        _key = existing;
    }

    public byte[] DecoySalt(string normalizedEmail)
    {
        var key = _key ?? throw new InvalidOperationException("PreloginSalts is used before InitializeAsync.");
        return HMACSHA256.HashData(key, Encoding.UTF8.GetBytes("prelogin|" + normalizedEmail))[..16];
    }
}
