using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Logging;

namespace Polydev.Testing.ProviderStubs;

/// <summary>
/// A local HTTPS stand-in for one provider's API: the subset its CLI uses, served on loopback with a
/// certificate from a throw-away CA, so the real CLI can be pointed at it with its base-URL setting and
/// <c>NODE_EXTRA_CA_CERTS</c>/<c>SSL_CERT_FILE</c>. It records the credential each request carried, so a test
/// can assert the user's own credential arrived, and answers every prompt with <see cref="Answer"/>.
/// </summary>
public abstract class ProviderStub : IAsyncDisposable
{
    private readonly ConcurrentQueue<string> _credentials = new();
    private readonly ConcurrentQueue<StubRequest> _requests = new();
    private WebApplication? _app;
    private string? _directory;

    /// <summary>The text the stub's model answers with.</summary>
    public string Answer { get; set; } = "Hello from the provider stub.";

    /// <summary><c>https://localhost:port</c>, the name the certificate carries; no trailing slash.</summary>
    public Uri BaseUrl { get; private set; } = null!;

    public int Port { get; private set; }

    public X509Certificate2 Authority { get; private set; } = null!;

    /// <summary>The CA in PEM.</summary>
    public string AuthorityPem => Authority.ExportCertificatePem();

    /// <summary>The CA in PEM, as a file.</summary>
    public string AuthorityPemPath { get; private set; } = null!;

    /// <summary>Every credential the stub received (API key or bearer token), in arrival order.</summary>
    public IReadOnlyCollection<string> ReceivedCredentials => _credentials.ToArray();

    /// <summary>Every request (method, path and query), in arrival order.</summary>
    public IReadOnlyList<StubRequest> Requests => _requests.ToArray();

    /// <summary>The body of every POST, as text, in arrival order (what the CLI sent the model).</summary>
    public IReadOnlyList<string> RequestBodies => _bodies.ToArray();

    private readonly System.Collections.Concurrent.ConcurrentQueue<string> _bodies = new();

    /// <summary>When the stub finished answering its first request; null before.</summary>
    public DateTimeOffset? FirstAnsweredAt { get; private set; }

    /// <summary>Starts the stub on a free loopback port.</summary>
    public async Task StartAsync()
    {
        _directory = Directory.CreateTempSubdirectory("polydev-stub-").FullName;
        var (authority, leaf) = TestCertificates.CreateLocalhost();
        Authority = authority;
        AuthorityPemPath = Path.Combine(_directory, "ca.pem");
        await File.WriteAllTextAsync(AuthorityPemPath, authority.ExportCertificatePem());

        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = 64 << 20;
            kestrel.Listen(IPAddress.Loopback, 0, listen =>
            {
                listen.Protocols = HttpProtocols.Http1AndHttp2;
                listen.UseHttps(leaf);
            });
        });
        var app = builder.Build();
        app.Use(async (context, next) =>
        {
            _requests.Enqueue(new StubRequest(context.Request.Method, context.Request.Path + context.Request.QueryString));
            if (HttpMethods.IsPost(context.Request.Method))
            {
                context.Request.EnableBuffering();
                using (var reader = new StreamReader(context.Request.Body, leaveOpen: true))
                {
                    _bodies.Enqueue(await reader.ReadToEndAsync(context.RequestAborted));
                }

                context.Request.Body.Position = 0;
            }

            await next(context);
            FirstAnsweredAt ??= DateTimeOffset.UtcNow;
        });
        MapRoutes(app);
        await app.StartAsync();
        _app = app;
        Port = new Uri(app.Urls.Single()).Port;
        BaseUrl = new Uri($"https://localhost:{Port}");
    }

    /// <summary>Maps the provider's endpoints; handlers call <see cref="RecordCredential"/> with what authenticated the request.</summary>
    protected abstract void MapRoutes(WebApplication app);

    protected void RecordCredential(string? credential)
    {
        if (!string.IsNullOrEmpty(credential))
        {
            _credentials.Enqueue(credential);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
            _app = null;
        }

        if (_directory is not null)
        {
            Directory.Delete(_directory, recursive: true);
            _directory = null;
        }

        GC.SuppressFinalize(this);
    }
}

/// <summary>One request a stub received.</summary>
public sealed record StubRequest(string Method, string PathAndQuery);
