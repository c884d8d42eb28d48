using System.Data.Common;

namespace Polydev.Server.Vault;

/// <summary>Reads and writes <c>provider_credentials</c>, always scoped by <c>user_id</c>.</summary>
public sealed class CredentialStore(Database database) : IUserDataOwner
{
    private const string Columns = "id, user_id, provider, secret, revision, created_at, updated_at";

    private readonly VaultTable<CredentialRecord> _credentials = new(database, "provider_credentials", Columns, "secret");

    public IReadOnlyList<string> Tables { get; } = ["provider_credentials"];

    public Task ForgetUserAsync(DbConnection connection, DbTransaction transaction, Guid userId, CancellationToken cancellationToken) =>
        UserData.DeleteByUserAsync(connection, transaction, userId, Tables, cancellationToken);

    public Task<WriteOutcome> CreateAsync(CredentialRecord credential, CancellationToken cancellationToken) =>
        _credentials.InsertAsync($"INSERT INTO provider_credentials ({Columns}) VALUES (@Id, @UserId, @Provider, @Secret, @Revision, @CreatedAt, @UpdatedAt)", credential, cancellationToken);

    /// <summary>The user's credentials, oldest first; of one provider when <paramref name="provider"/> is set.</summary>
    public Task<(IReadOnlyList<CredentialRecord> Items, string? NextCursor)> ListAsync(Guid userId, string? provider, PageRequest page, CancellationToken cancellationToken) =>
        provider is null
            ? _credentials.PageAsync(null, null, userId, page, newestFirst: false, cancellationToken)
            : _credentials.PageAsync("provider = @provider", new { provider }, userId, page, newestFirst: false, cancellationToken);

    public Task<CredentialRecord?> GetAsync(Guid userId, Guid id, CancellationToken cancellationToken) =>
        _credentials.GetAsync(new RecordKey(userId, id), cancellationToken);

    public Task<(WriteOutcome Outcome, CredentialRecord? Credential)> UpdateAsync(Guid userId, Guid id, byte[] secret, long expectedRevision, long now, CancellationToken cancellationToken) =>
        _credentials.UpdateAsync(new RecordKey(userId, id), secret, expectedRevision, now, cancellationToken);

    public Task<bool> DeleteAsync(Guid userId, Guid id, CancellationToken cancellationToken) =>
        _credentials.DeleteAsync(new RecordKey(userId, id), cancellationToken);
}
