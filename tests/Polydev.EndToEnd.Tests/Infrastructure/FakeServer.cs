using System.Collections.Concurrent;
using System.Net;
using System.Text;

namespace Polydev.EndToEnd.Tests.Infrastructure;

/// <summary>
/// A tiny hostile or broken "server" on loopback: answers the routes it is given, 404 for anything else, and
/// records every request (method, path, Authorization header) so a test can prove what the client did not send.
/// </summary>
public sealed class FakeServer : IAsyncDisposable
{
    private readonly HttpListener _listener = new();
    private readonly IReadOnlyDictionary<string, string> _routes;
    private readonly Task _loop;

    /// <param name="routes">"METHOD /path" to the JSON body to answer with 200.</param>
    public FakeServer(IReadOnlyDictionary<string, string> routes)
    {
        _routes = routes;
        Url = $"http://127.0.0.1:{ServerProcess.FreePort()}";
        _listener.Prefixes.Add(Url + "/");
        _listener.Start();
        _loop = Task.Run(ServeAsync);
    }

    public string Url { get; }

    public ConcurrentQueue<(string Method, string Path, string? Authorization)> Requests { get; } = new();

    public async ValueTask DisposeAsync()
    {
        _listener.Stop();
        _listener.Close();
        try
        {
            await _loop;
        }
        catch (HttpListenerException)
        {
        }
        catch (ObjectDisposedException)
        {
        }
    }

    private async Task ServeAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }

            var path = context.Request.Url!.AbsolutePath;
            Requests.Enqueue((context.Request.HttpMethod, path, context.Request.Headers["Authorization"]));
            if (_routes.TryGetValue($"{context.Request.HttpMethod} {path}", out var json))
            {
                context.Response.StatusCode = 200;
                context.Response.ContentType = "application/json";
                var body = Encoding.UTF8.GetBytes(json);
                await context.Response.OutputStream.WriteAsync(body);
            }
            else
            {
                context.Response.StatusCode = 404;
            }

            context.Response.Close();
        }
    }
}
