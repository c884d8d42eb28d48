using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Polydev.Server.Tests.Infrastructure;

/// <summary>
/// A plain-HTTP destination on loopback for egress tests: reports a fixed "public address" like
/// a what-is-my-IP service, and serves a given number of bytes.
/// </summary>
public sealed class HttpTarget : IAsyncDisposable
{
    public const string ReportedAddress = "203.0.113.7";

    private readonly WebApplication _app;

    private HttpTarget(WebApplication app)
    {
        _app = app;
        BaseAddress = new Uri(app.Urls.First());
    }

    public Uri BaseAddress { get; }

    public static async Task<HttpTarget> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        app.MapGet("/ip", () => Results.Json(new { proxy = new { ip = ReportedAddress } }));
        app.MapGet("/bytes/{count:int}", (int count) => Results.Bytes(new byte[count], "application/octet-stream"));
        await app.StartAsync();
        return new HttpTarget(app);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
