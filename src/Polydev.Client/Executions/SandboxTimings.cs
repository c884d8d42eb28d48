using System.Globalization;
using Polydev.Contracts.Jobs;

namespace Polydev.Client.Executions;

/// <summary>The agent's phase breakdown (<see cref="JobTimings"/>) in words, for <c>polydev run --verbose</c>.</summary>
internal static class SandboxTimings
{
    public static string? Describe(JobTimings? timings)
    {
        if (timings is null)
        {
            return null;
        }

        (string Name, long? Ms)[] phases =
        [
            ("credential placed", timings.CredentialPlacedMs),
            ("CLI spawned", timings.CliSpawnedMs),
            ("first byte to egress", timings.EgressFirstByteMs),
            ("provider's first byte", timings.ProviderFirstByteMs),
            ("first text", timings.FirstTextMs),
            ("end", timings.EndMs),
        ];
        var reached = phases.Where(p => p.Ms is not null).Select(p => string.Create(CultureInfo.InvariantCulture, $"{p.Name} {p.Ms:N0} ms")).ToList();
        return reached.Count == 0 ? null : "in the sandbox, since the job arrived: " + string.Join(" · ", reached);
    }
}
