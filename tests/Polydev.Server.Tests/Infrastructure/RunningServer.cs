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

    public Database Database => _app.Services.GetRequiredService<Database>();

    public static async Task<RunningServer> StartAsync(string engine, IDictionary<string, string?>? settings = null)
    {
        var dataDirectory = Directory.CreateTempSubdirectory("polydev-test-").FullName;
        var postgres = engine == Postgres ? await PostgresServer.CreateDatabaseAsync("polydev_test") : null;
        var overrides = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase)
        {
            ["Urls"] = "http://127.0.0.1:0",
            ["Data"] = dataDirectory,
            ["Database"] = postgres,
            // The real default is 100,000; tests exercise the same code at a cost they can afford.
            ["Accounts:AuthKeyHashIterations"] = "1000",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            overrides[key] = value;
        }

        var logs = new CapturedLogs();
        var app = PolydevServer.Build(overrides, configureLogging: logging =>
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
        Client.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
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
