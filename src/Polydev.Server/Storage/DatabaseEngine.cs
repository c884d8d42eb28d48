namespace Polydev.Server.Storage;

/// <summary>The two engines behind the one schema.</summary>
public enum DatabaseEngine
{
    /// <summary>The embedded default: one file under the data directory.</summary>
    Sqlite,

    /// <summary>Production (Supabase is PostgreSQL too).</summary>
    Postgres,
}
