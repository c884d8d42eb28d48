using Polydev.Testing;
using System.Net.Http.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Polydev.Contracts;
using Polydev.Server.Hosting;
using Polydev.Server.Storage;

namespace Polydev.Server.Tests.Infrastructure;

/// <summary>
/// A real <c>polydev server</c> (Kestrel on a loopback port) over a fresh database of the
/// chosen engine: a new SQLite file, or a new PostgreSQL database dropped afterwards.
/// </summary>
public sealed class RunningServer : IAsyncDisposable
{
    public const string Sqlite = "sqlite";
    public const string Postgres = "postgres";

    /// <summary>Size of each test server's egress port range.</summary>
    public const int EgressPorts = 20;

    private bool _keepStorage;
    private bool _disposed;

    private readonly WebApplication _app;
    private readonly string _dataDirectory;
    private readonly string? _postgresConnectionString;

    private RunningServer(WebApplication app, string dataDirectory, string? postgresConnectionString, CapturedLogs logs)
    {
        _app = app;
        _dataDirectory = dataDirectory;
        _postgresConnectionString = postgresConnectionString;
        Logs = logs;
        BaseAddress = new Uri(app.Urls.First());
        Client = CreateClient();
    }

    public static TheoryData<string> Engines => new() { Sqlite, Postgres };

    public Uri BaseAddress { get; }

    public HttpClient Client { get; }

    public CapturedLogs Logs { get; }

    public IServiceProvider Services => _app.Services;

    public string? DatabaseConnectionString => _postgresConnectionString;

    public string DataDirectory => _dataDirectory;

    /// <summary>The server's effective configuration value for <paramref name="key"/>.</summary>
    public string? Setting(string key) => _app.Configuration[key];

    /// <summary>Stops the server but leaves its database for a restart with <see cref="StartAsync(string, string, string?, IDictionary{string, string?}?)"/>.</summary>
    public async Task StopKeepingStorageAsync()
    {
        _keepStorage = true;
        await DisposeAsync();
    }

    public Database Database => _app.Services.GetRequiredService<Database>();

    /// <param name="configureServices">Changes to the server's services, e.g. an extra part or runtime kind to register.</param>
    public static Task<RunningServer> StartAsync(string engine, IDictionary<string, string?>? settings = null, Action<IServiceCollection>? configureServices = null) =>
        StartAsync(engine, Directory.CreateTempSubdirectory("polydev-test-").FullName, null, settings, configureServices);

    /// <summary>Starts over an existing data directory or database, e.g. to restart a server.</summary>
    /// <param name="configureServices">Registers more services after the server's own (a test's runtime kind, say).</param>
    public static async Task<RunningServer> StartAsync(string engine, string dataDirectory, string? postgresConnectionString, IDictionary<string, string?>? settings = null, Action<IServiceCollection>? configureServices = null)
    {
        var postgres = engine == Postgres ? postgresConnectionString ?? await PostgresServer.CreateDatabaseAsync("polydev_test") : null;
        var firstEgressPort = FreePorts.FindBlock(EgressPorts);
        var overrides = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase)
        {
            ["Urls"] = "http://127.0.0.1:0",
            ["Data"] = dataDirectory,
            ["Database"] = postgres,
            // The real default is 100,000; tests exercise the same code at a cost they can afford.
            ["Accounts:AuthKeyHashIterations"] = "1000",
            // Servers in parallel tests each get their own block of egress ports.
            ["Egress:FirstPort"] = firstEgressPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Egress:LastPort"] = (firstEgressPort + EgressPorts - 1).ToString(System.Globalization.CultureInfo.InvariantCulture),
            // Servers in parallel tests would each start a coturn on the same port; the TURN tests start their own.
            ["Login:Turn:Mode"] = "off",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            overrides[key] = value;
        }

        var logs = new CapturedLogs();
        var app = PolydevServer.Build(overrides, configureServices, logging =>
        {
            logging.ClearProviders();
            logging.AddProvider(logs);
        });
        await PolydevServer.StartAsync(app);
        return new RunningServer(app, dataDirectory, postgres, logs);
    }

    public HttpClient CreateClient(string? token = null)
    {
        var client = new HttpClient { BaseAddress = BaseAddress };
        if (token is not null)
        {
            client.DefaultRequestHeaders.Authorization = new("Bearer", token);
        }

        return client;
    }

    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        Client.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
        if (_keepStorage)
        {
            return;
        }

        if (_postgresConnectionString is not null)
        {
            await PostgresServer.DropDatabaseAsync(_postgresConnectionString);
        }

        try
        {
            Directory.Delete(_dataDirectory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

/// <summary>JSON helpers that use the API's own serializer settings.</summary>
public static class ApiJson
{
    public static Task<T?> ReadAsync<T>(this HttpResponseMessage response) =>
        response.Content.ReadFromJsonAsync<T>(PolydevJson.Options);

    public static Task<HttpResponseMessage> PostJsonAsync<T>(this HttpClient client, string path, T body) =>
        client.PostAsJsonAsync(path, body, PolydevJson.Options);

    public static Task<HttpResponseMessage> PutJsonAsync<T>(this HttpClient client, string path, T body) =>
        client.PutAsJsonAsync(path, body, PolydevJson.Options);
}
