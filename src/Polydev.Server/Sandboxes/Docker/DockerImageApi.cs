using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Polydev.Server.Sandboxes.Docker;

/// <summary>The image endpoints of the Engine API (import, inspect, list, tag, build), for <see cref="DockerClient"/>.</summary>
internal sealed class DockerImageApi(DockerClient client, HttpClient http)
{
    /// <summary>
    /// <c>POST /images/create?fromSrc=-</c>: imports a root file system tarball as an image (no registry).
    /// <paramref name="changes"/> are Dockerfile instructions applied to it, e.g. <c>LABEL k=v</c>.
    /// </summary>
    public async Task ImportAsync(Stream tarball, string repository, string tag, IEnumerable<string>? changes = null, CancellationToken cancellationToken = default)
    {
        var query = $"images/create?fromSrc=-&repo={Uri.EscapeDataString(repository)}&tag={Uri.EscapeDataString(tag)}";
        foreach (var change in changes ?? [])
        {
            query += $"&changes={Uri.EscapeDataString(change)}";
        }

        using var content = new StreamContent(tarball);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/x-tar");
        using var request = new HttpRequestMessage(HttpMethod.Post, query) { Content = content };
        using var response = await http.SendAsync(request, cancellationToken);
        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw new SandboxEngineException(DockerClient.Engine, "image import", (int)response.StatusCode, DockerClient.DaemonMessage(text));
        }

        // The daemon answers 200 with a progress stream; a failure shows as an "error" line in it.
        foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            using var document = JsonDocument.Parse(line);
            if (document.RootElement.TryGetProperty("error", out var error))
            {
                throw new SandboxEngineException(DockerClient.Engine, "image import", 500, error.GetString() ?? "import failed");
            }
        }
    }

    /// <summary><c>GET /images/{name}/json</c>: id, tags, labels, size and creation time, or null when there is no such image.</summary>
    public async Task<DockerImage?> InspectAsync(string reference, CancellationToken cancellationToken = default)
    {
        try
        {
            var image = await client.SendAsync(HttpMethod.Get, $"images/{reference}/json", null, "image inspect", cancellationToken);
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
    public async Task<IReadOnlyList<DockerImage>> ListAsync(IEnumerable<string> labelFilters, CancellationToken cancellationToken = default)
    {
        var filters = new JsonObject { ["label"] = new JsonArray(labelFilters.Select(l => (JsonNode?)JsonValue.Create(l)).ToArray()) };
        var images = await client.SendAsync(HttpMethod.Get, $"images/json?filters={Uri.EscapeDataString(filters.ToJsonString())}", null, "image list", cancellationToken);
        return images.EnumerateArray().Select(image => new DockerImage(
            image.GetProperty("Id").GetString()!,
            Strings(image, "RepoTags"),
            Labels(image),
            image.GetProperty("Size").GetInt64(),
            DateTimeOffset.FromUnixTimeSeconds(image.GetProperty("Created").GetInt64()))).ToList();
    }

    /// <summary><c>POST /images/{name}/tag</c>: adds <c>repository:tag</c> to an image (moving the tag if another image had it).</summary>
    public Task TagAsync(string reference, string repository, string tag, CancellationToken cancellationToken = default) =>
        client.SendAsync(HttpMethod.Post, $"images/{reference}/tag?repo={Uri.EscapeDataString(repository)}&tag={Uri.EscapeDataString(tag)}", null, "image tag", cancellationToken);

    /// <summary>
    /// <c>POST /build</c> with a tar context (the classic builder: Dockerfile at the context's root), tagged with every
    /// reference in <paramref name="tags"/>. The daemon's output lines go to <paramref name="output"/> as they arrive;
    /// an error in the stream (a failing step) throws with the daemon's message. Returns the new image id.
    /// </summary>
    public async Task<string> BuildAsync(HttpContent context, IEnumerable<string> tags, IReadOnlyDictionary<string, string> buildArgs, Action<string> output, CancellationToken cancellationToken = default)
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
            response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        }
        catch (HttpRequestException e)
        {
            throw new SandboxEngineException(DockerClient.Engine, "image build", 0, $"the Docker daemon does not answer on {client.SocketPath}: {e.Message}", e);
        }

        using (response)
        {
            if (!response.IsSuccessStatusCode)
            {
                throw new SandboxEngineException(DockerClient.Engine, "image build", (int)response.StatusCode, DockerClient.DaemonMessage(await response.Content.ReadAsStringAsync(cancellationToken)));
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
                    throw new SandboxEngineException(DockerClient.Engine, "image build", 500, (error.GetString() ?? "build failed").Trim());
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

            return imageId ?? throw new SandboxEngineException(DockerClient.Engine, "image build", 500, "the daemon ended the build without an image id");
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
}

/// <summary>An image as the daemon describes it.</summary>
/// <param name="Id">The image id (<c>sha256:…</c>).</param>
/// <param name="Tags">Its <c>repository:tag</c> references.</param>
/// <param name="Labels">Its configuration's labels (e.g. <c>dev.polydev.image-version</c>).</param>
/// <param name="Size">Bytes on disk, layers shared with other images included.</param>
public sealed record DockerImage(string Id, IReadOnlyList<string> Tags, IReadOnlyDictionary<string, string> Labels, long Size, DateTimeOffset Created);
