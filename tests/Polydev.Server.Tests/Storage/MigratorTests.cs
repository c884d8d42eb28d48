using Polydev.Testing;
using Dapper;
using Microsoft.Extensions.Logging.Abstractions;
using Polydev.Server.Storage;
using Polydev.Server.Tests.Infrastructure;

namespace Polydev.Server.Tests.Storage;

public sealed class MigratorTests
{
    [Theory]
    [MemberData(nameof(RunningServer.Engines), MemberType = typeof(RunningServer))]
    public async Task Migrations_apply_once_even_when_two_servers_start_together(string engine)
    {
        var directory = Directory.CreateTempSubdirectory("polydev-migrate-").FullName;
        var postgres = engine == RunningServer.Postgres ? await PostgresServer.CreateDatabaseAsync("polydev_migrate") : null;
        try
        {
            await using var first = Database.Create(postgres, directory);
            await using var second = Database.Create(postgres, directory);
            var applied = await Task.WhenAll(
                new Migrator(first, TimeProvider.System, NullLogger<Migrator>.Instance).MigrateAsync(),
                new Migrator(second, TimeProvider.System, NullLogger<Migrator>.Instance).MigrateAsync());

            Assert.Equal(Schema.Migrations.Count, applied.Sum());
            Assert.Equal(0, await new Migrator(first, TimeProvider.System, NullLogger<Migrator>.Instance).MigrateAsync());

            await using var connection = await first.OpenAsync();
            var versions = (await connection.QueryAsync<long>("SELECT version FROM schema_migrations ORDER BY version")).ToList();
            Assert.Equal(Schema.Migrations.Select(m => (long)m.Version), versions);
            foreach (var table in new[] { "users", "auth_sessions", "chats", "chat_messages", "provider_credentials" })
            {
                Assert.Equal(0, await connection.ExecuteScalarAsync<long>($"SELECT COUNT(*) FROM {table}"));
            }
        }
        finally
        {
            if (postgres is not null)
            {
                await PostgresServer.DropDatabaseAsync(postgres);
            }
        }
    }

    [Fact]
    public void Every_migration_has_a_unique_increasing_version_and_renders_for_both_engines()
    {
        var versions = Schema.Migrations.Select(m => m.Version).ToList();
        Assert.Equal(versions.Order().Distinct(), versions);
        foreach (var engine in Enum.GetValues<DatabaseEngine>())
        {
            Assert.All(Schema.Migrations, m => Assert.DoesNotContain("{", SqlDialect.For(engine).Render(m.Sql)));
        }
    }
}
