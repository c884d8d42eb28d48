using System.Data.Common;
using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Polydev.Contracts;
using Polydev.Contracts.Accounts;
using Polydev.Contracts.Egress;
using Polydev.Contracts.Executions;
using Polydev.Server.Executions;
using Polydev.Server.Storage;
using Polydev.Server.Tests.Infrastructure;

namespace Polydev.Server.Tests.Accounts;

/// <summary>
/// Deleting an account asks every registered <see cref="IUserDataOwner"/>, in one transaction: none may be missing for a
/// table of the live schema, and afterwards no table holds a row of the user, and every row of others is still there.
/// </summary>
public sealed class AccountDeletionTests
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

    [Theory]
    [MemberData(nameof(RunningServer.Engines), MemberType = typeof(RunningServer))]
    public async Task Deleting_an_account_leaves_no_row_of_the_user_in_any_table_and_every_row_of_others(string engine)
    {
        await using var server = await RunningServer.StartAsync(engine);
        var schema = await LiveSchema.ReadAsync(server.Database);
        var doomed = await TestAccount.SignUpAsync(server);
        var bystander = await TestAccount.SignUpAsync(server);
        foreach (var account in new[] { doomed, bystander })
        {
            await AddARowToEveryTableAsync(server, account);
        }

        await using var connection = await server.Database.OpenAsync();
        var before = await schema.CountUserRowsAsync(connection, doomed.UserId);
        Assert.All(before, table => Assert.True(table.Value > 0, $"The test made no row of the user in {table.Key}: make one there, or deletion of it goes untested."));
        var bystanderRows = await schema.CountUserRowsAsync(connection, bystander.UserId);

        using var doomedClient = doomed.Client(server);
        Assert.Equal(HttpStatusCode.Forbidden, (await doomedClient.PostJsonAsync(ApiRoutes.AccountDelete, new DeleteAccountRequest(new byte[32]))).StatusCode);
        Assert.Equal(before, await schema.CountUserRowsAsync(connection, doomed.UserId));
        Assert.Equal(HttpStatusCode.NoContent, (await doomedClient.PostJsonAsync(ApiRoutes.AccountDelete, new DeleteAccountRequest(doomed.AuthKey))).StatusCode);

        Assert.All(await schema.CountUserRowsAsync(connection, doomed.UserId), table => Assert.True(table.Value == 0, $"{table.Value} row(s) of the deleted user left in {table.Key}."));
        Assert.Equal(bystanderRows, await schema.CountUserRowsAsync(connection, bystander.UserId));
        Assert.Equal(HttpStatusCode.Unauthorized, (await doomedClient.GetAsync(ApiRoutes.Chats)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await server.Client.PostJsonAsync(ApiRoutes.Login, new LoginRequest(doomed.Email, doomed.AuthKey, null))).StatusCode);
    }

    [Theory]
    [MemberData(nameof(RunningServer.Engines), MemberType = typeof(RunningServer))]
    public async Task A_part_that_fails_to_forget_the_user_leaves_every_row_in_place(string engine)
    {
        // Registered last, so every other part has deleted its rows in the transaction before this one throws.
        await using var server = await RunningServer.StartAsync(engine, configureServices: services => services.AddSingleton<IUserDataOwner, FailingOwner>());
        var schema = await LiveSchema.ReadAsync(server.Database);
        var account = await TestAccount.SignUpAsync(server);
        await AddARowToEveryTableAsync(server, account);
        await using var connection = await server.Database.OpenAsync();
        var before = await schema.CountUserRowsAsync(connection, account.UserId);

        using var client = account.Client(server);
        Assert.Equal(HttpStatusCode.InternalServerError, (await client.PostJsonAsync(ApiRoutes.AccountDelete, new DeleteAccountRequest(account.AuthKey))).StatusCode);

        Assert.Equal(before, await schema.CountUserRowsAsync(connection, account.UserId));
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(ApiRoutes.Chats)).StatusCode);
    }

    /// <summary>Through the API where it can: executions need a sandbox engine, which this server has not, so those rows are written as the execution service writes them.</summary>
    private static async Task AddARowToEveryTableAsync(RunningServer server, TestAccount account)
    {
        using var client = account.Client(server);
        var chat = account.NewChat("chat");
        Assert.Equal(HttpStatusCode.Created, (await client.PostJsonAsync(ApiRoutes.Chats, chat)).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await client.PostJsonAsync(ApiRoutes.Messages(chat.Id), account.NewMessage("message"))).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await client.PostJsonAsync(ApiRoutes.Credentials, account.NewCredential(Providers.Google, "key"))).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await client.PostJsonAsync(ApiRoutes.Tokens, new CreateApiTokenRequest("token", null))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(ApiRoutes.Egress)).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await client.PostJsonAsync(ApiRoutes.EgressTokens, new CreateEgressTokenRequest(600))).StatusCode);

        var executions = server.Services.GetRequiredService<ExecutionStore>();
        var id = Guid.CreateVersion7().ToString("D");
        await executions.InsertAsync(
            new ExecutionRecord { Id = id, UserId = account.UserId.ToString("D"), Provider = Providers.Anthropic, OwnerServer = "test", State = ExecutionStates.Running, CreatedAt = 1 },
            CancellationToken.None);
        await executions.AppendChunkAsync(id, 0, [1, 2, 3], CancellationToken.None);
    }

    private sealed class FailingOwner : IUserDataOwner
    {
        public IReadOnlyList<string> Tables { get; } = [];

        public Task ForgetUserAsync(DbConnection connection, DbTransaction transaction, Guid userId, CancellationToken cancellationToken) =>
            throw new InvalidOperationException("This part cannot forget anyone.");
    }
}
