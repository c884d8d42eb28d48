using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Polydev.Server.Sandboxes.Docker;

/// <summary>
/// The part of the Docker Engine API that sandboxes need, over the daemon's unix socket, at a pinned
/// API version (<see cref="ApiVersion"/>: what Debian 12's docker.io 20.10 speaks, and every newer
/// daemon still accepts). Errors become <see cref="SandboxEngineException"/> with the daemon's message.
/// Request bodies are built as JSON nodes and answers read as JSON documents: no reflection.
/// </summary>
public sealed class DockerClient : IDisposable
{
    public const string DefaultSocket = "/var/run/docker.sock";
    public const string ApiVersion = "v1.41";
    internal const string Engine = "docker";

    private readonly HttpClient _http;
    private readonly DockerImageApi _images;

    public DockerClient(string socketPath = DefaultSocket)
    {
        SocketPath = socketPath;
        var handler = new SocketsHttpHandler
        {
            ConnectCallback = (_, cancellationToken) => ConnectAsync(socketPath, cancellationToken),
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(30),
            MaxConnectionsPerServer = 64,
        };
        _http = new HttpClient(handler)
        {
            BaseAddress = new Uri($"http://docker/{ApiVersion}/"),
            Timeout = Timeout.InfiniteTimeSpan,
        };
        _images = new DockerImageApi(this, _http);
    }

    public string SocketPath { get; }

    /// <summary><c>GET /_ping</c>: true when the daemon answers.</summary>
    public async Task<bool> PingAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            using var response = await _http.GetAsync("_ping", cancellationToken);
            return response.IsSuccessStatusCode;
        }
        catch (HttpRequestException)
        {
            return false;
        }
    }

    public Task<JsonElement> VersionAsync(CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Get, "version", null, "version", cancellationToken);

    /// <summary><c>POST /containers/create</c>; returns the container id.</summary>
    public async Task<string> CreateContainerAsync(string name, JsonObject body, CancellationToken cancellationToken = default)
    {
        var answer = await SendAsync(HttpMethod.Post, $"containers/create?name={Uri.EscapeDataString(name)}", body, "create", cancellationToken);
        return answer.GetProperty("Id").GetString()!;
    }

    public Task StartContainerAsync(string id, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Post, $"containers/{Uri.EscapeDataString(id)}/start", null, "start", cancellationToken);

    /// <summary><c>DELETE /containers/{id}?force=true&amp;v=true</c>: kills and removes it with its anonymous volumes.</summary>
    public Task RemoveContainerAsync(string id, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Delete, $"containers/{Uri.EscapeDataString(id)}?force=true&v=true", null, "remove", cancellationToken);

    public Task<JsonElement> InspectContainerAsync(string id, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Get, $"containers/{Uri.EscapeDataString(id)}/json", null, "inspect", cancellationToken);

    /// <summary><c>GET /containers/json?all=true&amp;filters={"label":[...]}</c>: every container carrying all the given labels (<c>key</c> or <c>key=value</c>).</summary>
    public Task<JsonElement> ListContainersAsync(IEnumerable<string> labelFilters, CancellationToken cancellationToken = default)
    {
        var filters = new JsonObject { ["label"] = new JsonArray(labelFilters.Select(l => (JsonNode?)JsonValue.Create(l)).ToArray()) };
        return SendAsync(HttpMethod.Get, $"containers/json?all=true&filters={Uri.EscapeDataString(filters.ToJsonString())}", null, "list", cancellationToken);
    }

    /// <summary><c>GET /containers/{id}/stats?stream=false</c>.</summary>
    public Task<JsonElement> StatsAsync(string id, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Get, $"containers/{Uri.EscapeDataString(id)}/stats?stream=false", null, "stats", cancellationToken);

    /// <summary><c>POST /containers/{id}/exec</c>; returns the exec id.</summary>
    public async Task<string> CreateExecAsync(string containerId, JsonObject body, CancellationToken cancellationToken = default)
    {
        var answer = await SendAsync(HttpMethod.Post, $"containers/{Uri.EscapeDataString(containerId)}/exec", body, "exec create", cancellationToken);
        return answer.GetProperty("Id").GetString()!;
    }

    public Task<JsonElement> InspectExecAsync(string execId, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Get, $"exec/{Uri.EscapeDataString(execId)}/json", null, "exec inspect", cancellationToken);

    /// <summary>
    /// <c>POST /exec/{id}/start</c> with the connection hijacked: the raw socket (stdin one way, the multiplexed
    /// stdout/stderr frames the other) and any stream bytes read with the answer's head (<see cref="DockerExecHijack"/>).
    /// </summary>
    public Task<(Socket Socket, byte[] Leftover)> StartExecHijackedAsync(string execId, CancellationToken cancellationToken = default) =>
        DockerExecHijack.StartAsync(SocketPath, execId, cancellationToken);

    /// <summary><c>POST /images/create?fromSrc=-</c>: imports a root file system tarball as an image (no registry).</summary>
    public Task ImportImageAsync(Stream tarball, string repository, string tag, IEnumerable<string>? changes = null, CancellationToken cancellationToken = default) =>
        _images.ImportAsync(tarball, repository, tag, changes, cancellationToken);

    /// <summary><c>GET /images/{name}/json</c>, or null when there is no such image.</summary>
    public Task<DockerImage?> InspectImageAsync(string reference, CancellationToken cancellationToken = default) =>
        _images.InspectAsync(reference, cancellationToken);

    /// <summary><c>GET /images/json?filters=…</c>: the images carrying all the given labels.</summary>
    public Task<IReadOnlyList<DockerImage>> ListImagesAsync(IEnumerable<string> labelFilters, CancellationToken cancellationToken = default) =>
        _images.ListAsync(labelFilters, cancellationToken);

    /// <summary><c>POST /images/{name}/tag</c>.</summary>
    public Task TagImageAsync(string reference, string repository, string tag, CancellationToken cancellationToken = default) =>
        _images.TagAsync(reference, repository, tag, cancellationToken);

    /// <summary><c>POST /build</c> with a tar context; returns the new image id (<see cref="DockerImageApi.BuildAsync"/>).</summary>
    public Task<string> BuildImageAsync(HttpContent context, IEnumerable<string> tags, IReadOnlyDictionary<string, string> buildArgs, Action<string> output, CancellationToken cancellationToken = default) =>
        _images.BuildAsync(context, tags, buildArgs, output, cancellationToken);

    /// <summary><c>GET /networks/{name}</c>, or null when there is no such network.</summary>
    public async Task<JsonElement?> InspectNetworkAsync(string name, CancellationToken cancellationToken = default)
    {
        try
        {
            return await SendAsync(HttpMethod.Get, $"networks/{Uri.EscapeDataString(name)}", null, "network inspect", cancellationToken);
        }
        catch (SandboxEngineException e) when (e.IsNotFound)
        {
            return null;
        }
    }

    /// <summary><c>POST /networks/create</c>; returns the network id.</summary>
    public async Task<string> CreateNetworkAsync(JsonObject body, CancellationToken cancellationToken = default)
    {
        var answer = await SendAsync(HttpMethod.Post, "networks/create", body, "network create", cancellationToken);
        return answer.GetProperty("Id").GetString()!;
    }

    /// <summary><c>DELETE /networks/{name}</c>; a network that is already gone is not an error.</summary>
    public async Task RemoveNetworkAsync(string name, CancellationToken cancellationToken = default)
    {
        try
        {
            await SendAsync(HttpMethod.Delete, $"networks/{Uri.EscapeDataString(name)}", null, "network remove", cancellationToken);
        }
        catch (SandboxEngineException e) when (e.IsNotFound)
        {
        }
    }

    internal static string DaemonMessage(string text)
    {
        try
        {
            using var document = JsonDocument.Parse(text);
            if (document.RootElement.ValueKind == JsonValueKind.Object && document.RootElement.TryGetProperty("message", out var message))
            {
                return message.GetString() ?? text;
            }
        }
        catch (JsonException)
        {
        }

        text = text.Trim();
        return text.Length > 500 ? text[..500] : text;
    }

    public void Dispose() => _http.Dispose();

    internal async Task<JsonElement> SendAsync(HttpMethod method, string path, JsonObject? body, string operation, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, path);
        if (body is not null)
        {
            request.Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json");
        }

        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(request, cancellationToken);
        }
        catch (HttpRequestException e)
        {
            throw new SandboxEngineException(Engine, operation, 0, $"the Docker daemon does not answer on {SocketPath}: {e.Message}", e);
        }

        using (response)
        {
            var text = await response.Content.ReadAsStringAsync(cancellationToken);
            if (!response.IsSuccessStatusCode)
            {
                throw new SandboxEngineException(Engine, operation, (int)response.StatusCode, DaemonMessage(text));
            }

            if (response.StatusCode == HttpStatusCode.NoContent || string.IsNullOrWhiteSpace(text))
            {
                return default;
            }

            using var document = JsonDocument.Parse(text);
            return document.RootElement.Clone();
        }
    }

    private static async ValueTask<Stream> ConnectAsync(string path, CancellationToken cancellationToken)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(path), cancellationToken);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}

