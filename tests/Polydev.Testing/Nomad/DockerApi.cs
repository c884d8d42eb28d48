using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Polydev.Testing.Nomad;

/// <summary>
/// The few calls of Docker's Engine API the stand-in's "client nodes" make, as Nomad's Docker driver makes them:
/// create, start, wait, inspect, stop, kill, remove, list by label. Over the daemon's Unix socket.
/// </summary>
internal sealed class DockerApi : IDisposable
{
    private readonly HttpClient _http;

    public DockerApi(string socketPath)
    {
        var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (_, cancellationToken) =>
            {
                var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                try
                {
                    await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath), cancellationToken);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
            MaxConnectionsPerServer = 512,
        };
        _http = new HttpClient(handler) { BaseAddress = new Uri("http://docker/v1.41/"), Timeout = Timeout.InfiniteTimeSpan };
    }

    public sealed record Answer(HttpStatusCode Status, string Body)
    {
        public bool Ok => (int)Status is >= 200 and < 300;

        /// <summary>The daemon's <c>message</c>, or the body.</summary>
        public string Message
        {
            get
            {
                try
                {
                    return JsonNode.Parse(Body)?["message"]?.GetValue<string>() ?? Body.Trim();
                }
                catch (JsonException)
                {
                    return Body.Trim();
                }
            }
        }
    }

    public Task<Answer> CreateAsync(string name, JsonObject body, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Post, $"containers/create?name={Uri.EscapeDataString(name)}", body, cancellationToken);

    public Task<Answer> StartAsync(string id, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Post, $"containers/{id}/start", null, cancellationToken);

    /// <summary>Blocks until the container is not running; the exit code, or null when the daemon could not say.</summary>
    public async Task<long?> WaitAsync(string id, CancellationToken cancellationToken)
    {
        var answer = await SendAsync(HttpMethod.Post, $"containers/{id}/wait", null, cancellationToken);
        if (!answer.Ok)
        {
            return null;
        }

        return JsonNode.Parse(answer.Body)?["StatusCode"]?.GetValue<long>();
    }

    public async Task<JsonNode?> InspectAsync(string id, CancellationToken cancellationToken = default)
    {
        var answer = await SendAsync(HttpMethod.Get, $"containers/{id}/json", null, cancellationToken);
        return answer.Ok ? JsonNode.Parse(answer.Body) : null;
    }

    public Task<Answer> StopAsync(string id, int timeoutSeconds, string? signal) =>
        SendAsync(HttpMethod.Post, $"containers/{id}/stop?t={timeoutSeconds}" + (signal is null ? "" : "&signal=" + Uri.EscapeDataString(signal)), null, default);

    public Task<Answer> KillAsync(string id, string signal = "KILL") =>
        SendAsync(HttpMethod.Post, $"containers/{id}/kill?signal={signal}", null, default);

    public Task<Answer> RemoveAsync(string id) =>
        SendAsync(HttpMethod.Delete, $"containers/{id}?force=true&v=true", null, default);

    public async Task<bool> ImageExistsAsync(string image, CancellationToken cancellationToken = default) =>
        (await SendAsync(HttpMethod.Get, $"images/{Uri.EscapeDataString(image)}/json", null, cancellationToken)).Ok;

    /// <summary>Containers (all states) carrying every label of <paramref name="labels"/> (<c>key=value</c> or <c>key</c>).</summary>
    public async Task<IReadOnlyList<JsonObject>> ListAsync(params string[] labels)
    {
        var filters = new JsonObject { ["label"] = new JsonArray([.. labels.Select(l => (JsonNode)l)]) };
        var answer = await SendAsync(HttpMethod.Get, "containers/json?all=true&filters=" + Uri.EscapeDataString(filters.ToJsonString()), null, default);
        if (!answer.Ok)
        {
            throw new InvalidOperationException($"docker ps failed: {answer.Message}");
        }

        return [.. (JsonNode.Parse(answer.Body)?.AsArray() ?? []).OfType<JsonObject>()];
    }

    private async Task<Answer> SendAsync(HttpMethod method, string path, JsonObject? body, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, path);
        if (body is not null)
        {
            request.Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json");
        }

        using var response = await _http.SendAsync(request, cancellationToken);
        return new Answer(response.StatusCode, await response.Content.ReadAsStringAsync(cancellationToken));
    }

    public void Dispose() => _http.Dispose();
}
