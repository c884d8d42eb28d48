using System.Net;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Logging;

namespace Polydev.Testing;

/// <summary>
/// A destination on loopback for proxy tests and benchmarks: Kestrel serving HTTPS (a
/// certificate from a throw-away CA made at run time) and plain HTTP on two ports, with
/// endpoints that report what they received and serve any number of bytes.
/// <list type="bullet">
/// <item><c>/echo</c> (any method): JSON <c>{method, path, headers: {name: [values]}, bodyLength}</c> — shows whether proxy headers leaked through.</item>
/// <item><c>/bytes/{n}</c>: n bytes with Content-Length; <c>/chunked/{n}</c>: n bytes, chunked.</item>
/// <item><c>/small</c>: a 2-byte answer, for latency; <c>/status/{code}</c>: an empty answer with that status.</item>
/// </list>
/// </summary>
public sealed class HttpsTarget : IAsyncDisposable
{
    private static readonly byte[] Pattern = MakePattern();

    private readonly WebApplication _app;
    private readonly string _directory;

    private HttpsTarget(WebApplication app, X509Certificate2 authority, string directory, int httpsPort, int httpPort)
    {
        _app = app;
        Authority = authority;
        _directory = directory;
        HttpsPort = httpsPort;
        HttpPort = httpPort;
        AuthorityPemPath = Path.Combine(directory, "ca.pem");
        File.WriteAllText(AuthorityPemPath, authority.ExportCertificatePem());
    }

    /// <summary>The CA that issued the target's certificate (for <c>localhost</c>, 127.0.0.1 and ::1).</summary>
    public X509Certificate2 Authority { get; }

    /// <summary>The CA in PEM, for <c>curl --cacert</c>.</summary>
    public string AuthorityPemPath { get; }

    public int HttpsPort { get; }

    public int HttpPort { get; }

    /// <summary><c>https://localhost:port/</c> (the name the certificate carries).</summary>
    public Uri HttpsBase => new($"https://localhost:{HttpsPort}/");

    /// <summary><c>http://127.0.0.1:port/</c>.</summary>
    public Uri HttpBase => new($"http://127.0.0.1:{HttpPort}/");

    public static async Task<HttpsTarget> StartAsync()
    {
        var directory = Directory.CreateTempSubdirectory("polydev-target-").FullName;
        var (authority, leaf) = TestCertificates.CreateLocalhost();

        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MinResponseDataRate = null;
            kestrel.Limits.MaxRequestBodySize = null;
            kestrel.Listen(IPAddress.Loopback, 0, listen =>
            {
                listen.Protocols = HttpProtocols.Http1AndHttp2;
                listen.UseHttps(leaf);
            });
            kestrel.Listen(IPAddress.Loopback, 0, listen => listen.Protocols = HttpProtocols.Http1);
        });
        var app = builder.Build();
        app.Map("/echo", async (HttpContext context) =>
        {
            long length = 0;
            var buffer = new byte[16 * 1024];
            int read;
            while ((read = await context.Request.Body.ReadAsync(buffer)) > 0)
            {
                length += read;
            }

            var headers = context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.Select(v => v ?? "").ToArray(), StringComparer.OrdinalIgnoreCase);
            await context.Response.WriteAsJsonAsync(new EchoReport(context.Request.Method, context.Request.Path + context.Request.QueryString, context.Request.Protocol, headers, length));
        });
        app.MapMethods("/bytes/{count:long}", ["GET", "HEAD"], (long count, HttpContext context) => WriteBytesAsync(context, count, contentLength: true));
        app.MapMethods("/chunked/{count:long}", ["GET", "HEAD"], (long count, HttpContext context) => WriteBytesAsync(context, count, contentLength: false));
        app.MapGet("/small", () => Results.Text("ok"));
        app.MapGet("/status/{code:int}", (int code) => Results.StatusCode(code));
        await app.StartAsync();

        var ports = app.Urls.Select(u => (Scheme: new Uri(u).Scheme, new Uri(u).Port)).ToList();
        return new HttpsTarget(app, authority, directory, ports.First(p => p.Scheme == "https").Port, ports.First(p => p.Scheme == "http").Port);
    }

    /// <summary>A handler that trusts this target's CA only (and no proxy unless given).</summary>
    public SocketsHttpHandler CreateHandler(IWebProxy? proxy = null)
    {
        var handler = new SocketsHttpHandler
        {
            UseProxy = proxy is not null,
            Proxy = proxy,
            PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
        };
        handler.SslOptions.RemoteCertificateValidationCallback = Validate;
        return handler;
    }

    /// <summary>True for a certificate chain ending in this target's CA.</summary>
    public bool Validate(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        if (certificate is null || (errors & SslPolicyErrors.RemoteCertificateNameMismatch) != 0)
        {
            return false;
        }

        using var custom = new X509Chain();
        custom.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        custom.ChainPolicy.CustomTrustStore.Add(Authority);
        custom.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        using var leaf = new X509Certificate2(certificate);
        return custom.Build(leaf);
    }

    public static EchoReport ParseEcho(string json) =>
        JsonSerializer.Deserialize<EchoReport>(json, JsonSerializerOptions.Web) ?? throw new InvalidDataException("empty echo");

    /// <summary>The byte at <paramref name="offset"/> of every <c>/bytes</c> and <c>/chunked</c> answer.</summary>
    public static byte ExpectedByte(long offset) => Pattern[offset % Pattern.Length];

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        Authority.Dispose();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private static async Task WriteBytesAsync(HttpContext context, long count, bool contentLength)
    {
        context.Response.ContentType = "application/octet-stream";
        if (contentLength)
        {
            context.Response.ContentLength = count;
        }

        if (HttpMethods.IsHead(context.Request.Method))
        {
            return;
        }

        // The pattern's length divides every chunk offset, so each chunk starts the pattern anew.
        const int Chunk = 64 * 1024;
        for (long sent = 0; sent < count; sent += Chunk)
        {
            await context.Response.Body.WriteAsync(Pattern.AsMemory(0, (int)Math.Min(Chunk, count - sent)), context.RequestAborted);
        }
    }

    private static byte[] MakePattern()
    {
        var pattern = new byte[64 * 1024];
        for (var i = 0; i < pattern.Length; i++)
        {
            pattern[i] = (byte)((i * 31) ^ (i >> 8));
        }

        return pattern;
    }
}

/// <summary>What <c>/echo</c> saw.</summary>
public sealed record EchoReport(string Method, string Path, string Protocol, Dictionary<string, string[]> Headers, long BodyLength)
{
    public bool Has(string header) => Headers.Keys.Any(k => k.Equals(header, StringComparison.OrdinalIgnoreCase));
}
