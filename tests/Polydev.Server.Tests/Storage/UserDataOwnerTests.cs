using Microsoft.Extensions.DependencyInjection;
using Polydev.Server.Storage;
using Polydev.Server.Tests.Infrastructure;

namespace Polydev.Server.Tests.Storage;

/// <summary>Account deletion asks the registered <see cref="IUserDataOwner"/>s; none may be missing for a table of the live schema.</summary>
public sealed class UserDataOwnerTests
{
    [Theory]
    [MemberData(nameof(RunningServer.Engines), MemberType = typeof(RunningServer))]
    public async Task Every_table_that_holds_a_users_rows_is_forgotten_by_exactly_one_registered_owner(string engine)
    {
        await using var server = await RunningServer.StartAsync(engine);
        var schema = await LiveSchema.ReadAsync(server.Database);
        // users itself is deleted by the account store, last, after every owner.
        var covered = server.Services.GetServices<IUserDataOwner>().SelectMany(owner => owner.Tables).Append("users").ToList();

        var userTables = schema.UserTables();
        Assert.Contains("job_execution_chunks", userTables);
        Assert.Empty(userTables.Except(covered).Order());
        Assert.Empty(covered.Except(schema.Columns.Keys).Order());
        Assert.Empty(covered.GroupBy(table => table).Where(group => group.Count() > 1).Select(group => group.Key));
    }
}
