using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using Dapper;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Polydev.Contracts;
using Polydev.Contracts.Accounts;
using Polydev.Contracts.Vault;
using Polydev.Crypto;
using Polydev.Server.Hosting;
using Polydev.Server.Storage;

namespace Polydev.Bench;

/// <summary>
/// Vault writes and reads through the real server (HTTP, auth, validation, Dapper) beside a
/// raw insert/select of the same rows into the same database in the same run: the ratio is
/// what the API layer costs on top of the engine.
/// </summary>
internal static class VaultBenchmark
{
    public static async Task<IReadOnlyList<(Latencies Api, Latencies Raw)>> RunAsync(string engine, string? postgres, int messages, int parallelism, int plaintextBytes)
    {
        var data = Directory.CreateTempSubdirectory("polydev-bench-").FullName;
        var app = PolydevServer.Build(
            new Dictionary<string, string?>
            {
                ["Urls"] = "http://127.0.0.1:0",
                ["Data"] = data,
                ["Database"] = postgres,
            },
            // The per-request log line goes to a sink here so the console shows only results.
            configureLogging: logging => logging.ClearProviders());
        await PolydevServer.StartAsync(app);
        try
        {
            using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = parallelism }) { BaseAddress = new Uri(app.Urls.First()) };
            var (userId, userKey, token) = await SignUpAsync(http);
            http.DefaultRequestHeaders.Authorization = new("Bearer", token);
            var chatId = Guid.CreateVersion7();
            var chatTitle = Envelope.Seal(userKey, "bench"u8, new EnvelopeContext(EnvelopeKinds.ChatTitle, userId, chatId));
            Ensure(await http.PostAsJsonAsync(ApiRoutes.Chats, new CreateChatRequest(chatId, new EncryptedValue(EnvelopeKinds.ChatTitle, chatId, chatTitle)), PolydevJson.Options), HttpStatusCode.Created);

            // Envelopes are made before timing starts: this measures the server, not the client.
            var plaintext = RandomNumberGenerator.GetBytes(plaintextBytes);
            var apiRows = MakeRows(userId, userKey, plaintext, messages);
            var rawRows = MakeRows(userId, userKey, plaintext, messages);

            var apiWrite = await Latencies.MeasureAsync($"{engine} vault write (HTTP)", apiRows, parallelism, async row =>
                EnsureAndDispose(await http.PostAsJsonAsync(ApiRoutes.Messages(chatId), new CreateMessageRequest(row.Id, new EncryptedValue(EnvelopeKinds.ChatMessage, row.Id, row.Envelope)), PolydevJson.Options), HttpStatusCode.Created));
            var apiRead = await Latencies.MeasureAsync($"{engine} vault read (HTTP)", apiRows, parallelism, async row =>
                EnsureAndDispose(await http.GetAsync(ApiRoutes.Message(chatId, row.Id)), HttpStatusCode.OK));

            var database = app.Services.GetRequiredService<Database>();
            var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            var rawWrite = await Latencies.MeasureAsync($"{engine} raw INSERT", rawRows, parallelism, async row =>
            {
                await using var connection = await database.OpenAsync();
                await connection.ExecuteAsync(
                    "INSERT INTO chat_messages (id, chat_id, user_id, body, revision, created_at, updated_at) VALUES (@id, @chatId, @userId, @body, 1, @now, @now)",
                    new { id = row.Id.ToString("D"), chatId = chatId.ToString("D"), userId = userId.ToString("D"), body = row.Envelope, now });
            });
            var rawRead = await Latencies.MeasureAsync($"{engine} raw SELECT", rawRows, parallelism, async row =>
            {
                await using var connection = await database.OpenAsync();
                var body = await connection.QuerySingleAsync<byte[]>(
                    "SELECT body FROM chat_messages WHERE id = @id AND chat_id = @chatId AND user_id = @userId",
                    new { id = row.Id.ToString("D"), chatId = chatId.ToString("D"), userId = userId.ToString("D") });
                if (body.Length != row.Envelope.Length)
                {
                    throw new InvalidOperationException("raw select returned the wrong row");
                }
            });

            return [(apiWrite, rawWrite), (apiRead, rawRead)];
        }
        finally
        {
            await app.StopAsync();
            await app.DisposeAsync();
            Directory.Delete(data, recursive: true);
        }
    }

    private static List<(Guid Id, byte[] Envelope)> MakeRows(Guid userId, byte[] userKey, byte[] plaintext, int count) =>
        Enumerable.Range(0, count).Select(_ =>
        {
            var id = Guid.CreateVersion7();
            return (id, Envelope.Seal(userKey, plaintext, new EnvelopeContext(EnvelopeKinds.ChatMessage, userId, id)));
        }).ToList();

    /// <summary>A new account with real key material, signed in; the executions benchmark uses it too.</summary>
    internal static async Task<(Guid UserId, byte[] UserKey, string Token)> SignUpAsync(HttpClient http)
    {
        var userId = Guid.CreateVersion7();
        var email = $"bench-{userId:N}@example.test";
        var kdf = KdfParameters.CreateDefault();
        var master = MasterKey.Derive("bench password", kdf);
        var authKey = MasterKey.DeriveAuthKey(master);
        var kek = MasterKey.DeriveKek(master);
        var userKey = UserKey.Generate();
        using var pair = UserKeyPair.Generate();
        var signup = new SignupRequest(
            userId,
            email,
            new KdfDto(kdf.Algorithm, kdf.Iterations, kdf.Salt),
            authKey,
            new EncryptedValue(EnvelopeKinds.UserKey, userId, Envelope.Seal(kek, userKey, new EnvelopeContext(EnvelopeKinds.UserKey, userId, userId))),
            pair.PublicKey,
            new EncryptedValue(EnvelopeKinds.UserPrivateKey, userId, Envelope.Seal(userKey, pair.ExportPkcs8(), new EnvelopeContext(EnvelopeKinds.UserPrivateKey, userId, userId))),
            null);
        Ensure(await http.PostAsJsonAsync(ApiRoutes.Accounts, signup, PolydevJson.Options), HttpStatusCode.Created);
        var login = await http.PostAsJsonAsync(ApiRoutes.Login, new LoginRequest(email, authKey, "bench"), PolydevJson.Options);
        Ensure(login, HttpStatusCode.OK);
        var response = (await login.Content.ReadFromJsonAsync<LoginResponse>(PolydevJson.Options))!;
        return (userId, userKey, response.Token);
    }

    private static void Ensure(HttpResponseMessage response, HttpStatusCode expected)
    {
        if (response.StatusCode != expected)
        {
            throw new InvalidOperationException($"expected {expected}, got {(int)response.StatusCode}: {response.Content.ReadAsStringAsync().Result}");
        }
    }

    private static void EnsureAndDispose(HttpResponseMessage response, HttpStatusCode expected)
    {
        using (response)
        {
            Ensure(response, expected);
        }
    }
}
