using Dapper;

namespace Polydev.Server.Accounts;

/// <summary>
/// Reads and writes <c>users</c>. Knows SQL, not rules: the endpoints decide what is allowed. The other parts' rows of a
/// user are theirs to delete (<see cref="IUserDataOwner"/>).
/// </summary>
public sealed class AccountStore(Database database, IEnumerable<IUserDataOwner> owners)
{
    private const string Columns = "id, email, kdf_algorithm, kdf_iterations, kdf_salt, auth_key_hash, user_key, public_key, private_key, recovery_auth_hash, recovery_user_key, created_at, updated_at";

    /// <summary>Inserts the account; false if the id or e-mail is taken.</summary>
    public async Task<bool> TryCreateAsync(UserRecord user, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        try
        {
            await connection.ExecuteAsync(new CommandDefinition(
                $"INSERT INTO users ({Columns}) VALUES (@Id, @Email, @KdfAlgorithm, @KdfIterations, @KdfSalt, @AuthKeyHash, @UserKey, @PublicKey, @PrivateKey, @RecoveryAuthHash, @RecoveryUserKey, @CreatedAt, @UpdatedAt)",
                user,
                cancellationToken: cancellationToken));
            return true;
        }
        catch (Exception e) when (Database.IsUniqueViolation(e))
        {
            return false;
        }
    }

    public async Task<UserRecord?> FindByEmailAsync(string email, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<UserRecord>(new CommandDefinition(
            $"SELECT {Columns} FROM users WHERE email = @email", new { email }, cancellationToken: cancellationToken));
    }

    public async Task<UserRecord?> FindAsync(Guid userId, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<UserRecord>(new CommandDefinition(
            $"SELECT {Columns} FROM users WHERE id = @id", new { id = userId.ToString("D") }, cancellationToken: cancellationToken));
    }

    /// <summary>
    /// Replaces the password-derived parts (KDF, authKey hash, wrapped userKey) and revokes
    /// every session but <paramref name="keepSessionId"/>, in one transaction.
    /// </summary>
    /// <param name="recovery">For a reset with the recovery code: the new recovery code's hash and wrapped key, or both
    /// null to leave the account without one; the used code is replaced either way. Null (the default) keeps it.</param>
    public async Task ReplacePasswordAsync(
        Guid userId, string kdfAlgorithm, int kdfIterations, byte[] kdfSalt, string authKeyHash, byte[] userKey, Guid? keepSessionId, long now, CancellationToken cancellationToken,
        (string? AuthHash, byte[]? UserKey)? recovery = null)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var id = userId.ToString("D");
        await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE users SET kdf_algorithm = @kdfAlgorithm, kdf_iterations = @kdfIterations, kdf_salt = @kdfSalt, auth_key_hash = @authKeyHash, user_key = @userKey, updated_at = @now WHERE id = @id",
            new { id, kdfAlgorithm, kdfIterations, kdfSalt, authKeyHash, userKey, now },
            transaction,
            cancellationToken: cancellationToken));
        if (recovery is { } replaced)
        {
            await connection.ExecuteAsync(new CommandDefinition(
                "UPDATE users SET recovery_auth_hash = @authHash, recovery_user_key = @recoveryUserKey WHERE id = @id",
                new { id, authHash = replaced.AuthHash, recoveryUserKey = replaced.UserKey },
                transaction,
                cancellationToken: cancellationToken));
        }
        await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE auth_sessions SET revoked_at = @now WHERE user_id = @id AND revoked_at IS NULL AND (@keep IS NULL OR id <> @keep)",
            new { id, now, keep = keepSessionId?.ToString("D") },
            transaction,
            cancellationToken: cancellationToken));
        await transaction.CommitAsync(cancellationToken);
    }

    public async Task SetRecoveryAsync(Guid userId, string recoveryAuthHash, byte[] recoveryUserKey, long now, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE users SET recovery_auth_hash = @recoveryAuthHash, recovery_user_key = @recoveryUserKey, updated_at = @now WHERE id = @id",
            new { id = userId.ToString("D"), recoveryAuthHash, recoveryUserKey, now },
            cancellationToken: cancellationToken));
    }

    /// <summary>
    /// Removes the user and every row that belongs to them, in one transaction: each part that keeps per-user data
    /// forgets the user (in registration order), then the <c>users</c> row goes.
    /// </summary>
    public async Task DeleteAsync(Guid userId, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        foreach (var owner in owners)
        {
            await owner.ForgetUserAsync(connection, transaction, userId, cancellationToken);
        }

        await connection.ExecuteAsync(new CommandDefinition("DELETE FROM users WHERE id = @id", new { id = userId.ToString("D") }, transaction, cancellationToken: cancellationToken));
        await transaction.CommitAsync(cancellationToken);
    }
}
