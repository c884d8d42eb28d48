using System.Net.Http.Json;
using System.Text.Json;
using Polydev.Contracts;
using Polydev.Contracts.Vault;
using Polydev.Crypto;
using Polydev.EndToEnd.Tests.Infrastructure;

namespace Polydev.EndToEnd.Tests.Admin;

/// <summary>
/// Issue 20, "Backups": a backup taken while clients write is the database as of one moment. Two writers each append
/// numbered messages to their own chat, one after the other, while <c>polydev admin backup</c> runs; restored, each
/// chat holds messages 0..k-1 with no gap (a later message never without an earlier one), k between what was written
/// before the backup began and after it ended (plus the one a writer may have had in flight), and every message decrypts
/// with the user's key.
/// </summary>
public sealed class ConsistentBackupTests
{
    private const int Writers = 2;

    [Theory]
    [MemberData(nameof(ServerStorage.Engines), MemberType = typeof(ServerStorage))]
    public async Task A_backup_taken_during_writes_restores_to_a_consistent_state(string engine)
    {
        await using var source = await ServerStorage.CreateAsync(engine);
        await using var target = await ServerStorage.CreateAsync(engine);
        var file = source.BackupFile();
        var user = VaultUser.New("writer");
        var chats = Enumerable.Range(0, Writers).Select(i => $"Writer {i}").ToArray();
        var written = new int[Writers];
        int[] before, after;

        await using (var server = await source.StartServerAsync())
        {
            using var cli = await user.FillAsync(server);
            var chatIds = new Guid[Writers];
            for (var i = 0; i < Writers; i++)
            {
                chatIds[i] = Guid.Parse((await cli.RunAsync("chats", "new", chats[i], "--json")).Succeeded().Json().GetProperty("id").GetString()!);
            }

            var token = await OwnerRequests.TokenAsync(cli);
            var (userId, userKey) = await user.UserKeyAsync(server, token);
            using var stop = new CancellationTokenSource();
            var writers = Enumerable.Range(0, Writers)
                .Select(i => Task.Run(() => WriteAsync(server, token, userId, userKey, chatIds[i], chats[i], n => Volatile.Write(ref written[i], n), stop.Token)))
                .ToArray();
            await WaitUntilAsync(() => written.All(n => n >= 20));

            before = Enumerable.Range(0, Writers).Select(i => Volatile.Read(ref written[i])).ToArray();
            (await source.AdminAsync("backup", "--output", file)).Succeeded();
            after = Enumerable.Range(0, Writers).Select(i => Volatile.Read(ref written[i])).ToArray();
            await stop.CancelAsync();
            await Task.WhenAll(writers);
        }

        Assert.True(after.Zip(before).All(p => p.First > p.Second), $"no writes while the backup ran: before {string.Join(",", before)}, after {string.Join(",", after)}");

        (await target.AdminAsync("restore", "--input", file)).Succeeded();
        await using var restored = await target.StartServerAsync();
        using var reader = await user.UnlockAsync(restored);
        for (var i = 0; i < Writers; i++)
        {
            // chats show decrypts every message on the client and fails on any that does not open.
            var chat = (await reader.RunAsync("chats", "show", chats[i], "--json")).Succeeded().Json();
            var numbers = chat.GetProperty("messages").EnumerateArray()
                .Select(m => m.GetProperty("text").GetString()!)
                .Select(t => int.Parse(t[(chats[i].Length + 1)..], System.Globalization.CultureInfo.InvariantCulture))
                .Order()
                .ToList();
            Assert.Equal(Enumerable.Range(0, numbers.Count), numbers);
            // A message whose answer was still on its way when the backup ended may be in it: one per writer.
            Assert.InRange(numbers.Count, before[i], after[i] + 1);
        }
    }

    /// <summary>Appends "CHAT n" for n = 0, 1, … as the client does (sealed under the user key, bound to the chat), one after the other.</summary>
    private static async Task WriteAsync(ServerProcess server, string token, Guid userId, byte[] userKey, Guid chatId, string chat, Action<int> committed, CancellationToken stop)
    {
        using var http = new HttpClient { BaseAddress = new Uri(server.Url) };
        http.DefaultRequestHeaders.Authorization = new("Bearer", token);
        for (var n = 0; !stop.IsCancellationRequested; n++)
        {
            var id = Guid.CreateVersion7();
            var body = JsonSerializer.SerializeToUtf8Bytes(new { role = "user", text = $"{chat} {n}", provider = (string?)null, model = (string?)null });
            var envelope = Envelope.Seal(userKey, body, new EnvelopeContext(EnvelopeKinds.ChatMessage, userId, id, chatId.ToString("D")));
            using var response = await http.PostAsJsonAsync(ApiRoutes.Messages(chatId), new CreateMessageRequest(id, new EncryptedValue(EnvelopeKinds.ChatMessage, id, envelope)), PolydevJson.Options, CancellationToken.None);
            Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync(CancellationToken.None));
            committed(n + 1);
        }
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "the writers did not get going within 60 s");
            await Task.Delay(20);
        }
    }
}
