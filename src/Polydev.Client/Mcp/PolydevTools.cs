using System.ComponentModel;
using System.Net;
using Microsoft.Extensions.Logging;
using ModelContextProtocol;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;
using Polydev.Client.Api;
using Polydev.Client.Executions;
using Polydev.Client.Vault;
using Polydev.Contracts;
using Polydev.Contracts.Jobs;
using Polydev.Contracts.Vault;

namespace Polydev.Client.Mcp;

/// <summary>
/// The MCP tools (docs/mcp.md, "Tools"): the old <c>polydev-ai</c> server's names and arguments, a superset of them.
/// Every call opens the vault through <see cref="McpAccess"/>; prompts, answers, titles and credentials are sealed and
/// opened here, so the Polydev server sees only ciphertext. A failure the model can act on is a tool error with one
/// sentence that says what to do; nothing waits on a prompt.
/// </summary>
[McpServerToolType]
internal sealed class PolydevTools(McpAccess access, McpMetrics metrics, TimeProvider time, ILogger<PolydevTools> logger)
{
    private const string Ignored = "Accepted for the old polydev-ai server's callers and ignored here";

    [McpServerTool(Name = "get_perspectives", Title = "Perspectives from several AI coding CLIs", OpenWorld = true)]
    [Description("Sends one prompt to several AI coding CLIs at once (Claude Code, Codex, Gemini CLI), each run with the user's own account in a fresh isolated sandbox, and returns their answers side by side with provider, model, time, tokens and cost. Use it when stuck, to compare approaches, or for a second opinion. A provider that fails is reported with its reason; the others still answer. The prompt and answers are stored in the user's end-to-end encrypted chats.")]
    public Task<CallToolResult> GetPerspectivesAsync(
        RequestContext<CallToolRequestParams> request,
        CancellationToken cancellationToken,
        [Description("The question or task, with everything a colleague would need to answer it.")] string prompt,
        [Description("Which providers to ask: " + ProviderIds.Accepted + ". Default: every provider the user has a credential for.")] string[]? providers = null,
        [Description("A model per provider, such as {\"anthropic\": \"claude-sonnet-4-5\"}; a provider not named uses its CLI's default.")] Dictionary<string, string>? models = null,
        [Description("Files or text to attach; they are read on this machine and sent sealed with the prompt.")] ProjectContext? project_context = null,
        [Description("Continue this chat (id, id prefix or exact title): each provider gets its own thread of it. Default: a new chat.")] string? chat = null,
        [Description("Seconds each CLI may run (default and most: the server's limit).")] int? timeout_seconds = null,
        [Description(Ignored + ": the MCP server signs in with the user's Polydev API token or session (docs/mcp.md).")] string? user_token = null,
        [Description(Ignored + ": attach what matters with project_context.")] string? project_memory = null,
        [Description(Ignored + ".")] int? max_messages = null,
        [Description(Ignored + ": the CLIs choose their own sampling.")] double? temperature = null,
        [Description(Ignored + ": the CLIs choose their own limits.")] int? max_tokens = null) =>
        CallAsync("get_perspectives", async session =>
        {
            var chosen = providers is { Length: > 0 } ? providers.Select(ProviderIds.Resolve).Distinct().ToList() : await ProvidersWithCredentialsAsync(session, cancellationToken);
            var modelsByProvider = ModelsByProvider(models);
            var perspectives = await AskAsync(session, chosen, prompt, modelsByProvider, project_context, chat, timeout_seconds, request, cancellationToken);
            return PerspectiveResult.Render(perspectives.Chat, perspectives.Answers, perspectives.Answers.All(p => !p.Succeeded));
        }, cancellationToken);

    [McpServerTool(Name = "send_cli_prompt", Title = "Ask one AI coding CLI", OpenWorld = true)]
    [Description("Sends a prompt to one AI coding CLI (Claude Code, Codex or Gemini CLI) with the user's own account, in a fresh isolated sandbox, and returns its answer. Give chat to continue a conversation. Stored in the user's end-to-end encrypted chats.")]
    public Task<CallToolResult> SendCliPromptAsync(
        RequestContext<CallToolRequestParams> request,
        CancellationToken cancellationToken,
        [Description("The prompt.")] string prompt,
        [Description("Whose CLI: " + ProviderIds.Accepted + ". Default: the first the user has a credential for.")] string? provider_id = null,
        [Description("The model the CLI should use (default: the CLI's).")] string? model = null,
        [Description("Continue this chat (id, id prefix or exact title). Default: a new chat.")] string? chat = null,
        [Description("Milliseconds the CLI may run (default and most: the server's limit).")] int? timeout_ms = null,
        [Description(Ignored + ": the prompt always reaches the CLI sealed, inside its sandbox.")] string? mode = null,
        [Description(Ignored + ": the MCP server acts for the user whose vault it opened.")] string? user_id = null) =>
        CallAsync("send_cli_prompt", async session =>
        {
            var provider = provider_id is { Length: > 0 } ? ProviderIds.Resolve(provider_id) : (await ProvidersWithCredentialsAsync(session, cancellationToken))[0];
            if (timeout_ms is < 1000)
            {
                throw new ToolInputException("timeout_ms must be at least 1000.");
            }

            var models = model is { Length: > 0 } ? new Dictionary<string, string> { [provider] = model } : [];
            var seconds = timeout_ms is { } ms ? (int)Math.Ceiling(ms / 1000.0) : (int?)null;
            var (chatId, answers) = await AskAsync(session, [provider], prompt, models, null, chat, seconds, request, cancellationToken);
            return PerspectiveResult.Render(chatId, answers, isError: !answers[0].Succeeded);
        }, cancellationToken);

    [McpServerTool(Name = "get_cli_status", Title = "Polydev status", ReadOnly = true, Idempotent = true)]
    [Description("Shows which AI coding CLIs the user can run through Polydev: for each provider, the credential (API key or connected account, and when it expires) and the warm sandboxes ready on the server; and whether the server answers and the vault is unlocked. Works while the vault is locked, and says then how to unlock it.")]
    public Task<CallToolResult> GetCliStatusAsync(
        CancellationToken cancellationToken,
        [Description("Only this provider: " + ProviderIds.Accepted + ".")] string? provider_id = null,
        [Description(Ignored + ".")] string? user_id = null) =>
        StatusAsync("get_cli_status", provider_id, cancellationToken);

    [McpServerTool(Name = "force_cli_detection", Title = "Polydev status, read again", ReadOnly = true, Idempotent = true)]
    [Description("The old polydev-ai server's name for get_cli_status. Polydev detects nothing on this machine (the CLIs run in sandboxes) and caches nothing, so this reads the status again and returns it.")]
    public Task<CallToolResult> ForceCliDetectionAsync(
        CancellationToken cancellationToken,
        [Description("Only this provider: " + ProviderIds.Accepted + ".")] string? provider_id = null,
        [Description(Ignored + ".")] string? user_id = null) =>
        StatusAsync("force_cli_detection", provider_id, cancellationToken);

    [McpServerTool(Name = "list_chats", Title = "List Polydev chats", ReadOnly = true, Idempotent = true)]
    [Description("Lists the user's Polydev chats, newest activity first: id, title, number of messages, last activity. Titles are decrypted on this machine.")]
    public Task<CallToolResult> ListChatsAsync(
        CancellationToken cancellationToken,
        [Description("At most this many chats (default 20).")] int limit = 20) =>
        CallAsync("list_chats", async session =>
        {
            if (limit < 1)
            {
                throw new ToolInputException("limit must be at least 1.");
            }

            var cipher = new VaultCipher(session.Keys);
            var chats = (await session.Api.ListChatsAsync(cancellationToken))
                .OrderByDescending(c => c.LastMessageAt ?? c.CreatedAt)
                .Take(limit)
                .Select(c => new ChatSummary(c.Id, ChatTitle.Open(cipher, c.Id, c.Title), c.MessageCount, c.LastMessageAt ?? c.CreatedAt))
                .ToList();
            return ChatResult.List(chats);
        }, cancellationToken);

    [McpServerTool(Name = "get_chat", Title = "Read a Polydev chat", ReadOnly = true, Idempotent = true)]
    [Description("Returns one of the user's Polydev chats with every message (the prompts, and each provider's answer or why it failed), decrypted on this machine.")]
    public Task<CallToolResult> GetChatAsync(
        CancellationToken cancellationToken,
        [Description("The chat's id, a unique start of it, or its exact title (see list_chats).")] string chat) =>
        CallAsync("get_chat", async session =>
        {
            var cipher = new VaultCipher(session.Keys);
            var (found, title) = await UserChats.FindAsync(session.Api, cipher, chat, cancellationToken);
            var messages = await UserChats.MessagesAsync(session.Api, cipher, found.Id, cancellationToken);
            return ChatResult.Chat(found.Id, title, messages);
        }, cancellationToken);

    /// <summary>
    /// Stores the prompt once in a chat (a new one unless <paramref name="chat"/> names one), then runs it on every
    /// provider; each answer is stored after it as it ends.
    /// </summary>
    private async Task<(Guid Chat, IReadOnlyList<Perspective> Answers)> AskAsync(
        McpSession session,
        IReadOnlyList<string> providers,
        string prompt,
        IReadOnlyDictionary<string, string> models,
        ProjectContext? context,
        string? chat,
        int? timeoutSeconds,
        RequestContext<CallToolRequestParams> request,
        CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(prompt))
        {
            throw new ToolInputException("prompt is empty.");
        }

        if (timeoutSeconds is < 1)
        {
            throw new ToolInputException("timeout_seconds must be at least 1.");
        }

        var full = ProjectContext.Attach(prompt, context);
        var cipher = new VaultCipher(session.Keys);
        var runner = new ExecutionRunner(session.Api, cipher, time);
        Guid chatId;
        Func<string, IReadOnlyList<JobTurn>?> history = _ => null;
        if (chat is { Length: > 0 })
        {
            chatId = (await UserChats.FindAsync(session.Api, cipher, chat, cancellationToken)).Chat.Id;
            var earlier = (await UserChats.MessagesAsync(session.Api, cipher, chatId, cancellationToken)).Select(m => m.Body).ToList();
            history = provider => ConversationHistory.For(earlier, provider);
        }
        else
        {
            chatId = Guid.CreateVersion7();
            await session.Api.CreateChatAsync(new CreateChatRequest(chatId, ChatTitle.Seal(cipher, chatId, TitleFor(prompt))), cancellationToken);
        }

        await runner.StorePromptAsync(chatId, full, provider: providers.Count == 1 ? providers[0] : null, providers.Count == 1 ? models.GetValueOrDefault(providers[0]) : null, cancellationToken);
        var progress = new OrderedProgress(request, cancellationToken);
        try
        {
            var answers = await new PerspectiveFanOut(session, metrics, time).RunAsync(providers, full, models, timeoutSeconds, chatId, history, progress, cancellationToken);
            return (chatId, answers);
        }
        finally
        {
            await progress.FlushAsync();
        }
    }

    /// <summary>The <c>models</c> argument by Polydev's provider names; two names of one provider are an error, not a guess.</summary>
    private static Dictionary<string, string> ModelsByProvider(Dictionary<string, string>? models)
    {
        var byProvider = new Dictionary<string, string>();
        foreach (var (name, model) in models ?? [])
        {
            if (!byProvider.TryAdd(ProviderIds.Resolve(name), model))
            {
                throw new ToolInputException($"models names {ProviderIds.Resolve(name)} twice (as '{name}' and another name); give one model per provider.");
            }
        }

        return byProvider;
    }

    /// <summary>A new chat's title: the prompt's first line, as the web client names one.</summary>
    private static string TitleFor(string prompt)
    {
        var line = prompt.Trim().Split('\n', 2)[0].Trim();
        return line.Length <= 60 ? line : line[..60].TrimEnd() + "…";
    }

    /// <summary>The providers the user has a credential for, in Polydev's order; none is a tool error saying how to add one.</summary>
    private static async Task<List<string>> ProvidersWithCredentialsAsync(McpSession session, CancellationToken cancellationToken)
    {
        var withCredential = (await session.Api.ListCredentialsAsync(null, cancellationToken)).Select(c => c.Provider).ToHashSet();
        var providers = Providers.All.Where(withCredential.Contains).ToList();
        return providers.Count > 0
            ? providers
            : throw new ToolInputException("the user has no provider credential in Polydev yet; add one in a terminal with `polydev credentials add anthropic` (or `polydev credentials login anthropic` for a subscription account).");
    }

    private Task<CallToolResult> StatusAsync(string tool, string? providerId, CancellationToken cancellationToken) =>
        MeasureAsync(tool, async () =>
        {
            var only = providerId is { Length: > 0 } ? ProviderIds.Resolve(providerId) : null;
            var (session, locked) = await access.TryAsync(cancellationToken);
            try
            {
                return await CliStatus.ReadAsync(session, locked, only, time, cancellationToken);
            }
            catch (ApiException e) when (e.Status == HttpStatusCode.Unauthorized && session is not null)
            {
                access.Forget(session);
                throw new CliException(RefusedToken(session));
            }
        });

    /// <summary>A tool call that needs the vault: opened first, and every failure turned into a tool error the model can read.</summary>
    private Task<CallToolResult> CallAsync(string tool, Func<McpSession, Task<CallToolResult>> body, CancellationToken cancellationToken) =>
        MeasureAsync(tool, async () =>
        {
            var session = await access.SessionAsync(cancellationToken);
            try
            {
                return await body(session);
            }
            catch (ApiException e) when (e.Status == HttpStatusCode.Unauthorized)
            {
                access.Forget(session);
                throw new CliException(RefusedToken(session));
            }
        });

    private static string RefusedToken(McpSession session) => session.Source == UnlockSources.Keyring
        ? "the Polydev server refused the MCP server's API token (revoked or expired); run `polydev mcp setup` again."
        : "the Polydev server refused the token (revoked or expired); run `polydev login` (and `polydev mcp setup` for an MCP server that unlocks on its own).";

    private async Task<CallToolResult> MeasureAsync(string tool, Func<Task<CallToolResult>> call)
    {
        var started = time.GetTimestamp();
        var outcome = "error";
        try
        {
            var result = await call();
            outcome = result.IsError == true ? "error" : "ok";
            return result;
        }
        catch (OperationCanceledException)
        {
            outcome = "cancelled";
            throw;
        }
        catch (VaultLockedException e)
        {
            outcome = "locked";
            throw new McpException(e.Message);
        }
        catch (CliException e)
        {
            // Our own sentences carry no secrets (CliException's rule); the model reads them and can act.
            throw new McpException(e.Message);
        }
        catch (Exception e) when (e is System.Security.Cryptography.CryptographicException)
        {
            throw new McpException("a vault record did not open with these keys (were the keys rotated since `polydev mcp setup`?); run `polydev mcp setup` again.");
        }
        finally
        {
            var elapsed = time.GetElapsedTime(started);
            metrics.Call(tool, outcome, elapsed);
            logger.LogInformation("MCP tool {Tool} ended {Outcome} after {ElapsedMs} ms", tool, outcome, (long)elapsed.TotalMilliseconds);
        }
    }
}
