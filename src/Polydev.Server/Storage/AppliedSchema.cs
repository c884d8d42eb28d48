using System.Data.Common;
using Dapper;

namespace Polydev.Server.Storage;

/// <summary>One row of <c>schema_migrations</c>: a migration a database has applied, by version and name.</summary>
public sealed record SchemaMigration(int Version, string Name);

/// <summary>
/// The migrations a database has applied (its <c>schema_migrations</c>), compared with what this build knows
/// (<see cref="Schema"/>): the same names up to its version means this build can run on it, perhaps after migrating.
/// </summary>
public sealed record AppliedSchema(IReadOnlyList<SchemaMigration> Migrations)
{
    /// <summary>Every migration of this build.</summary>
    public static AppliedSchema Known { get; } = new(Schema.Migrations.Select(m => new SchemaMigration(m.Version, m.Name)).ToList());

    /// <summary>The last applied version; 0 for none.</summary>
    public int Version => Migrations.Count == 0 ? 0 : Migrations[^1].Version;

    /// <summary>The name of the last applied migration; empty for none.</summary>
    public string LastName => Migrations.Count == 0 ? "" : Migrations[^1].Name;

    /// <summary>This build's migrations the database has not applied yet.</summary>
    public IReadOnlyList<SchemaMigration> Pending => Known.Migrations.Where(m => m.Version > Version).ToList();

    /// <summary>Null when this build can run on the schema (the same migrations, perhaps fewer); else why not, one clause.</summary>
    public string? Mismatch()
    {
        foreach (var applied in Migrations)
        {
            var known = Known.Migrations.FirstOrDefault(m => m.Version == applied.Version);
            if (known is null)
            {
                return $"it is at schema version {Version} ('{LastName}'), newer than this polydev knows ({Known.Version})";
            }

            if (known.Name != applied.Name)
            {
                return $"its migration {applied.Version} is '{applied.Name}' where this polydev's is '{known.Name}': not the same schema";
            }
        }

        return null;
    }

    /// <summary>The applied migrations in version order, or null when the database has no <c>schema_migrations</c> table.</summary>
    public static async Task<AppliedSchema?> ReadAsync(DbConnection connection, DatabaseEngine engine, CancellationToken cancellationToken)
    {
        var exists = engine == DatabaseEngine.Postgres
            ? "SELECT COUNT(*) FROM pg_tables WHERE schemaname = current_schema() AND tablename = 'schema_migrations'"
            : "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'";
        if (await connection.ExecuteScalarAsync<long>(new CommandDefinition(exists, cancellationToken: cancellationToken)) == 0)
        {
            return null;
        }

        var migrations = new List<SchemaMigration>();
        await using var reader = await connection.ExecuteReaderAsync(new CommandDefinition(
            "SELECT version, name FROM schema_migrations ORDER BY version", cancellationToken: cancellationToken));
        while (await reader.ReadAsync(cancellationToken))
        {
            // INTEGER is 32 bits in PostgreSQL and 64 in SQLite.
            migrations.Add(new SchemaMigration(Convert.ToInt32(reader.GetValue(0), System.Globalization.CultureInfo.InvariantCulture), reader.GetString(1)));
        }

        return new AppliedSchema(migrations);
    }

    public bool SameAs(AppliedSchema other) => Migrations.SequenceEqual(other.Migrations);
}
