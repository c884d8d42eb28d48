using System.CommandLine;
using Polydev.Server.Hosting;

namespace Polydev.Verbs;

/// <summary><c>polydev server</c>: runs the control plane until SIGINT/SIGTERM.</summary>
internal static class ServerVerb
{
    public static Command Create()
    {
        var urls = new Option<string?>("--urls") { Description = $"Where to listen, ';'-separated (default {ServerOptions.DefaultUrls}; env POLYDEV_URLS)." };
        var data = new Option<string?>("--data") { Description = "Data directory holding the SQLite file (default ./data; env POLYDEV_DATA)." };
        var database = new Option<string?>("--database")
        {
            Description = "PostgreSQL connection string; switches from SQLite to PostgreSQL (env POLYDEV_DATABASE). Prefer the env variable or a passfile for the password: arguments are visible to other local users.",
        };

        var command = new Command("server", "Run the Polydev control plane (HTTP API, metrics, health).") { urls, data, database };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var overrides = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
            AddIfSet(overrides, nameof(ServerOptions.Urls), parse.GetValue(urls));
            AddIfSet(overrides, nameof(ServerOptions.Data), parse.GetValue(data));
            AddIfSet(overrides, nameof(ServerOptions.Database), parse.GetValue(database));

            return await HostedVerb.RunAsync("server", () => PolydevServer.Build(overrides), cancellationToken, PolydevServer.StartAsync);
        });
        return command;
    }

    private static void AddIfSet(Dictionary<string, string?> overrides, string key, string? value)
    {
        if (!string.IsNullOrWhiteSpace(value))
        {
            overrides[key] = value;
        }
    }
}
