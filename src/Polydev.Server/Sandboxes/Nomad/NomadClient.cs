using System.Net;
using System.Net.Security;
using System.Net.WebSockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Polydev.Server.Sandboxes.Nomad;

/// <summary>
/// The part of Nomad's HTTP API (<c>/v1</c>) that sandboxes need, with its conventions: the ACL token in
/// <c>X-Nomad-Token</c>, <c>region</c> and <c>namespace</c> on every request, blocking queries (<c>index</c>,
/// <c>wait</c>, answered with <c>X-Nomad-Index</c>), TLS with the cluster's CA and a client certificate. Errors become
/// <see cref="SandboxEngineException"/> with Nomad's own message (its error bodies are plain text).
/// </summary>
public sealed class NomadClient : IDisposable
{
    internal const string Engine = "nomad";

    private readonly HttpClient _http;
    private readonly NomadEngineOptions _options;
    private readonly SocketsHttpHandler _handler;

    public NomadClient(NomadEngineOptions options)
    {
        _options = options;
        _handler = new SocketsHttpHandler
        {
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(60),
            MaxConnectionsPerServer = 256,
            SslOptions = Tls(options),
        };
        _http = new HttpClient(_handler, disposeHandler: false)
        {
            BaseAddress = new Uri(options.Address.TrimEnd('/') + "/"),
            Timeout = Timeout.InfiniteTimeSpan,
        };
        if (!string.IsNullOrEmpty(options.Token))
        {
            _http.DefaultRequestHeaders.Add("X-Nomad-Token", options.Token);
        }
    }

    /// <summary>One answer of a read: the body and the index to block on next.</summary>
    public readonly record struct Read(JsonElement Body, ulong Index);

    public async Task<bool> PingAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            await GetAsync("v1/agent/self", "ping", cancellationToken);
            return true;
        }
        catch (SandboxEngineException)
        {
            return false;
        }
    }

    public Task<Read> GetAsync(string path, string operation, CancellationToken cancellationToken, ulong index = 0, TimeSpan? wait = null) =>
        SendAsync(HttpMethod.Get, path, null, operation, cancellationToken, index, wait);

    public Task<Read> PostAsync(string path, JsonObject body, string operation, CancellationToken cancellationToken) =>
        SendAsync(HttpMethod.Post, path, body, operation, cancellationToken);

    public Task<Read> DeleteAsync(string path, string operation, CancellationToken cancellationToken) =>
        SendAsync(HttpMethod.Delete, path, null, operation, cancellationToken);

    /// <summary>Opens <c>/v1/client/allocation/:id/exec</c> (a WebSocket) for <paramref name="command"/> in <paramref name="task"/>.</summary>
    public async Task<WebSocket> ExecAsync(string allocationId, string task, IReadOnlyList<string> command, CancellationToken cancellationToken)
    {
        var socket = new ClientWebSocket();
        socket.Options.KeepAliveInterval = TimeSpan.Zero;
        if (!string.IsNullOrEmpty(_options.Token))
        {
            socket.Options.SetRequestHeader("X-Nomad-Token", _options.Token);
        }

        var query = $"task={Uri.EscapeDataString(task)}&tty=false&command={Uri.EscapeDataString(JsonSerializer.Serialize(command, NomadJson.Default.IReadOnlyListString))}";
        var uri = new UriBuilder(Url($"v1/client/allocation/{Uri.EscapeDataString(allocationId)}/exec", query))
        {
            Scheme = _http.BaseAddress!.Scheme == Uri.UriSchemeHttps ? "wss" : "ws",
        }.Uri;
        try
        {
            using var invoker = new HttpMessageInvoker(_handler, disposeHandler: false);
            socket.Options.CollectHttpResponseDetails = true;
            await socket.ConnectAsync(uri, invoker, cancellationToken);
            return socket;
        }
        catch (WebSocketException e)
        {
            var status = (int)socket.HttpStatusCode;
            socket.Dispose();
            throw new SandboxEngineException(Engine, "exec", status, status == 0
                ? $"the Nomad agent at {_options.Address} refused the exec connection: {e.Message}"
                : $"the Nomad agent answered {status} to the exec request", e);
        }
    }

    public void Dispose()
    {
        _http.Dispose();
        _handler.Dispose();
    }

    private Uri Url(string path, string? query = null, ulong index = 0, TimeSpan? wait = null)
    {
        var parameters = new List<string>();
        if (query is not null)
        {
            parameters.Add(query);
        }

        if (_options.Region is { } region)
        {
            parameters.Add("region=" + Uri.EscapeDataString(region));
        }

        if (!path.Contains("namespace=", StringComparison.Ordinal))
        {
            parameters.Add("namespace=" + Uri.EscapeDataString(_options.Namespace));
        }

        if (wait is { } w)
        {
            parameters.Add($"index={index}&wait={(int)Math.Ceiling(w.TotalSeconds)}s");
        }

        var separator = path.Contains('?', StringComparison.Ordinal) ? "&" : "?";
        return new Uri(_http.BaseAddress!, path + (parameters.Count == 0 ? "" : separator + string.Join('&', parameters)));
    }

    private async Task<Read> SendAsync(HttpMethod method, string path, JsonObject? body, string operation, CancellationToken cancellationToken, ulong index = 0, TimeSpan? wait = null)
    {
        using var request = new HttpRequestMessage(method, Url(path, index: index, wait: wait));
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
            throw new SandboxEngineException(Engine, operation, 0, $"the Nomad agent at {_options.Address} does not answer: {e.Message}", e);
        }

        using (response)
        {
            var text = await response.Content.ReadAsStringAsync(cancellationToken);
            if (!response.IsSuccessStatusCode)
            {
                throw new SandboxEngineException(Engine, operation, (int)response.StatusCode, Message(response.StatusCode, text));
            }

            var next = response.Headers.TryGetValues("X-Nomad-Index", out var values) && ulong.TryParse(values.FirstOrDefault(), out var i) ? i : 0;
            if (string.IsNullOrWhiteSpace(text))
            {
                return new Read(default, next);
            }

            using var document = JsonDocument.Parse(text);
            return new Read(document.RootElement.Clone(), next);
        }
    }

    /// <summary>Nomad's error text, with what an operator should do for the two a setting causes.</summary>
    private string Message(HttpStatusCode status, string text)
    {
        text = text.Trim();
        if (text.Length > 500)
        {
            text = text[..500];
        }

        return status switch
        {
            HttpStatusCode.Forbidden => $"{text} — the ACL token in Sandboxes:Nomad:Token lacks a capability (docs/nomad.md lists the policy it needs)",
            HttpStatusCode.Unauthorized => $"{text} — Sandboxes:Nomad:Token is missing or unknown to the cluster",
            _ => text,
        };
    }

    private static SslClientAuthenticationOptions Tls(NomadEngineOptions options)
    {
        var tls = new SslClientAuthenticationOptions();
        if (options.TlsServerName is { } name)
        {
            tls.TargetHost = name;
        }

        if (options.ClientCertificate is { } certificate && options.ClientKey is { } key)
        {
            using var pem = X509Certificate2.CreateFromPemFile(certificate, key);
            // Exported and re-imported: SslStream needs a key it can use, which an ephemeral PEM key is not on every platform.
            tls.ClientCertificates = [X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null)];
        }

        if (options.CaCertificate is { } caFile)
        {
            var authorities = new X509Certificate2Collection();
            authorities.ImportFromPemFile(caFile);
            tls.RemoteCertificateValidationCallback = (_, presented, _, errors) =>
            {
                if (presented is null || (errors & ~SslPolicyErrors.RemoteCertificateChainErrors) != SslPolicyErrors.None)
                {
                    return false;
                }

                using var chain = new X509Chain();
                chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                chain.ChainPolicy.CustomTrustStore.AddRange(authorities);
                chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                return chain.Build(X509CertificateLoader.LoadCertificate(presented.GetRawCertData()));
            };
        }

        return tls;
    }
}
