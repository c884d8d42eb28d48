namespace Polydev.Server.Storage;

/// <summary>One step of the schema, written once for both engines (see <see cref="SqlDialect"/>).</summary>
public sealed record Migration(int Version, string Name, string Sql);
