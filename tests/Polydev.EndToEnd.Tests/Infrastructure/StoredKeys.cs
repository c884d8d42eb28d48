using Microsoft.Data.Sqlite;
using Polydev.Crypto;

namespace Polydev.EndToEnd.Tests.Infrastructure;

/// <summary>What a test that plays the server's database reads of the one account in it, as the client derives it.</summary>
public static class StoredKeys
{
    /// <summary>The user key, from the password and the user's row.</summary>
    public static async Task<(Guid UserId, byte[] UserKey)> UserKeyAsync(SqliteConnection db, string password)
    {
        await using var command = db.CreateCommand();
        command.CommandText = "SELECT id, kdf_algorithm, kdf_iterations, kdf_salt, user_key FROM users";
        await using var reader = await command.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        var userId = Guid.Parse(reader.GetString(0));
        var masterKey = MasterKey.Derive(password, new KdfParameters(reader.GetString(1), reader.GetInt32(2), (byte[])reader[3]));
        var userKey = Envelope.Open(MasterKey.DeriveKek(masterKey), (byte[])reader[4], new EnvelopeContext(EnvelopeKinds.UserKey, userId, userId));
        return (userId, userKey);
    }
}
