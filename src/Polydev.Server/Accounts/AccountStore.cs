using System.Data.Common;
using Dapper;
using Polydev.Contracts.Accounts;
using Polydev.Server.Vault;

namespace Polydev.Server.Accounts;

/// <summary>
/// Reads and writes <c>users</c>. Knows SQL, not rules: the endpoints decide what is allowed. The other parts' rows of a
/// user are theirs to delete (<see cref="IUserDataOwner"/>). Every change to sessions or to the key-rotation flag tells
/// the <see cref="SessionCache"/> once it is committed (or failed: forgetting is always safe).
/// </summary>
public sealed class AccountStore(Database database, IEnumerable<IUserDataOwner> owners, SessionCache sessions)
{
    private const string Columns = "id, email, kdf_algorithm, kdf_iterations, kdf_salt, auth_key_hash, user_key, public_key, private_key, recovery_auth_hash, recovery_user_key, created_at, updated_at";

    private const string SelectColumns = Columns + ", key_rotation_required";

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
            $"SELECT {SelectColumns} FROM users WHERE email = @email", new { email }, cancellationToken: cancellationToken));
    }

    public async Task<UserRecord?> FindAsync(Guid userId, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<UserRecord>(new CommandDefinition(
            $"SELECT {SelectColumns} FROM users WHERE id = @id", new { id = userId.ToString("D") }, cancellationToken: cancellationToken));
    }

    /// <summary>
    /// Replaces the password-derived parts (KDF, authKey hash, wrapped userKey) and revokes
    /// every session but <paramref name="keepSessionId"/>, in one transaction.
    /// </summary>
    /// <param name="spendRecovery">
    /// For a reset with the recovery code: the code is removed (it never works twice) and the keys must be rotated
    /// before the vault takes writes again, since whoever held the code could open the user key.
    /// </param>
    public async Task ReplacePasswordAsync(
        Guid userId, string kdfAlgorithm, int kdfIterations, byte[] kdfSalt, string authKeyHash, byte[] userKey, Guid? keepSessionId, long now, CancellationToken cancellationToken,
        bool spendRecovery = false)
    {
        try
        {
            await ReplacePasswordCommittedAsync(userId, kdfAlgorithm, kdfIterations, kdfSalt, authKeyHash, userKey, keepSessionId, now, spendRecovery, cancellationToken);
        }
        finally
        {
            sessions.ForgetAll();
        }
    }

    private async Task ReplacePasswordCommittedAsync(
        Guid userId, string kdfAlgorithm, int kdfIterations, byte[] kdfSalt, string authKeyHash, byte[] userKey, Guid? keepSessionId, long now, bool spendRecovery, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var id = userId.ToString("D");
        await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE users SET kdf_algorithm = @kdfAlgorithm, kdf_iterations = @kdfIterations, kdf_salt = @kdfSalt, auth_key_hash = @authKeyHash, user_key = @userKey, updated_at = @now WHERE id = @id",
            new { id, kdfAlgorithm, kdfIterations, kdfSalt, authKeyHash, userKey, now },
            transaction,
            cancellationToken: cancellationToken));
        if (spendRecovery)
        {
            await connection.ExecuteAsync(new CommandDefinition(
                "UPDATE users SET recovery_auth_hash = NULL, recovery_user_key = NULL, key_rotation_required = 1 WHERE id = @id",
                new { id },
                transaction,
                cancellationToken: cancellationToken));
        }

        await RevokeSessionsAsync(connection, transaction, userId, keepSessionId, now, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
    }

    /// <summary>Revokes every session and API token of the user but <paramref name="keepSessionId"/>.</summary>
    internal static Task RevokeSessionsAsync(DbConnection connection, DbTransaction transaction, Guid userId, Guid? keepSessionId, long now, CancellationToken cancellationToken) =>
        connection.ExecuteAsync(new CommandDefinition(
            "UPDATE auth_sessions SET revoked_at = @now WHERE user_id = @id AND revoked_at IS NULL AND (@keep IS NULL OR id <> @keep)",
            new { id = userId.ToString("D"), now, keep = keepSessionId?.ToString("D") },
            transaction,
            cancellationToken: cancellationToken));

    /// <summary>
    /// Key rotation in one transaction: every vault envelope replaced (<see cref="VaultResealing"/>), the account's
    /// keys, recovery code and (with a password change) password replaced, the rotation no longer required, and every
    /// session but <paramref name="keepSessionId"/> revoked. The user row is locked first, so two rotations never
    /// interleave.
    /// </summary>
    /// <returns>Null when stored; else why the vault no longer matches the request (nothing was changed).</returns>
    public async Task<string?> RotateKeysAsync(Guid userId, RotatedKeys keys, RotateKeysRequest vault, Guid keepSessionId, long now, CancellationToken cancellationToken)
    {
        try
        {
            return await RotateKeysCommittedAsync(userId, keys, vault, keepSessionId, now, cancellationToken);
        }
        finally
        {
            sessions.ForgetAll();
        }
    }

    private async Task<string?> RotateKeysCommittedAsync(Guid userId, RotatedKeys keys, RotateKeysRequest vault, Guid keepSessionId, long now, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var id = userId.ToString("D");
        await connection.ExecuteAsync(new CommandDefinition(
            $"SELECT id FROM users WHERE id = @id{database.Dialect.ForUpdate}", new { id }, transaction, cancellationToken: cancellationToken));
        if (await VaultResealing.ReplaceAsync(connection, transaction, userId, vault, now, cancellationToken) is { } stale)
        {
            await transaction.RollbackAsync(cancellationToken);
            return stale;
        }

        await connection.ExecuteAsync(new CommandDefinition(
            """
            UPDATE users SET user_key = @UserKey, public_key = @PublicKey, private_key = @PrivateKey,
                recovery_auth_hash = @RecoveryAuthHash, recovery_user_key = @RecoveryUserKey,
                kdf_algorithm = COALESCE(@KdfAlgorithm, kdf_algorithm), kdf_iterations = COALESCE(@KdfIterations, kdf_iterations),
                kdf_salt = COALESCE(@KdfSalt, kdf_salt), auth_key_hash = COALESCE(@AuthKeyHash, auth_key_hash),
                key_rotation_required = 0, updated_at = @now
            WHERE id = @id
            """,
            new
            {
                id, now, keys.UserKey, keys.PublicKey, keys.PrivateKey, keys.RecoveryAuthHash, keys.RecoveryUserKey,
                keys.Password?.KdfAlgorithm, keys.Password?.KdfIterations, keys.Password?.KdfSalt, keys.Password?.AuthKeyHash,
            },
            transaction,
            cancellationToken: cancellationToken));
        await RevokeSessionsAsync(connection, transaction, userId, keepSessionId, now, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return null;
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
        try
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
        finally
        {
            sessions.ForgetAll();
        }
    }
}
