using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Polydev.EndToEnd.Tests.Executions;
using Polydev.EndToEnd.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Polydev.EndToEnd.Tests.Probe;

/// <summary>
/// The black-box probe the outside reviews ran by hand (docs/security.md, "The black-box probe"), against a real server
/// with a real sandbox run behind it. Every operation of the OpenAPI document is called as another user, with no token
/// and with bad tokens (none may succeed or change the owner's data), then with a bad-input corpus (none may answer
/// 5xx), then as the owner; afterwards the owner's password, prompt, API key and the model's answer are searched for in
/// the database, the logs, the metrics and <c>docker inspect</c>. The figures are printed for docs/security.md.
/// </summary>
[Collection(SandboxCollection.Name)]
public sealed class BlackBoxProbeTests(ITestOutputHelper output)
{
    private const string Provider = "anthropic";

    /// <summary>Operations anyone may call: signing up and in, recovery, health and the API description.</summary>
    private static readonly HashSet<string> Anonymous =
    [
        "POST /api/accounts", "POST /api/auth/prelogin", "POST /api/auth/login", "POST /api/auth/recovery/verify",
        "POST /api/auth/recovery/reset", "GET /health/live", "GET /health/ready",
    ];

    /// <summary>The owner's last calls, in this order: each ends something the calls before it need.</summary>
    private static readonly string[] Ending =
    [
        "DELETE /api/auth/sessions/{id}", "DELETE /api/auth/sessions", "POST /api/account/delete", "POST /api/auth/logout",
    ];

    /// <summary>Operations whose owner call depends on a service outside the server (5xx problem answers allowed there).</summary>
    private static readonly HashSet<string> Upstream = ["POST /api/egress/check"];

    private readonly HttpClient _http = new(new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = false }) { Timeout = TimeSpan.FromSeconds(60) };
    private readonly List<string> _failures = [];
    private int _requests;

    [Fact]
    public async Task Probe_finds_no_cross_user_access_no_5xx_and_no_canary()
    {
        await using var provider = await ProviderUnderTest.StartAsync(Provider);
        provider.Stub.Answer = Needles.Canary("output");
        var ownerEmail = $"probe-owner-{Guid.NewGuid():N}@example.com";
        await using var server = await SandboxedServer.StartAsync([Provider], SandboxedServer.NewServerId(), ServerProcess.FreePort(), moreSettings: new Dictionary<string, string?>
        {
            // The probe signs up and fails logins far more often than a person; the limits themselves have their own tests.
            ["POLYDEV_ACCOUNTS__RATELIMITS__SIGNUP__LIMIT"] = "100000",
            ["POLYDEV_ACCOUNTS__RATELIMITS__LOGIN__LIMIT"] = "100000",
            ["POLYDEV_ACCOUNTS__RATELIMITS__PRELOGIN__LIMIT"] = "100000",
            // The owner is an operator too, so the admin operations have an owner call that must succeed.
            ["POLYDEV_ADMIN__EMAILS__0"] = ownerEmail,
            // A login session of the owner's (a cold login sandbox: nothing is kept warm for the probe).
            ["POLYDEV_SANDBOXES__RUNTIMES__login__ENABLED"] = "true",
            ["POLYDEV_SANDBOXES__RUNTIMES__login__WARMTARGET"] = "0",
        });
        _serverUrl = server.Url;

        // The owner: a credential, a chat, a real run in a sandbox, an API token, an egress token, a second session.
        using var owner = await ProbeAccount.SignUpAsync(server.Url, "owner", ownerEmail);
        var apiKey = Needles.Canary("api-key");
        var prompt = Needles.Canary("prompt");
        (await owner.Cli.RunAsync(["credentials", "add", Provider, "--base-url", provider.BaseUrl, "--ca-file", provider.Stub.AuthorityPemPath], stdin: apiKey)).Succeeded();
        (await owner.Cli.RunAsync("chats", "new", "probe")).Succeeded();
        await SandboxedServer.WaitForReadyAsync(server, Provider, TimeSpan.FromSeconds(60));
        var run = (await owner.Cli.RunAsync(["run", "--provider", Provider, "--chat", "probe", "-"], stdin: prompt + " Say hello.")).Succeeded();
        Assert.Contains(provider.Stub.Answer, run.Stdout, StringComparison.Ordinal);
        Assert.Contains(provider.Stub.Answer, (await owner.Cli.RunAsync("chats", "show", "probe")).Succeeded().Stdout, StringComparison.Ordinal);
        using (var secondMachine = new Cli(server.Url))
        {
            (await secondMachine.RunWithPasswordAsync(owner.Password, "login", "--email", owner.Email)).Succeeded();
        }

        await owner.PostJsonAsync(_http, "/api/tokens", new JsonObject { ["name"] = "probe", ["expiresInDays"] = 1 });
        var revoked = await owner.PostJsonAsync(_http, "/api/tokens", new JsonObject { ["name"] = "probe-revoked", ["expiresInDays"] = 1 });
        using (var revoke = owner.Request(HttpMethod.Delete, $"/api/tokens/{revoked["id"]}"))
        {
            Assert.True((await _http.SendAsync(revoke)).IsSuccessStatusCode);
        }

        var egressToken = (await owner.PostJsonAsync(_http, "/api/egress/tokens", new JsonObject { ["lifetimeSeconds"] = 3600 }))["token"]!.GetValue<string>();
        await owner.PostJsonAsync(_http, "/api/login-sessions", new JsonObject());
        await owner.ReadOwnedAsync(_http);

        // The other user, with records of their own (so "no access" is not just "no data").
        using var other = await ProbeAccount.SignUpAsync(server.Url, "other", $"probe-other-{Guid.NewGuid():N}@example.com");
        (await other.Cli.RunAsync("chats", "new", "theirs")).Succeeded();

        var operations = ApiOperation.ReadAll(JsonNode.Parse(await _http.GetStringAsync(server.Url + "/openapi/v1.json"))!);
        Assert.True(operations.Count >= 40, $"The OpenAPI document lists only {operations.Count} operations.");
        foreach (var operation in operations)
        {
            foreach (var parameter in operation.Parameters)
            {
                Assert.True(owner.PathValue(operation.Template, parameter) is not null, $"The probe has no value for {{{parameter}}} in {operation.Name}: add one to ProbeAccount.");
            }

            Assert.True(!operation.TakesBody || ValidBody(operation, owner) is not null, $"The probe has no request body for {operation.Name}: add one to ValidBody.");
        }

        var before = await SnapshotAsync(owner);
        var crossUser = await CallAsOtherUserAsync(operations, owner, other);
        var badTokens = await CallWithBadTokensAsync(operations, owner, egressToken, (string)revoked["token"]!);
        Assert.Equal(before, await SnapshotAsync(owner));
        var serverErrors = await RunBadInputCorpusAsync(operations, owner) + await SendRawRequestsAsync(server);
        await CallAsOwnerAsync(operations, owner);

        // The canaries: what the owner typed and what the model answered, nowhere the operator of the server could look.
        var needles = new Needles()
            .AddText("password", owner.Password).AddText("prompt", prompt).AddText("API key", apiKey).AddText("output", provider.Stub.Answer);
        var hits = new List<string>();
        hits.AddRange(needles.FoundIn(await server.GetAsync("/metrics")).Select(n => $"{n} in /metrics"));
        hits.AddRange(needles.FoundIn(await Docker.InspectAllContainersAsync()).Select(n => $"{n} in docker inspect"));
        hits.AddRange(needles.FoundIn([server.ReadEnviron(), server.ReadCommandLine()]).Select(n => $"{n} in the server's environment or arguments"));
        await server.StopAsync();
        hits.AddRange(needles.FoundIn(server.Logs).Select(n => $"{n} in the server's logs"));
        var dump = await DatabaseDump.ReadSqliteAsync(server.SqlitePath);
        Assert.NotEmpty(dump.Rows("job_executions"));
        hits.AddRange(needles.FoundIn(dump.Text).Select(n => $"{n} in the database"));
        hits.AddRange(needles.FoundIn(dump.Bytes).Select(n => $"{n} in the database files"));
        _failures.AddRange(hits.Select(hit => $"canary: {hit}"));

        output.WriteLine($"black-box probe: {operations.Count} operations, {_requests} requests; {crossUser} cross-user successes, " +
            $"{badTokens} successes without a valid token, {serverErrors} responses with status 5xx to bad input, {hits.Count} canary hits");
        Assert.True(_failures.Count == 0, $"{_failures.Count} probe failures:\n{string.Join('\n', _failures.Where(f => !f.Contains("charset")).Concat(_failures.Where(f => f.Contains("charset"))).Take(40))}");
    }

    /// <summary>Every operation as the other user, on the owner's ids and with bodies made of the owner's records.</summary>
    private async Task<int> CallAsOtherUserAsync(IReadOnlyList<ApiOperation> operations, ProbeAccount owner, ProbeAccount other)
    {
        var ownerValues = owner.Ids.Values.Concat(owner.Records.Values.SelectMany(Envelopes)).ToList();
        var successes = 0;
        foreach (var operation in operations.Where(o => !Anonymous.Contains(o.Name) && !Ending.Contains(o.Name)))
        {
            var (status, body) = await SendAsync(operation.Method, Path(operation, owner), other.Token, ValidBody(operation, owner));
            if (status is >= 200 and < 300 && (operation.HasPathValues || ownerValues.Any(value => body.Contains(value, StringComparison.Ordinal))))
            {
                successes++;
                _failures.Add($"cross-user: {operation.Name} as another user answered {status}");
            }
        }

        return successes;
    }

    /// <summary>Every operation that needs a token, with none and with each kind of bad one: 401, every time.</summary>
    private async Task<int> CallWithBadTokensAsync(IReadOnlyList<ApiOperation> operations, ProbeAccount owner, string egressToken, string revokedApiToken)
    {
        (string What, string? Header)[] headers =
        [
            ("no Authorization header", null), ("a scheme without a token", "Bearer"), ("garbage", "Bearer garbage"),
            ("an unknown session token", "Bearer pd_s_" + RandomToken()), ("an unknown API token", "Bearer pd_t_" + RandomToken()),
            ("a revoked API token", "Bearer " + revokedApiToken), ("the owner's egress proxy token", "Bearer " + egressToken),
            ("the owner's token with its end changed", "Bearer " + owner.Token[..^2] + (owner.Token[^2..] == "AA" ? "BB" : "AA")),
            ("the owner's token and more", "Bearer " + owner.Token + " x"), ("the owner's token without a scheme", owner.Token),
            ("Basic with the owner's password", "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"{owner.Email}:{owner.Password}"))),
        ];
        var successes = 0;
        foreach (var operation in operations.Where(o => !Anonymous.Contains(o.Name)))
        {
            foreach (var (what, header) in headers)
            {
                var (status, _) = await SendAsync(operation.Method, Path(operation, owner), authorization: header ?? "", body: ValidBody(operation, owner));
                if (status != 401)
                {
                    successes += status is >= 200 and < 300 ? 1 : 0;
                    _failures.Add($"bad token: {operation.Name} with {what} answered {status}, not 401");
                }
            }
        }

        return successes;
    }

    /// <summary>The corpus on every operation with a body or a path value, as the owner (so each request gets past sign-in).</summary>
    private async Task<int> RunBadInputCorpusAsync(IReadOnlyList<ApiOperation> operations, ProbeAccount owner)
    {
        var serverErrors = 0;
        foreach (var operation in operations.Where(o => (o.TakesBody || o.HasPathValues) && !Ending.Contains(o.Name)))
        {
            foreach (var input in BadInputCorpus.For(operation, name => owner.PathValue(operation.Template, name)!, ValidBody(operation, owner)))
            {
                var (status, _) = await SendAsync(operation.Method, input.Path, owner.Token, input.Body, input.ContentType, bodyAsIs: true);
                if (status >= 500)
                {
                    serverErrors++;
                    _failures.Add($"5xx: {operation.Name} with {input.What} answered {status}");
                }
            }
        }

        // Corpus requests the server rightly took (a Content-Type variant it accepts) allocated sandboxes: give them back.
        foreach (var execution in (await owner.GetJsonAsync(_http, "/api/executions?limit=100"))["items"]!.AsArray())
        {
            if (execution!["state"]!.GetValue<string>() == "allocated")
            {
                await SendAsync("POST", $"/api/executions/{execution["id"]}/cancel", owner.Token);
            }
        }

        return serverErrors;
    }

    /// <summary>What HttpClient cannot send: raw bytes, NUL and a path longer than the server takes, each on its own connection.</summary>
    private async Task<int> SendRawRequestsAsync(ServerProcess server)
    {
        byte[][] requests =
        [
            [.. "GET /api/vault/chats/"u8, 0xFF, 0xFE, .. " HTTP/1.1\r\nHost: x\r\n\r\n"u8],
            [.. "GET /api/vault/chats/"u8, 0x00, .. " HTTP/1.1\r\nHost: x\r\n\r\n"u8],
            Encoding.ASCII.GetBytes($"GET /api/{new string('a', 20_000)} HTTP/1.1\r\nHost: x\r\n\r\n"),
            "GET /api/vault/chats HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \u00ff\r\n\r\n"u8.ToArray(),
            "POST /api/auth/prelogin HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 5\r\n\r\n{\"a\""u8.ToArray(),
            "GET /api/vault/chats HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n0\r\n\r\n"u8.ToArray(),
        ];
        var serverErrors = 0;
        foreach (var request in requests)
        {
            using var client = new TcpClient();
            await client.ConnectAsync(IPAddress.Loopback, server.Port);
            var stream = client.GetStream();
            await stream.WriteAsync(request);
            client.Client.Shutdown(SocketShutdown.Send);
            var reply = new MemoryStream();
            try
            {
                await stream.CopyToAsync(reply);
            }
            catch (IOException)
            {
                // Kestrel resets the connection after refusing a malformed request; what it answered first still counts.
            }

            _requests++;
            var statusLine = Encoding.ASCII.GetString(reply.ToArray()).Split("\r\n")[0];
            if (statusLine.Split(' ') is [_, var code, ..] && int.TryParse(code, out var status) && status >= 500)
            {
                serverErrors++;
                _failures.Add($"5xx: raw request '{Encoding.Latin1.GetString(request)[..Math.Min(40, request.Length)]}' answered {statusLine}");
            }
        }

        return serverErrors;
    }

    /// <summary>Every operation as the owner, the ending ones last: the ids are real, so reads must succeed and nothing may fail with 5xx.</summary>
    private async Task CallAsOwnerAsync(IReadOnlyList<ApiOperation> operations, ProbeAccount owner)
    {
        var ordered = operations.Where(o => !Ending.Contains(o.Name))
            .OrderBy(o => o.Method switch { "GET" => 0, "DELETE" => 2, _ => 1 })
            .ThenByDescending(o => o.Template.Length) // a message before its chat
            .Concat(Ending.Select(name => operations.Single(o => o.Name == name)));
        foreach (var operation in ordered)
        {
            var (status, body) = await SendAsync(operation.Method, Path(operation, owner), owner.Token, ValidBody(operation, owner));
            var fine = operation.Method == "GET" ? status is >= 200 and < 300 : status < 500 || Upstream.Contains(operation.Name);
            if (!fine || (operation.HasPathValues && status is 401 or 403 or 404))
            {
                _failures.Add($"owner: {operation.Name} answered {status}: {body[..Math.Min(300, body.Length)]}");
            }
        }
    }

    /// <summary>The owner's data as the owner reads it, without the fields that change when a token is merely used.</summary>
    private async Task<string> SnapshotAsync(ProbeAccount owner)
    {
        var snapshot = new StringBuilder();
        foreach (var path in new[]
        {
            "/api/account", "/api/vault/chats", $"/api/vault/chats/{owner.Ids["chatId"]}/messages", "/api/vault/credentials", "/api/tokens",
            "/api/auth/sessions", "/api/executions", "/api/egress/tokens",
        })
        {
            var node = await owner.GetJsonAsync(_http, path);
            snapshot.Append(path).Append(' ').AppendLine(Strip(node, "lastUsedAt").ToJsonString());
        }

        return snapshot.ToString();
    }

    /// <summary>A request body the owner could send: made from the owner's own records, fresh ids where the client chooses them.</summary>
    private static JsonObject? ValidBody(ApiOperation operation, ProbeAccount owner)
    {
        var account = owner.Records["account"];
        string Random32() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
        JsonNode? Copy(string record, string field) => owner.Records[record][field]?.DeepClone();
        return operation.Name switch
        {
            "POST /api/accounts" => new JsonObject
            {
                ["userId"] = Guid.NewGuid(), ["email"] = $"probe-new-{Guid.NewGuid():N}@example.com", ["kdf"] = Copy("account", "kdf"), ["authKey"] = Random32(),
                ["userKey"] = Copy("account", "userKey"), ["publicKey"] = Copy("account", "publicKey"), ["privateKey"] = Copy("account", "privateKey"), ["recovery"] = null,
            },
            "POST /api/auth/prelogin" => new JsonObject { ["email"] = owner.Email },
            "POST /api/auth/login" => new JsonObject { ["email"] = owner.Email, ["authKey"] = Random32(), ["deviceName"] = "probe" },
            "POST /api/auth/recovery/verify" => new JsonObject { ["email"] = owner.Email, ["recoveryAuthKey"] = Random32() },
            "POST /api/auth/recovery/reset" => new JsonObject
            {
                ["email"] = owner.Email, ["recoveryAuthKey"] = Random32(), ["kdf"] = Copy("account", "kdf"), ["authKey"] = Random32(), ["userKey"] = Copy("account", "userKey"),
            },
            "PUT /api/account/password" => new JsonObject
            {
                ["currentAuthKey"] = Random32(), ["kdf"] = Copy("account", "kdf"), ["authKey"] = Random32(), ["userKey"] = Copy("account", "userKey"),
            },
            "PUT /api/account/keys" => new JsonObject
            {
                ["currentAuthKey"] = Random32(), ["userKey"] = Copy("account", "userKey"), ["publicKey"] = Copy("account", "publicKey"),
                ["privateKey"] = Copy("account", "privateKey"), ["recovery"] = null, ["chats"] = new JsonArray(), ["messages"] = new JsonArray(),
                ["credentials"] = new JsonArray(), ["newPassword"] = null,
            },
            "PUT /api/account/recovery" => new JsonObject
            {
                ["currentAuthKey"] = Random32(), ["recovery"] = new JsonObject { ["authKey"] = Random32(), ["userKey"] = Copy("account", "userKey") },
            },
            "POST /api/account/delete" => new JsonObject { ["authKey"] = Random32() },
            "POST /api/tokens" => new JsonObject { ["name"] = "probe-" + Guid.NewGuid().ToString("N")[..8], ["expiresInDays"] = 1 },
            "POST /api/vault/chats" => new JsonObject { ["id"] = Guid.NewGuid(), ["title"] = Copy("chat", "title") },
            "PUT /api/vault/chats/{chatId}" => new JsonObject { ["title"] = Copy("chat", "title"), ["revision"] = Copy("chat", "revision") },
            "POST /api/vault/chats/{chatId}/messages" => new JsonObject { ["id"] = Guid.NewGuid(), ["body"] = Copy("message", "body") },
            "PUT /api/vault/chats/{chatId}/messages/{messageId}" => new JsonObject { ["body"] = Copy("message", "body"), ["revision"] = Copy("message", "revision") },
            "POST /api/vault/credentials" => new JsonObject { ["id"] = Guid.NewGuid(), ["provider"] = Provider, ["secret"] = Copy("credential", "secret") },
            "PUT /api/vault/credentials/{id}" => new JsonObject { ["secret"] = Copy("credential", "secret"), ["revision"] = Copy("credential", "revision") },
            "POST /api/egress/tokens" => new JsonObject { ["lifetimeSeconds"] = 60 },
            "POST /api/executions" => new JsonObject { ["provider"] = Provider },
            "POST /api/executions/{id}/start" => new JsonObject { ["sealedJob"] = Random32() },
            "POST /api/login-sessions" => new JsonObject { ["connect"] = Provider },
            "POST /api/login-sessions/{id}/open" => new JsonObject { ["sealedOpening"] = Random32() },
            "POST /api/login-sessions/{id}/report" => new JsonObject { ["path"] = "webrtc", ["icePath"] = "relay", ["firstFrameMs"] = 250 },
            _ => null,
        };
    }

    private async Task<(int Status, string Body)> SendAsync(
        string method, string path, string? token = null, object? body = null, string? contentType = "application/json", bool bodyAsIs = false, string? authorization = null)
    {
        _requests++;
        using var request = new HttpRequestMessage(new HttpMethod(method), ServerUrl + path);
        if (authorization is not null)
        {
            // "" stands for no header at all; everything else goes as it is, however malformed.
            if (authorization.Length > 0)
            {
                request.Headers.TryAddWithoutValidation("Authorization", authorization);
            }
        }
        else if (token is not null)
        {
            request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + token);
        }

        var bytes = body switch
        {
            byte[] raw => raw,
            JsonObject json => Encoding.UTF8.GetBytes(json.ToJsonString()),
            _ => null,
        };
        if (bytes is not null)
        {
            request.Content = new ByteArrayContent(bytes);
            // A body over the server's limit is refused before it is sent, instead of the refusal racing the upload.
            request.Headers.ExpectContinue = bytes.Length > 64 * 1024;
            if (!string.IsNullOrEmpty(contentType) || !bodyAsIs)
            {
                request.Content.Headers.TryAddWithoutValidation("Content-Type", contentType ?? "application/json");
            }
        }

        try
        {
            using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseContentRead);
            return ((int)response.StatusCode, await response.Content.ReadAsStringAsync());
        }
        catch (HttpRequestException e)
        {
            // The server closed the connection without an answer: not a 5xx, but worth a look.
            _failures.Add($"no answer: {method} {path[..Math.Min(80, path.Length)]}: {e.Message}");
            return (0, "");
        }
    }

    private string ServerUrl => _serverUrl ?? throw new InvalidOperationException("No server yet.");

    private string? _serverUrl;

    private static string Path(ApiOperation operation, ProbeAccount owner) => operation.Fill(name => owner.PathValue(operation.Template, name)!);

    /// <summary>The ciphertexts and keys of a record: what another user must never be shown.</summary>
    private static IEnumerable<string> Envelopes(JsonObject record) =>
        record.Select(p => p.Value switch
        {
            JsonObject value => value["envelope"]?.GetValue<string>(),
            JsonValue value when p.Key == "publicKey" => value.GetValue<string>(),
            _ => null,
        }).OfType<string>();

    private static JsonNode Strip(JsonNode node, string field)
    {
        foreach (var child in node is JsonArray array ? array.Select(n => n!) : node["items"] is JsonArray items ? items.Select(n => n!) : [node])
        {
            child.AsObject().Remove(field);
        }

        return node;
    }

    private static string RandomToken() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).Replace('+', '-').Replace('/', '_').TrimEnd('=');
}
