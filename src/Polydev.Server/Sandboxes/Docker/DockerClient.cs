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
    private const string Engine = "docker";

    private readonly HttpClient _http;

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
    /// <c>POST /exec/{id}/start</c> with the connection hijacked (<c>Upgrade: tcp</c>): returns the raw
    /// socket, stdin one way and the multiplexed stdout/stderr frames the other, plus any bytes of the
    /// stream already read with the answer's head. Not through HttpClient: closing stdin needs a
    /// half-close of the socket.
    /// </summary>
    public async Task<(Socket Socket, byte[] Leftover)> StartExecHijackedAsync(string execId, CancellationToken cancellationToken = default)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(SocketPath), cancellationToken);
            var body = "{\"Detach\":false,\"Tty\":false}";
            var request =
                $"POST /{ApiVersion}/exec/{Uri.EscapeDataString(execId)}/start HTTP/1.1\r\n" +
                "Host: docker\r\nContent-Type: application/json\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n" +
                $"Content-Length: {body.Length}\r\n\r\n{body}";
            await socket.SendAsync(Encoding.ASCII.GetBytes(request), SocketFlags.None, cancellationToken);

            var buffer = new byte[16 * 1024];
            var filled = 0;
            int headEnd;
            while ((headEnd = buffer.AsSpan(0, filled).IndexOf("\r\n\r\n"u8)) < 0)
            {
                if (filled == buffer.Length)
                {
                    throw new SandboxEngineException(Engine, "exec start", 502, "answer head too large");
                }

                var read = await socket.ReceiveAsync(buffer.AsMemory(filled), SocketFlags.None, cancellationToken);
                if (read == 0)
                {
                    throw new SandboxEngineException(Engine, "exec start", 502, "daemon closed the connection before answering");
                }

                filled += read;
            }

            var head = Encoding.ASCII.GetString(buffer, 0, headEnd);
            var statusLine = head.Split("\r\n")[0].Split(' ', 3);
            var status = statusLine.Length >= 2 && int.TryParse(statusLine[1], out var s) ? s : 502;
            var leftover = buffer.AsSpan(headEnd + 4, filled - headEnd - 4).ToArray();
            if (status is 101 or 200)
            {
                return (socket, leftover);
            }

            // An error answer: its (small) body holds the daemon's message.
            using var rest = new MemoryStream();
            rest.Write(leftover);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(5));
            try
            {
                int read;
                while (rest.Length < 64 * 1024 && (read = await socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token)) > 0)
                {
                    rest.Write(buffer, 0, read);
                }
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
            }

            throw new SandboxEngineException(Engine, "exec start", status, DaemonMessage(Encoding.UTF8.GetString(rest.ToArray())));
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>
    /// <c>POST /images/create?fromSrc=-</c>: imports a root file system tarball as an image (no registry).
    /// <paramref name="changes"/> are Dockerfile instructions applied to it, e.g. <c>LABEL k=v</c>.
    /// </summary>
    public async Task ImportImageAsync(Stream tarball, string repository, string tag, IEnumerable<string>? changes = null, CancellationToken cancellationToken = default)
    {
        var query = $"images/create?fromSrc=-&repo={Uri.EscapeDataString(repository)}&tag={Uri.EscapeDataString(tag)}";
        foreach (var change in changes ?? [])
        {
            query += $"&changes={Uri.EscapeDataString(change)}";
        }

        using var content = new StreamContent(tarball);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/x-tar");
        using var request = new HttpRequestMessage(HttpMethod.Post, query) { Content = content };
        using var response = await _http.SendAsync(request, cancellationToken);
        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw new SandboxEngineException(Engine, "image import", (int)response.StatusCode, DaemonMessage(text));
        }

        // The daemon answers 200 with a progress stream; a failure shows as an "error" line in it.
        foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            using var document = JsonDocument.Parse(line);
            if (document.RootElement.TryGetProperty("error", out var error))
            {
                throw new SandboxEngineException(Engine, "image import", 500, error.GetString() ?? "import failed");
            }
        }
    }

    /// <summary><c>GET /images/{name}/json</c>: id, tags, labels, size and creation time, or null when there is no such image.</summary>
    public async Task<DockerImage?> InspectImageAsync(string reference, CancellationToken cancellationToken = default)
    {
        try
        {
            var image = await SendAsync(HttpMethod.Get, $"images/{reference}/json", null, "image inspect", cancellationToken);
            var config = image.TryGetProperty("Config", out var c) && c.ValueKind == JsonValueKind.Object ? c : default;
            return new DockerImage(
                image.GetProperty("Id").GetString()!,
                Strings(image, "RepoTags"),
                config.ValueKind == JsonValueKind.Object ? Labels(config) : new Dictionary<string, string>(),
                image.GetProperty("Size").GetInt64(),
                DateTimeOffset.Parse(image.GetProperty("Created").GetString()!, System.Globalization.CultureInfo.InvariantCulture));
        }
        catch (SandboxEngineException e) when (e.IsNotFound)
        {
            return null;
        }
    }

    /// <summary><c>GET /images/json?filters={"label":[...]}</c>: the images carrying all the given labels (<c>key</c> or <c>key=value</c>).</summary>
    public async Task<IReadOnlyList<DockerImage>> ListImagesAsync(IEnumerable<string> labelFilters, CancellationToken cancellationToken = default)
    {
        var filters = new JsonObject { ["label"] = new JsonArray(labelFilters.Select(l => (JsonNode?)JsonValue.Create(l)).ToArray()) };
        var images = await SendAsync(HttpMethod.Get, $"images/json?filters={Uri.EscapeDataString(filters.ToJsonString())}", null, "image list", cancellationToken);
        return images.EnumerateArray().Select(image => new DockerImage(
            image.GetProperty("Id").GetString()!,
            Strings(image, "RepoTags"),
            Labels(image),
            image.GetProperty("Size").GetInt64(),
            DateTimeOffset.FromUnixTimeSeconds(image.GetProperty("Created").GetInt64()))).ToList();
    }

    /// <summary><c>POST /images/{name}/tag</c>: adds <c>repository:tag</c> to an image (moving the tag if another image had it).</summary>
    public Task TagImageAsync(string reference, string repository, string tag, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Post, $"images/{reference}/tag?repo={Uri.EscapeDataString(repository)}&tag={Uri.EscapeDataString(tag)}", null, "image tag", cancellationToken);

    /// <summary>
    /// <c>POST /build</c> with a tar context (the classic builder: Dockerfile at the context's root), tagged with every
    /// reference in <paramref name="tags"/>. The daemon's output lines go to <paramref name="output"/> as they arrive;
    /// an error in the stream (a failing step) throws with the daemon's message. Returns the new image id.
    /// </summary>
    public async Task<string> BuildImageAsync(HttpContent context, IEnumerable<string> tags, IReadOnlyDictionary<string, string> buildArgs, Action<string> output, CancellationToken cancellationToken = default)
    {
        var args = new JsonObject();
        foreach (var (key, value) in buildArgs)
        {
            args[key] = value;
        }

        var query = "build?dockerfile=Dockerfile&rm=1&forcerm=1&q=0&buildargs=" + Uri.EscapeDataString(args.ToJsonString());
        foreach (var tag in tags)
        {
            query += $"&t={Uri.EscapeDataString(tag)}";
        }

        using var request = new HttpRequestMessage(HttpMethod.Post, query) { Content = context };
        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        }
        catch (HttpRequestException e)
        {
            throw new SandboxEngineException(Engine, "image build", 0, $"the Docker daemon does not answer on {SocketPath}: {e.Message}", e);
        }

        using (response)
        {
            if (!response.IsSuccessStatusCode)
            {
                throw new SandboxEngineException(Engine, "image build", (int)response.StatusCode, DaemonMessage(await response.Content.ReadAsStringAsync(cancellationToken)));
            }

            string? imageId = null;
            using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(cancellationToken), Encoding.UTF8);
            while (await reader.ReadLineAsync(cancellationToken) is { } line)
            {
                if (string.IsNullOrWhiteSpace(line))
                {
                    continue;
                }

                using var message = JsonDocument.Parse(line);
                var root = message.RootElement;
                if (root.TryGetProperty("error", out var error))
                {
                    throw new SandboxEngineException(Engine, "image build", 500, (error.GetString() ?? "build failed").Trim());
                }

                if (root.TryGetProperty("stream", out var stream) && stream.GetString() is { } text)
                {
                    foreach (var part in text.Split('\n', StringSplitOptions.RemoveEmptyEntries))
                    {
                        output(part.TrimEnd('\r'));
                    }
                }
                else if (root.TryGetProperty("status", out var status) && status.GetString() is { Length: > 0 } statusText)
                {
                    output(statusText);
                }

                if (root.TryGetProperty("aux", out var aux) && aux.ValueKind == JsonValueKind.Object && aux.TryGetProperty("ID", out var id))
                {
                    imageId = id.GetString();
                }
            }

            return imageId ?? throw new SandboxEngineException(Engine, "image build", 500, "the daemon ended the build without an image id");
        }
    }

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

    public void Dispose() => _http.Dispose();

    private async Task<JsonElement> SendAsync(HttpMethod method, string path, JsonObject? body, string operation, CancellationToken cancellationToken)
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

    private static IReadOnlyList<string> Strings(JsonElement element, string property) =>
        element.TryGetProperty(property, out var array) && array.ValueKind == JsonValueKind.Array
            ? array.EnumerateArray().Select(e => e.GetString() ?? "").Where(s => s.Length > 0 && s != "<none>:<none>").ToList()
            : [];

    private static IReadOnlyDictionary<string, string> Labels(JsonElement element) =>
        element.TryGetProperty("Labels", out var labels) && labels.ValueKind == JsonValueKind.Object
            ? labels.EnumerateObject().ToDictionary(l => l.Name, l => l.Value.GetString() ?? "", StringComparer.Ordinal)
            : new Dictionary<string, string>(StringComparer.Ordinal);

    private static string DaemonMessage(string text)
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

/// <summary>An image as the daemon describes it.</summary>
/// <param name="Id">The image id (<c>sha256:…</c>).</param>
/// <param name="Tags">Its <c>repository:tag</c> references.</param>
/// <param name="Labels">Its configuration's labels (e.g. <c>dev.polydev.image-version</c>).</param>
/// <param name="Size">Bytes on disk, layers shared with other images included.</param>
public sealed record DockerImage(string Id, IReadOnlyList<string> Tags, IReadOnlyDictionary<string, string> Labels, long Size, DateTimeOffset Created);
