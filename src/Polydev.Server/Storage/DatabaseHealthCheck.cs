using Dapper;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Polydev.Server.Storage;

/// <summary>Ready means the database answers; the check says which engine, never the connection string.</summary>
public sealed class DatabaseHealthCheck(Database database) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            await using var connection = await database.OpenAsync(cancellationToken);
            await connection.ExecuteScalarAsync<int>(new CommandDefinition("SELECT 1", cancellationToken: cancellationToken));
            return HealthCheckResult.Healthy($"{database.Engine} answers.");
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return HealthCheckResult.Unhealthy($"{database.Engine} does not answer: {e.GetType().Name}.");
        }
    }
}
