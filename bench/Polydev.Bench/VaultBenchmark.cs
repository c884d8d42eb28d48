using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Runtime;
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
using Polydev.Server.Vault;

namespace Polydev.Bench;

/// <summary>
/// The vault API (issue 19) measured three ways in one run, per operation (append a message, list a chat's first page,
/// read one message): through the real server (HTTP, bearer authentication, envelope checks, metrics, Dapper); through
/// <see cref="VaultFloor"/>, a bare minimal endpoint running the same SQL on the same database with the same JSON over
/// the same HTTP client (the honest floor of an HTTP API); and as raw SQL in process with no HTTP at all. The paths
/// take turns in slices (rounds) so that load from elsewhere on the machine falls on each alike.
/// </summary>
internal static class VaultBenchmark
{
    public sealed record Settings(int Messages, int Parallelism, int PlaintextBytes, int PageSize, int Lists, int Rounds);

    /// <summary>One path's figures for one operation: latencies, and what each operation cost the bench's process.</summary>
    public sealed record PathResult(Latencies Latencies, double AllocatedKiBPerOp, double CpuMsPerOp);

    /// <summary>One operation through the API, the floor and raw SQL, measured in the same run.</summary>
    public sealed record Comparison(string Operation, PathResult Api, PathResult Floor, PathResult Raw);

    /// <summary>How one path appends, reads and lists, given the chat it works in.</summary>
    private sealed record VaultPath(string Name, Func<Guid, Row, Task> Insert, Func<Guid, Row, Task> Read, Func<Guid, Task> List);

    private sealed record Row(Guid Id, byte[] Envelope);

    /// <summary>How the warm-up went: rounds, time, and the methods its last round still compiled.</summary>
    public sealed record WarmUp(int Rounds, TimeSpan Elapsed, int LastRoundJitted);

    /// <summary>One engine's comparisons, with the methods compiled while they were measured (next to none once warm).</summary>
    public sealed record Run(string Engine, WarmUp WarmUp, int JittedWhileMeasured, IReadOnlyList<Comparison> Comparisons);

    public static async Task<Run> RunAsync(string engine, string? postgres, Settings settings)
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
        WebApplication? floorApp = null;
        try
        {
            using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = settings.Parallelism }) { BaseAddress = new Uri(app.Urls.First()) };
            var (userId, userKey, token) = await SignUpAsync(http);
            // Sent to the floor too, which ignores it: both get the same request bytes.
            http.DefaultRequestHeaders.Authorization = new("Bearer", token);
            var database = app.Services.GetRequiredService<Database>();
            floorApp = await VaultFloor.StartAsync(database, userId);
            var floorBase = new Uri(floorApp.Urls.First());

            var paths = new[]
            {
                HttpPath("API", http, chat => ApiRoutes.Messages(chat), (chat, id) => ApiRoutes.Message(chat, id), settings.PageSize),
                HttpPath("floor", http, chat => new Uri(floorBase, VaultFloor.Messages(chat)).ToString(), (chat, id) => new Uri(floorBase, VaultFloor.Message(chat, id)).ToString(), settings.PageSize),
                RawPath(database, userId, settings.PageSize),
            };

            // Each path appends to, reads and lists its own chat, so none works on a table the others grew more.
            var plaintext = RandomNumberGenerator.GetBytes(settings.PlaintextBytes);
            var chats = new Dictionary<VaultPath, Guid>();
            var rows = new Dictionary<VaultPath, List<Row>>();
            foreach (var path in paths)
            {
                chats[path] = await CreateChatAsync(http, userId, userKey);
                rows[path] = MakeRows(userId, userKey, plaintext, settings.Messages);
            }

            var warmUp = await WarmUpAsync(http, paths, userId, userKey, plaintext, settings);
            var jitBefore = JitInfo.GetCompiledMethodCount();
            var insert = await CompareAsync($"{engine} insert", paths, settings, path => rows[path], (path, row) => path.Insert(chats[path], row));
            if (database.Engine == DatabaseEngine.Postgres)
            {
                // The rows just appended are newer than the planner's statistics, which autovacuum refreshes about a
                // minute later on a running server; without them PostgreSQL sorts the whole chat for a first page.
                await using var connection = await database.OpenAsync();
                await connection.ExecuteAsync("ANALYZE chat_messages");
            }

            IReadOnlyList<Comparison> comparisons =
            [
                insert,
                await CompareAsync($"{engine} list ({settings.PageSize} per page)", paths, settings, _ => Enumerable.Range(0, settings.Lists).ToList(), (path, _) => path.List(chats[path])),
                await CompareAsync($"{engine} read", paths, settings, path => rows[path], (path, row) => path.Read(chats[path], row)),
            ];
            return new Run(engine, warmUp, (int)(JitInfo.GetCompiledMethodCount() - jitBefore), comparisons);
        }
        finally
        {
            if (floorApp is not null)
            {
                await floorApp.StopAsync();
                await floorApp.DisposeAsync();
            }

            await app.StopAsync();
            await app.DisposeAsync();
            Directory.Delete(data, recursive: true);
        }
    }

    private static VaultPath HttpPath(string name, HttpClient http, Func<Guid, string> messages, Func<Guid, Guid, string> message, int pageSize) => new(
        name,
        async (chat, row) => EnsureAndDispose(
            await http.PostAsync(messages(chat), PolydevJson.ToContent(new CreateMessageRequest(row.Id, new EncryptedValue(EnvelopeKinds.ChatMessage, row.Id, row.Envelope)))),
            HttpStatusCode.Created),
        async (chat, row) => EnsureAndDispose(await http.GetAsync(message(chat, row.Id)), HttpStatusCode.OK),
        async chat => EnsureAndDispose(await http.GetAsync($"{messages(chat)}?limit={pageSize}"), HttpStatusCode.OK));

    /// <summary>The floor's statements in process: what the database alone does for the same rows.</summary>
    private static VaultPath RawPath(Database database, Guid userId, int pageSize)
    {
        var user = userId.ToString("D");
        return new VaultPath(
            "raw",
            async (chat, row) =>
            {
                var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
                await using var connection = await database.OpenAsync();
                var inserted = await connection.ExecuteAsync(VaultFloor.Insert, new MessageRecord
                {
                    Id = row.Id.ToString("D"), ChatId = chat.ToString("D"), UserId = user, Body = row.Envelope, Revision = 1, CreatedAt = now, UpdatedAt = now,
                });
                Check(inserted == 1, "raw insert wrote nothing");
            },
            async (chat, row) =>
            {
                await using var connection = await database.OpenAsync();
                var message = await connection.QuerySingleAsync<MessageRecord>(VaultFloor.Read, new { id = row.Id.ToString("D"), chatId = chat.ToString("D"), userId = user });
                Check(message.Body.Length == row.Envelope.Length, "raw read returned the wrong row");
            },
            async chat =>
            {
                var ids = new { chatId = chat.ToString("D"), userId = user, take = pageSize + 1 };
                await using var connection = await database.OpenAsync();
                Check(await connection.ExecuteScalarAsync<long?>(VaultFloor.ChatExists, ids) is not null, "raw list found no chat");
                Check((await connection.QueryAsync<MessageRecord>(VaultFloor.FirstPage, ids)).AsList().Count == pageSize + 1, "raw list returned a short page");
            });
    }

    /// <summary>
    /// Runs every path through every operation, in rounds on a chat of its own, until a round compiles next to no new
    /// code (at most <see cref="MaxWarmUp"/>). Tiered compilation takes tens of seconds on two busy cores to finish
    /// re-compiling the hot methods (instrumented, then optimised): measured before that, the API — which runs more
    /// methods than the floor — was timed largely in unoptimised code and while the JIT took a core, which made it
    /// look up to twice as costly per request as it is in a server that has been up for a minute.
    /// </summary>
    private static async Task<WarmUp> WarmUpAsync(HttpClient http, IReadOnlyList<VaultPath> paths, Guid userId, byte[] userKey, byte[] plaintext, Settings settings)
    {
        var chats = new List<Guid>();
        foreach (var _ in paths)
        {
            chats.Add(await CreateChatAsync(http, userId, userKey));
        }

        var started = Stopwatch.StartNew();
        var (rounds, quietRounds) = (0, 0);
        int jitted;
        do
        {
            var before = JitInfo.GetCompiledMethodCount();
            for (var i = 0; i < paths.Count; i++)
            {
                var (path, chat) = (paths[i], chats[i]);
                var rows = MakeRows(userId, userKey, plaintext, 100);
                await Latencies.MeasureAsync("warm-up", rows, settings.Parallelism, row => path.Insert(chat, row));
                await Latencies.MeasureAsync("warm-up", rows, settings.Parallelism, row => path.Read(chat, row));
                await Latencies.MeasureAsync("warm-up", rows.Take(30).ToList(), settings.Parallelism, _ => path.List(chat));
            }

            jitted = (int)(JitInfo.GetCompiledMethodCount() - before);
            rounds++;
            quietRounds = jitted <= QuietRound ? quietRounds + 1 : 0;
        }
        while (quietRounds < QuietRounds && started.Elapsed < MaxWarmUp);

        return new WarmUp(rounds, started.Elapsed, jitted);
    }

    /// <summary>
    /// A warm-up round that compiles at most this many methods is quiet; the JIT has settled after this many quiet rounds
    /// in a row (one alone can fall between two of its batches).
    /// </summary>
    private const int QuietRound = 10, QuietRounds = 5;

    private static readonly TimeSpan MaxWarmUp = TimeSpan.FromMinutes(2);

    /// <summary>
    /// Measures <paramref name="operation"/> on each path's items, in <see cref="Settings.Rounds"/> slices that the paths
    /// take in turn, each round starting with the next path.
    /// </summary>
    private static async Task<Comparison> CompareAsync<T>(string name, VaultPath[] paths, Settings settings, Func<VaultPath, IReadOnlyList<T>> items, Func<VaultPath, T, Task> operation)
    {
        var slices = paths.ToDictionary(path => path, _ => new List<(Latencies Latencies, long Allocated, TimeSpan Cpu)>());
        for (var round = 0; round < settings.Rounds; round++)
        {
            for (var turn = 0; turn < paths.Length; turn++)
            {
                var path = paths[(round + turn) % paths.Length];
                var all = items(path);
                var slice = all.Skip(all.Count * round / settings.Rounds).Take((all.Count * (round + 1) / settings.Rounds) - (all.Count * round / settings.Rounds)).ToList();
                var allocated = GC.GetTotalAllocatedBytes(precise: true);
                var cpu = Process.GetCurrentProcess().TotalProcessorTime;
                var latencies = await Latencies.MeasureAsync(name, slice, settings.Parallelism, item => operation(path, item));
                slices[path].Add((latencies, GC.GetTotalAllocatedBytes(precise: true) - allocated, Process.GetCurrentProcess().TotalProcessorTime - cpu));
            }
        }

        PathResult Result(VaultPath path)
        {
            var combined = Latencies.Combine($"{name}: {path.Name}", slices[path].Select(s => s.Latencies));
            return new PathResult(
                combined,
                slices[path].Sum(s => s.Allocated) / 1024.0 / combined.Count,
                slices[path].Sum(s => s.Cpu.TotalMilliseconds) / combined.Count);
        }

        return new Comparison(name, Result(paths[0]), Result(paths[1]), Result(paths[2]));
    }

    private static async Task<Guid> CreateChatAsync(HttpClient http, Guid userId, byte[] userKey)
    {
        var chatId = Guid.CreateVersion7();
        var title = Envelope.Seal(userKey, "bench"u8, new EnvelopeContext(EnvelopeKinds.ChatTitle, userId, chatId));
        EnsureAndDispose(
            await http.PostAsJsonAsync(ApiRoutes.Chats, new CreateChatRequest(chatId, new EncryptedValue(EnvelopeKinds.ChatTitle, chatId, title)), PolydevJson.Options),
            HttpStatusCode.Created);
        return chatId;
    }

    // Envelopes are made before timing starts: this measures the server, not the client.
    private static List<Row> MakeRows(Guid userId, byte[] userKey, byte[] plaintext, int count) =>
        Enumerable.Range(0, count).Select(_ =>
        {
            var id = Guid.CreateVersion7();
            return new Row(id, Envelope.Seal(userKey, plaintext, new EnvelopeContext(EnvelopeKinds.ChatMessage, userId, id)));
        }).ToList();

    private static void Check(bool condition, string failure)
    {
        if (!condition)
        {
            throw new InvalidOperationException(failure);
        }
    }

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
