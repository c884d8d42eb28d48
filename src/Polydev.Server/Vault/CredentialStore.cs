using System.Data.Common;
using Dapper;
using Polydev.Server.Http;
using Polydev.Server.Storage;

namespace Polydev.Server.Vault;

/// <summary>Reads and writes <c>provider_credentials</c>, always scoped by <c>user_id</c>.</summary>
public sealed class CredentialStore(Database database) : IUserDataOwner
{
    private const string Columns = "id, user_id, provider, secret, revision, created_at, updated_at";

    public IReadOnlyList<string> Tables { get; } = ["provider_credentials"];

    public Task ForgetUserAsync(DbConnection connection, DbTransaction transaction, Guid userId, CancellationToken cancellationToken) =>
        UserData.DeleteByUserAsync(connection, transaction, userId, Tables, cancellationToken);

    public async Task<WriteOutcome> CreateAsync(CredentialRecord credential, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        try
        {
            await connection.ExecuteAsync(new CommandDefinition(
                $"INSERT INTO provider_credentials ({Columns}) VALUES (@Id, @UserId, @Provider, @Secret, @Revision, @CreatedAt, @UpdatedAt)",
                credential,
                cancellationToken: cancellationToken));
            return WriteOutcome.Done;
        }
        catch (Exception e) when (Database.IsUniqueViolation(e))
        {
            return WriteOutcome.AlreadyExists;
        }
    }

    public async Task<(IReadOnlyList<CredentialRecord> Items, string? NextCursor)> ListAsync(Guid userId, string? provider, PageRequest page, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var parameters = new DynamicParameters(KeysetPage.Parameters(page));
        parameters.Add("userId", userId.ToString("D"));
        parameters.Add("provider", provider, System.Data.DbType.String);
        var rows = await connection.QueryAsync<CredentialRecord>(new CommandDefinition(
            $"SELECT {Columns} FROM provider_credentials WHERE user_id = @userId AND (@provider IS NULL OR provider = @provider) AND {KeysetPage.After} ORDER BY created_at, id LIMIT @take",
            parameters,
            cancellationToken: cancellationToken));
        return KeysetPage.Trim(rows.AsList(), page, c => (c.CreatedAt, c.Id));
    }

    public async Task<CredentialRecord?> GetAsync(Guid userId, Guid id, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return await FindAsync(connection, userId, id, cancellationToken);
    }

    public async Task<(WriteOutcome Outcome, CredentialRecord? Credential)> UpdateAsync(Guid userId, Guid id, byte[] secret, long expectedRevision, long now, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var changed = await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE provider_credentials SET secret = @secret, revision = revision + 1, updated_at = @now WHERE id = @id AND user_id = @userId AND revision = @expectedRevision",
            new { secret, now, id = id.ToString("D"), userId = userId.ToString("D"), expectedRevision },
            cancellationToken: cancellationToken));
        var credential = await FindAsync(connection, userId, id, cancellationToken);
        return WriteOutcomes.AfterUpdate(changed, credential);
    }

    public async Task<bool> DeleteAsync(Guid userId, Guid id, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var deleted = await connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM provider_credentials WHERE id = @id AND user_id = @userId",
            new { id = id.ToString("D"), userId = userId.ToString("D") },
            cancellationToken: cancellationToken));
        return deleted == 1;
    }

    private static Task<CredentialRecord?> FindAsync(DbConnection connection, Guid userId, Guid id, CancellationToken cancellationToken) =>
        connection.QuerySingleOrDefaultAsync<CredentialRecord>(new CommandDefinition(
            $"SELECT {Columns} FROM provider_credentials WHERE id = @id AND user_id = @userId",
            new { id = id.ToString("D"), userId = userId.ToString("D") },
            cancellationToken: cancellationToken));
}
