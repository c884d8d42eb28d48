using System.Net;
using Polydev.Contracts;
using Polydev.Contracts.Vault;
using Polydev.Crypto;
using Polydev.Server.Tests.Infrastructure;

namespace Polydev.Server.Tests.Vault;

public sealed class VaultTests
{
    [Theory]
    [MemberData(nameof(RunningServer.Engines), MemberType = typeof(RunningServer))]
    public async Task Messages_page_in_order_without_gaps_or_repeats(string engine)
    {
        await using var server = await RunningServer.StartAsync(engine);
        var account = await TestAccount.SignUpAsync(server);
        using var client = account.Client(server);
        var chat = account.NewChat("paged");
        await client.PostJsonAsync(ApiRoutes.Chats, chat);
        var sent = Enumerable.Range(1, 7).Select(i => $"message {i}").ToList();
        foreach (var text in sent)
        {
            Assert.Equal(HttpStatusCode.Created, (await client.PostJsonAsync(ApiRoutes.Messages(chat.Id), account.NewMessage(text))).StatusCode);
        }

        var received = new List<string>();
        var pages = 0;
        string? cursor = null;
        do
        {
            var query = cursor is null ? "?limit=3" : $"?limit=3&cursor={cursor}";
            var page = await (await client.GetAsync(ApiRoutes.Messages(chat.Id) + query)).ReadAsync<Page<MessageResponse>>();
            received.AddRange(page!.Items.Select(m => account.Open(m.Body)));
            cursor = page.NextCursor;
            pages++;
        }
        while (cursor is not null);

        Assert.Equal(sent, received);
        Assert.Equal(3, pages);
        var listed = await (await client.GetAsync(ApiRoutes.Chat(chat.Id))).ReadAsync<ChatResponse>();
        Assert.Equal(7, listed!.MessageCount);
        Assert.True(listed.LastMessageAt >= listed.CreatedAt);
    }

    [Theory]
    [MemberData(nameof(RunningServer.Engines), MemberType = typeof(RunningServer))]
    public async Task Appending_a_message_answers_where_it_stands_without_sending_its_body_back(string engine)
    {
        await using var server = await RunningServer.StartAsync(engine);
        var account = await TestAccount.SignUpAsync(server);
        using var client = account.Client(server);
        var chat = account.NewChat("receipts");
        await client.PostJsonAsync(ApiRoutes.Chats, chat);
        var message = account.NewMessage(new string('x', 64 * 1024));

        using var response = await client.PostJsonAsync(ApiRoutes.Messages(chat.Id), message);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal(ApiRoutes.Message(chat.Id, message.Id), response.Headers.Location?.OriginalString);
        var answer = await response.Content.ReadAsStringAsync();
        var json = System.Text.Json.Nodes.JsonNode.Parse(answer)!.AsObject();
        Assert.Equal(["id", "chatId", "revision", "createdAt", "updatedAt"], json.Select(property => property.Key));
        Assert.True(answer.Length < 512, $"the answer to a 64 KiB message is {answer.Length} characters");
        var receipt = (await response.ReadAsync<MessageCreatedResponse>())!;
        Assert.Equal((message.Id, chat.Id, 1L), (receipt.Id, receipt.ChatId, receipt.Revision));

        // The body is where the answer says, as sent.
        var stored = (await (await client.GetAsync(ApiRoutes.Message(chat.Id, message.Id))).ReadAsync<MessageResponse>())!;
        Assert.Equal(message.Body.Envelope, stored.Body.Envelope);
        Assert.Equal(receipt.CreatedAt, stored.CreatedAt);
    }

    [Theory]
    [MemberData(nameof(RunningServer.Engines), MemberType = typeof(RunningServer))]
    public async Task Chats_list_newest_first_and_deleting_a_chat_deletes_its_messages(string engine)
    {
        await using var server = await RunningServer.StartAsync(engine);
        var account = await TestAccount.SignUpAsync(server);
        using var client = account.Client(server);
        var first = account.NewChat("first");
        await client.PostJsonAsync(ApiRoutes.Chats, first);
        await Task.Delay(5);
        var second = account.NewChat("second");
        await client.PostJsonAsync(ApiRoutes.Chats, second);
        var message = account.NewMessage("goes with its chat");
        await client.PostJsonAsync(ApiRoutes.Messages(first.Id), message);

        var chats = await (await client.GetAsync(ApiRoutes.Chats)).ReadAsync<Page<ChatResponse>>();
        Assert.Equal(["second", "first"], chats!.Items.Select(c => account.Open(c.Title)));
        Assert.Null(chats.Items[0].LastMessageAt);
        Assert.NotNull(chats.Items[1].LastMessageAt);
        Assert.Null(chats.NextCursor);

        Assert.Equal(HttpStatusCode.NoContent, (await client.DeleteAsync(ApiRoutes.Chat(first.Id))).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync(ApiRoutes.Message(first.Id, message.Id))).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync(ApiRoutes.Messages(first.Id))).StatusCode);
        chats = await (await client.GetAsync(ApiRoutes.Chats)).ReadAsync<Page<ChatResponse>>();
        Assert.Equal("second", account.Open(Assert.Single(chats!.Items).Title));
    }

    [Theory]
    [MemberData(nameof(RunningServer.Engines), MemberType = typeof(RunningServer))]
    public async Task Updates_need_the_current_revision_so_no_write_is_lost(string engine)
    {
        await using var server = await RunningServer.StartAsync(engine);
        var account = await TestAccount.SignUpAsync(server);
        using var client = account.Client(server);
        var credential = account.NewCredential(Providers.Anthropic, "sk-original");
        var created = await (await client.PostJsonAsync(ApiRoutes.Credentials, credential)).ReadAsync<CredentialResponse>();
        Assert.Equal(1, created!.Revision);

        var first = await client.PutJsonAsync(ApiRoutes.Credential(credential.Id), new UpdateCredentialRequest(account.Seal(EnvelopeKinds.CredentialSecret, credential.Id, "sk-first"), 1));
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(2, (await first.ReadAsync<CredentialResponse>())!.Revision);

        var second = await client.PutJsonAsync(ApiRoutes.Credential(credential.Id), new UpdateCredentialRequest(account.Seal(EnvelopeKinds.CredentialSecret, credential.Id, "sk-second"), 1));
        Assert.Equal(HttpStatusCode.Conflict, second.StatusCode);

        var stored = await (await client.GetAsync(ApiRoutes.Credential(credential.Id))).ReadAsync<CredentialResponse>();
        Assert.Equal("sk-first", account.Open(stored!.Secret));
        Assert.Equal(Providers.Anthropic, stored.Provider);
    }

    [Theory]
    [MemberData(nameof(RunningServer.Engines), MemberType = typeof(RunningServer))]
    public async Task Credentials_filter_by_provider_and_several_per_provider_are_kept(string engine)
    {
        await using var server = await RunningServer.StartAsync(engine);
        var account = await TestAccount.SignUpAsync(server);
        using var client = account.Client(server);
        foreach (var (provider, secret) in new[] { (Providers.Anthropic, "a1"), (Providers.Anthropic, "a2"), (Providers.OpenAI, "o1"), (Providers.Google, "g1") })
        {
            Assert.Equal(HttpStatusCode.Created, (await client.PostJsonAsync(ApiRoutes.Credentials, account.NewCredential(provider, secret))).StatusCode);
        }

        var anthropic = await (await client.GetAsync(ApiRoutes.Credentials + "?provider=anthropic")).ReadAsync<Page<CredentialResponse>>();
        Assert.Equal(["a1", "a2"], anthropic!.Items.Select(c => account.Open(c.Secret)));
        var all = await (await client.GetAsync(ApiRoutes.Credentials)).ReadAsync<Page<CredentialResponse>>();
        Assert.Equal(4, all!.Items.Count);
    }

    [Fact]
    public async Task An_envelope_bound_to_another_record_is_refused_even_when_well_formed()
    {
        await using var server = await RunningServer.StartAsync(RunningServer.Sqlite);
        var account = await TestAccount.SignUpAsync(server);
        using var client = account.Client(server);
        var chat = account.NewChat("one");
        var other = account.NewChat("two");
        await client.PostJsonAsync(ApiRoutes.Chats, chat);
        await client.PostJsonAsync(ApiRoutes.Chats, other);

        // The other chat's (valid) title envelope, filed under this chat: the ids differ.
        var swap = await client.PutJsonAsync(ApiRoutes.Chat(chat.Id), new UpdateChatRequest(other.Title, 1));
        Assert.Equal(HttpStatusCode.BadRequest, swap.StatusCode);

        // Even if the metadata is rewritten to match, the client detects the swap on decrypt.
        var forged = other.Title with { RecordId = chat.Id };
        Assert.Equal(HttpStatusCode.OK, (await client.PutJsonAsync(ApiRoutes.Chat(chat.Id), new UpdateChatRequest(forged, 1))).StatusCode);
        var stored = await (await client.GetAsync(ApiRoutes.Chat(chat.Id))).ReadAsync<ChatResponse>();
        Assert.Throws<EnvelopeException>(() => account.Open(stored!.Title));
    }
}
