using System.Data.Common;
using Dapper;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Polydev.Server.Storage;

/// <summary>
/// A part that keeps rows per user. Deleting an account asks every registered owner to forget the user, all in one
/// transaction, before the <c>users</c> row goes; a test fails when a table of the live schema that belongs to a user
/// is named by no owner, so a new table cannot be forgotten at deletion.
/// </summary>
public interface IUserDataOwner
{
    /// <summary>The tables whose rows of the user this owner deletes, children before parents.</summary>
    IReadOnlyList<string> Tables { get; }

    /// <summary>Deletes every row of the user in <see cref="Tables"/>; commits nothing (the caller owns the transaction).</summary>
    Task ForgetUserAsync(DbConnection connection, DbTransaction transaction, Guid userId, CancellationToken cancellationToken);
}

public static class UserData
{
    /// <summary>
    /// Registers <typeparamref name="TOwner"/> as a singleton (once) and as an <see cref="IUserDataOwner"/>.
    /// Owners are asked in the order they are registered.
    /// </summary>
    public static IServiceCollection AddUserDataOwner<TOwner>(this IServiceCollection services)
        where TOwner : class, IUserDataOwner
    {
        services.TryAddSingleton<TOwner>();
        services.AddSingleton<IUserDataOwner>(sp => sp.GetRequiredService<TOwner>());
        return services;
    }

    /// <summary>
    /// <c>DELETE FROM t WHERE user_id = @id</c> for each table in order. Explicit deletes rather than trusting
    /// ON DELETE CASCADE: the cascade depends on a per-connection pragma in SQLite, and deletion must not depend on
    /// configuration.
    /// </summary>
    public static async Task DeleteByUserAsync(DbConnection connection, DbTransaction transaction, Guid userId, IEnumerable<string> tables, CancellationToken cancellationToken)
    {
        var id = new { id = userId.ToString("D") };
        foreach (var table in tables)
        {
            await connection.ExecuteAsync(new CommandDefinition($"DELETE FROM {table} WHERE user_id = @id", id, transaction, cancellationToken: cancellationToken));
        }
    }
}
