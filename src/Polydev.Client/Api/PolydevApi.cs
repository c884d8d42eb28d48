using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Polydev.Contracts;
using Polydev.Contracts.Accounts;
using Polydev.Contracts.Egress;
using Polydev.Contracts.Executions;
using Polydev.Contracts.Login;
using Polydev.Contracts.Vault;

namespace Polydev.Client.Api;

/// <summary>
/// The typed API: one method per endpoint the client uses. Failures become one-line <see cref="CliException"/>s:
/// the server's problem <c>detail</c>, or which URL could not be reached.
/// </summary>
internal sealed class PolydevApi : IDisposable
{
    private static readonly string UserAgent = $"polydev-cli/{typeof(PolydevApi).Assembly.GetName().Version?.ToString(3) ?? "0"}";

    private readonly HttpClient _http;
    private readonly string _server;
    private readonly bool _signedIn;
    private readonly Lazy<HttpClient> _streaming;

    /// <param name="server">A URL from <see cref="ServerAddress"/>.</param>
    /// <param name="token">The bearer token; null for the anonymous endpoints (sign-up, login, recovery).</param>
    /// <param name="handler">Sends the requests (tests); the default is a new <see cref="HttpClientHandler"/> per client.</param>
    public PolydevApi(string server, string? token, HttpMessageHandler? handler = null)
    {
        _server = server;
        _signedIn = token is not null;
        _http = handler is null ? new HttpClient() : new HttpClient(handler, disposeHandler: false);
        _http.Timeout = TimeSpan.FromSeconds(100);
        _http.DefaultRequestHeaders.UserAgent.ParseAdd(UserAgent);
        if (token is not null)
        {
            _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        _streaming = new Lazy<HttpClient>(() =>
        {
            var streaming = handler is null ? new HttpClient() : new HttpClient(handler, disposeHandler: false);
            streaming.Timeout = Timeout.InfiniteTimeSpan;
            streaming.DefaultRequestHeaders.UserAgent.ParseAdd(UserAgent);
            streaming.DefaultRequestHeaders.Authorization = _http.DefaultRequestHeaders.Authorization;
            return streaming;
        });
    }

    // Accounts and sessions.
    public Task<AccountCreatedResponse> SignupAsync(SignupRequest request, CancellationToken ct) => SendAsync<AccountCreatedResponse>(HttpMethod.Post, ApiRoutes.Accounts, request, ct);

    public Task<PreloginResponse> PreloginAsync(string email, CancellationToken ct) => SendAsync<PreloginResponse>(HttpMethod.Post, ApiRoutes.Prelogin, new PreloginRequest(email), ct);

    public Task<LoginResponse> LoginAsync(LoginRequest request, CancellationToken ct) => SendAsync<LoginResponse>(HttpMethod.Post, ApiRoutes.Login, request, ct);

    public Task LogoutAsync(CancellationToken ct) => SendAsync(HttpMethod.Post, ApiRoutes.Logout, null, ct);

    public Task<AccountKeysResponse> GetAccountAsync(CancellationToken ct) => SendAsync<AccountKeysResponse>(HttpMethod.Get, ApiRoutes.Account, null, ct);

    public Task<AccountKeysResponse> RotateKeysAsync(RotateKeysRequest request, CancellationToken ct) => SendAsync<AccountKeysResponse>(HttpMethod.Put, ApiRoutes.AccountKeys, request, ct);

    public Task ChangePasswordAsync(ChangePasswordRequest request, CancellationToken ct) => SendAsync(HttpMethod.Put, ApiRoutes.AccountPassword, request, ct);

    public Task DeleteAccountAsync(DeleteAccountRequest request, CancellationToken ct) => SendAsync(HttpMethod.Post, ApiRoutes.AccountDelete, request, ct);

    public Task<RecoveryVerifyResponse> RecoveryVerifyAsync(RecoveryVerifyRequest request, CancellationToken ct) => SendAsync<RecoveryVerifyResponse>(HttpMethod.Post, ApiRoutes.RecoveryVerify, request, ct);

    public Task RecoveryResetAsync(RecoveryResetRequest request, CancellationToken ct) => SendAsync(HttpMethod.Post, ApiRoutes.RecoveryReset, request, ct);

    // API tokens.
    public Task<ApiTokenCreatedResponse> CreateTokenAsync(CreateApiTokenRequest request, CancellationToken ct) => SendAsync<ApiTokenCreatedResponse>(HttpMethod.Post, ApiRoutes.Tokens, request, ct);

    public Task<List<SessionResponse>> ListTokensAsync(CancellationToken ct) => SendAsync<List<SessionResponse>>(HttpMethod.Get, ApiRoutes.Tokens, null, ct);

    public Task RevokeTokenAsync(Guid id, CancellationToken ct) => SendAsync(HttpMethod.Delete, ApiRoutes.Token(id), null, ct);

    // Chats.
    public Task<List<ChatResponse>> ListChatsAsync(CancellationToken ct) => AllPagesAsync<ChatResponse>(ApiRoutes.Chats, ct);

    public Task<ChatResponse> GetChatAsync(Guid id, CancellationToken ct) => SendAsync<ChatResponse>(HttpMethod.Get, ApiRoutes.Chat(id), null, ct);

    public Task<ChatResponse> UpdateChatAsync(Guid id, UpdateChatRequest request, CancellationToken ct) => SendAsync<ChatResponse>(HttpMethod.Put, ApiRoutes.Chat(id), request, ct);

    public Task DeleteChatAsync(Guid id, CancellationToken ct) => SendAsync(HttpMethod.Delete, ApiRoutes.Chat(id), null, ct);

    public Task<ChatResponse> CreateChatAsync(CreateChatRequest request, CancellationToken ct) => SendAsync<ChatResponse>(HttpMethod.Post, ApiRoutes.Chats, request, ct);

    public Task<List<MessageResponse>> ListMessagesAsync(Guid chatId, CancellationToken ct) => AllPagesAsync<MessageResponse>(ApiRoutes.Messages(chatId), ct);

    public Task<MessageCreatedResponse> CreateMessageAsync(Guid chatId, CreateMessageRequest request, CancellationToken ct) => SendAsync<MessageCreatedResponse>(HttpMethod.Post, ApiRoutes.Messages(chatId), request, ct);

    public Task<MessageResponse> UpdateMessageAsync(Guid chatId, Guid messageId, UpdateMessageRequest request, CancellationToken ct) => SendAsync<MessageResponse>(HttpMethod.Put, ApiRoutes.Message(chatId, messageId), request, ct);

    // Provider credentials.
    public Task<List<CredentialResponse>> ListCredentialsAsync(string? provider, CancellationToken ct) =>
        AllPagesAsync<CredentialResponse>(provider is null ? ApiRoutes.Credentials : $"{ApiRoutes.Credentials}?provider={Uri.EscapeDataString(provider)}", ct);

    public Task<CredentialResponse> GetCredentialAsync(Guid id, CancellationToken ct) => SendAsync<CredentialResponse>(HttpMethod.Get, ApiRoutes.Credential(id), null, ct);

    public Task<CredentialResponse> CreateCredentialAsync(CreateCredentialRequest request, CancellationToken ct) => SendAsync<CredentialResponse>(HttpMethod.Post, ApiRoutes.Credentials, request, ct);

    public Task<CredentialResponse> UpdateCredentialAsync(Guid id, UpdateCredentialRequest request, CancellationToken ct) => SendAsync<CredentialResponse>(HttpMethod.Put, ApiRoutes.Credential(id), request, ct);

    public Task DeleteCredentialAsync(Guid id, CancellationToken ct) => SendAsync(HttpMethod.Delete, ApiRoutes.Credential(id), null, ct);

    // Egress.
    /// <summary>The server's readiness check (<c>/health/ready</c>): returns when it is ready, else a <see cref="CliException"/> saying why not.</summary>
    public Task ReadyAsync(CancellationToken ct) => SendAsync(HttpMethod.Get, "/health/ready", null, ct);

    public Task<RuntimesResponse> GetRuntimesAsync(CancellationToken ct) => SendAsync<RuntimesResponse>(HttpMethod.Get, ApiRoutes.Runtimes, null, ct);

    public Task<EgressStatusResponse> GetEgressAsync(CancellationToken ct) => SendAsync<EgressStatusResponse>(HttpMethod.Get, ApiRoutes.Egress, null, ct);

    public Task<EgressCheckResponse> CheckEgressAsync(CancellationToken ct) => SendAsync<EgressCheckResponse>(HttpMethod.Post, ApiRoutes.EgressCheck, null, ct);

    public Task<EgressTokenCreatedResponse> CreateEgressTokenAsync(CreateEgressTokenRequest request, CancellationToken ct) =>
        SendAsync<EgressTokenCreatedResponse>(HttpMethod.Post, ApiRoutes.EgressTokens, request, ct);

    // Executions.
    public Task<ExecutionCreatedResponse> CreateExecutionAsync(CreateExecutionRequest request, CancellationToken ct) =>
        SendAsync<ExecutionCreatedResponse>(HttpMethod.Post, ApiRoutes.Executions, request, ct);

    public Task<ExecutionResponse> StartExecutionAsync(Guid id, StartExecutionRequest request, CancellationToken ct) =>
        SendAsync<ExecutionResponse>(HttpMethod.Post, ApiRoutes.ExecutionStart(id), request, ct);

    public Task<ExecutionResponse> GetExecutionAsync(Guid id, CancellationToken ct) => SendAsync<ExecutionResponse>(HttpMethod.Get, ApiRoutes.Execution(id), null, ct);

    public Task<ExecutionResponse> CancelExecutionAsync(Guid id, CancellationToken ct) => SendAsync<ExecutionResponse>(HttpMethod.Post, ApiRoutes.ExecutionCancel(id), null, ct);

    // Login sessions. The terminal only starts, watches and ends them: the viewer (web client) seals and opens them.
    public Task<LoginSessionCreatedResponse> StartLoginSessionAsync(CancellationToken ct, string? connect = null) =>
        SendAsync<LoginSessionCreatedResponse>(HttpMethod.Post, ApiRoutes.LoginSessions, connect is null ? null : new StartLoginSessionRequest(connect), ct);

    public Task<LoginSessionCredentialResponse> GetLoginSessionCredentialAsync(Guid id, CancellationToken ct) =>
        SendAsync<LoginSessionCredentialResponse>(HttpMethod.Get, ApiRoutes.LoginSessionCredential(id), null, ct);

    public Task<List<LoginSessionResponse>> ListLoginSessionsAsync(CancellationToken ct) => SendAsync<List<LoginSessionResponse>>(HttpMethod.Get, ApiRoutes.LoginSessions, null, ct);

    public Task<LoginSessionResponse> GetLoginSessionAsync(Guid id, CancellationToken ct) => SendAsync<LoginSessionResponse>(HttpMethod.Get, ApiRoutes.LoginSession(id), null, ct);

    public Task<LoginSessionResponse> EndLoginSessionAsync(Guid id, CancellationToken ct) => SendAsync<LoginSessionResponse>(HttpMethod.Delete, ApiRoutes.LoginSession(id), null, ct);

    /// <summary>
    /// The execution's output frames from <paramref name="from"/> on, as a stream that stays open while the
    /// execution runs (no overall timeout: an answer may take minutes). Dispose the response to stop.
    /// </summary>
    public async Task<Stream> OpenExecutionStreamAsync(Guid id, long from, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, _server + ApiRoutes.ExecutionStream(id, from));
        HttpResponseMessage response;
        try
        {
            response = await _streaming.Value.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
        }
        catch (HttpRequestException e)
        {
            throw new IOException($"cannot reach the Polydev server at {_server}: {e.InnerException?.Message ?? e.Message}", e);
        }

        if (!response.IsSuccessStatusCode)
        {
            using (response)
            {
                throw await ToExceptionAsync(response, ct);
            }
        }

        return await response.Content.ReadAsStreamAsync(ct);
    }

    public void Dispose()
    {
        _http.Dispose();
        if (_streaming.IsValueCreated)
        {
            _streaming.Value.Dispose();
        }
    }

    /// <summary>Follows <c>nextCursor</c> until the last page, at the largest page size the server allows.</summary>
    private async Task<List<T>> AllPagesAsync<T>(string route, CancellationToken ct)
    {
        var items = new List<T>();
        string? cursor = null;
        var separator = route.Contains('?', StringComparison.Ordinal) ? '&' : '?';
        do
        {
            var pageRoute = $"{route}{separator}limit=200" + (cursor is null ? "" : $"&cursor={Uri.EscapeDataString(cursor)}");
            var page = await SendAsync<Page<T>>(HttpMethod.Get, pageRoute, null, ct);
            items.AddRange(page.Items);
            cursor = page.NextCursor;
        }
        while (cursor is not null);

        return items;
    }

    private async Task<T> SendAsync<T>(HttpMethod method, string route, object? body, CancellationToken ct)
    {
        using var response = await SendCoreAsync(method, route, body, ct);
        try
        {
            return await response.Content.ReadFromJsonAsync<T>(PolydevJson.Options, ct)
                ?? throw new JsonException("The response body is null.");
        }
        catch (Exception e) when (e is JsonException or NotSupportedException)
        {
            throw new CliException($"the server at {_server} sent an answer this client does not understand; is it a Polydev server of the same version?");
        }
    }

    private async Task SendAsync(HttpMethod method, string route, object? body, CancellationToken ct)
    {
        using var response = await SendCoreAsync(method, route, body, ct);
    }

    private async Task<HttpResponseMessage> SendCoreAsync(HttpMethod method, string route, object? body, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(method, _server + route);
        if (body is not null)
        {
            request.Content = PolydevJson.ToContent(body);
        }

        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(request, ct);
        }
        catch (HttpRequestException e)
        {
            var reason = e.InnerException?.Message ?? e.Message;
            throw new CliException($"cannot reach the Polydev server at {_server} ({reason.TrimEnd('.')}); is it running? Choose another with --server or POLYDEV_SERVER.");
        }
        catch (TaskCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new CliException($"the Polydev server at {_server} did not answer within {_http.Timeout.TotalSeconds:0} seconds.");
        }

        if (response.IsSuccessStatusCode)
        {
            return response;
        }

        using (response)
        {
            throw await ToExceptionAsync(response, ct);
        }
    }

    private async Task<ApiException> ToExceptionAsync(HttpResponseMessage response, CancellationToken ct)
    {
        var detail = await ProblemDetail.ReadAsync(response, ct)
            ?? $"the server at {_server} answered {(int)response.StatusCode} {response.ReasonPhrase}.";
        if (response.StatusCode == HttpStatusCode.Unauthorized && _signedIn)
        {
            detail = $"{detail.TrimEnd('.')}. Run `polydev login`.";
        }

        return new ApiException(response.StatusCode, detail);
    }
}
