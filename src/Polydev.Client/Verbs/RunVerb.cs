using System.CommandLine;
using System.Net;
using System.Text;
using System.Text.Json;
using Polydev.Client.Api;
using Polydev.Client.Executions;
using Polydev.Client.Terminal;
using Polydev.Client.Vault;
using Polydev.Contracts;
using Polydev.Contracts.Executions;
using Polydev.Contracts.Vault;
using Polydev.Crypto;

namespace Polydev.Client.Verbs;

/// <summary>
/// <c>polydev run --provider P [--model M] [--chat CHAT] PROMPT</c>: runs the provider's CLI in a fresh sandbox with
/// the user's own credential and streams the answer back, decrypted here. The job is sealed on this machine to the
/// sandbox's one-job key; the server relays ciphertext it cannot read.
/// </summary>
internal static class RunVerb
{
    /// <summary>Reconnections of the output stream after a dropped connection before giving up.</summary>
    private const int MaxReconnects = 40;

    public static Command Create(GlobalOptions globals)
    {
        var provider = new Option<string>("--provider", "-p") { Description = $"Whose CLI runs: {string.Join(", ", Providers.All)}.", Required = true, HelpName = "PROVIDER" };
        provider.AcceptOnlyFromAmong([.. Providers.All]);
        var model = new Option<string?>("--model", "-m") { Description = "The model the CLI should use (default: the CLI's).", HelpName = "MODEL" };
        var chat = new Option<string?>("--chat") { Description = "Store the prompt and the answer in this chat (id, id prefix or title).", HelpName = "CHAT" };
        var credential = new Option<string?>("--credential") { Description = "Which of your credentials for the provider (id or id prefix; default: the newest).", HelpName = "ID" };
        var timeout = new Option<int?>("--timeout") { Description = "Seconds the CLI may run (default and most: the server's limit).", HelpName = "SECONDS" };
        var baseUrl = new Option<string?>("--base-url") { Description = "The provider API's base URL for the CLI (a compatible endpoint); chosen here, sealed in the job.", HelpName = "URL" };
        var caFile = new Option<string?>("--ca-file") { Description = "A PEM CA bundle the CLI should trust in addition to the system's (sealed in the job).", HelpName = "PATH" };
        var prompt = new Argument<string?>("PROMPT") { Description = "The prompt; '-' or nothing reads it from stdin.", Arity = ArgumentArity.ZeroOrOne };
        var run = new Command("run", "Run a prompt through your provider's CLI in a fresh sandbox and stream the answer.")
        {
            provider, model, chat, credential, timeout, baseUrl, caFile, prompt,
        };
        VerbAction.Set(run, globals, context => RunAsync(context, new RunRequest(
            context.Parse.GetRequiredValue(provider),
            context.Parse.GetValue(model),
            context.Parse.GetValue(chat),
            context.Parse.GetValue(credential),
            context.Parse.GetValue(timeout),
            context.Parse.GetValue(baseUrl),
            context.Parse.GetValue(caFile),
            context.Parse.GetValue(prompt))));
        return run;
    }

    private sealed record RunRequest(string Provider, string? Model, string? Chat, string? Credential, int? Timeout, string? BaseUrl, string? CaFile, string? Prompt);

    private static async Task<int> RunAsync(VerbContext context, RunRequest request)
    {
        var prompt = ReadPrompt(request.Prompt);
        if (request.Timeout is < 1)
        {
            throw new UsageException("--timeout must be at least 1 second.");
        }

        var baseUrl = Endpoint.ParseBaseUrl(request.BaseUrl, "--base-url");
        var caBundle = await Endpoint.ReadCaBundleAsync(request.CaFile, "--ca-file", context.Cancellation);

        using var api = context.SignedInApi(out var state);
        using var keys = await Session.KeysAsync(context, api, state);
        var cipher = new VaultCipher(keys);
        var secret = await FindCredentialAsync(context, api, cipher, request.Provider, request.Credential);
        (ChatResponse Chat, string Title)? chat = request.Chat is { } chatText ? await ChatVerbs.FindAsync(context, api, cipher, chatText) : null;

        var created = await api.CreateExecutionAsync(new CreateExecutionRequest(request.Provider), context.Cancellation);
        var job = new ExecutionJob
        {
            Provider = request.Provider,
            CredentialType = secret.Type,
            Credential = secret.Secret,
            Prompt = prompt,
            Model = request.Model,
            TimeLimitSeconds = Math.Min(request.Timeout ?? created.Limits.MaxRunSeconds, created.Limits.MaxRunSeconds),
            MaxOutputBytes = 0,
            ProxyUrl = created.ProxyUrl,
            // The command line wins over the endpoint stored with the credential.
            BaseUrl = baseUrl ?? secret.BaseUrl,
            CaBundle = baseUrl is null ? caBundle ?? secret.CaBundle : caBundle,
        };

        try
        {
            var sealedJob = job.SealTo(Convert.FromBase64String(created.SandboxPublicKey));
            await api.StartExecutionAsync(created.Id, new StartExecutionRequest(Convert.ToBase64String(sealedJob)), context.Cancellation);
            var printer = new EventPrinter(context.Output.Json);
            var outcome = await FollowAsync(api, created.Id, job.OutputKey, printer, context.Cancellation);

            if (chat is { } target && outcome.ExitReason is not null)
            {
                await StoreExchangeAsync(context, api, cipher, target.Chat.Id, request, prompt, printer.Answer);
            }

            if (outcome.ExitReason == "ok")
            {
                if (!context.Output.Json)
                {
                    printer.FinishLine();
                    Output.Note(printer.Summary(created));
                }

                return ExitCodes.Success;
            }

            printer.FinishLine();
            throw new CliException(outcome.ExitReason is { } reason
                ? $"the {request.Provider} CLI did not succeed: {reason}{(outcome.ExitCode is { } code ? $" (exit code {code})" : "")}{(printer.LastError is { } error ? $": {Output.OneLine(error)}" : "")}."
                : $"the execution {outcome.Execution.State}: {outcome.Execution.Reason ?? "no reason given"}; no complete answer arrived.");
        }
        catch (OperationCanceledException) when (context.Cancellation.IsCancellationRequested)
        {
            // Ctrl-C: stop the sandbox too; it is the user's quota.
            using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            try
            {
                await api.CancelExecutionAsync(created.Id, cancel.Token);
            }
            catch (Exception e) when (e is CliException or OperationCanceledException)
            {
            }

            throw;
        }
    }

    private static string ReadPrompt(string? argument)
    {
        var prompt = argument is null or "-" ? (Prompt.CanAsk && argument is null ? "" : Prompt.ReadAllStdin()) : argument;
        if (prompt.Length == 0)
        {
            throw new UsageException("the prompt is empty; give it as an argument or pipe it in (polydev run --provider anthropic - < prompt.txt).");
        }

        return prompt;
    }

    private static async Task<CredentialSecret> FindCredentialAsync(VerbContext context, PolydevApi api, VaultCipher cipher, string provider, string? idText)
    {
        var credentials = await api.ListCredentialsAsync(provider, context.Cancellation);
        if (credentials.Count == 0)
        {
            throw new CliException($"you have no {provider} credential; add one with `polydev credentials add {provider}`.");
        }

        var chosen = idText is null
            ? credentials.OrderByDescending(c => c.CreatedAt).First()
            : IdPrefix.Single(credentials, c => c.Id, idText, "credential", "polydev credentials list");
        return CredentialSecret.Open(cipher, chosen.Id, chosen.Secret);
    }

    private sealed record Outcome(ExecutionResponse Execution, string? ExitReason, int? ExitCode);

    /// <summary>
    /// Reads and opens the output stream until its final chunk, reconnecting from the next sequence number when
    /// the connection drops. Ends early only when the server says the execution ended without a final chunk.
    /// </summary>
    private static async Task<Outcome> FollowAsync(PolydevApi api, Guid id, byte[] outputKey, EventPrinter printer, CancellationToken cancellationToken)
    {
        using var decryptor = new OutputStreamDecryptor(outputKey);
        var reconnects = 0;
        while (true)
        {
            try
            {
                await using var stream = await api.OpenExecutionStreamAsync(id, decryptor.NextSequence, cancellationToken);
                while (await OutputStream.ReadFrameAsync(stream, cancellationToken) is { } frame)
                {
                    var chunk = decryptor.Open(frame.Bytes);
                    printer.Print(chunk.Plaintext);
                    if (chunk.IsFinal)
                    {
                        return new Outcome(await api.GetExecutionAsync(id, cancellationToken), printer.ExitReason, printer.ExitCode);
                    }
                }
            }
            catch (Exception e) when (e is IOException or HttpRequestException || (e is OutputStreamException { Failure: OutputStreamFailure.Truncated }))
            {
                // A dropped connection: resume from the next chunk this side needs.
            }

            if (++reconnects > MaxReconnects)
            {
                throw new CliException($"the output stream of execution {id} kept breaking; it may still be running (see its status).");
            }

            try
            {
                var execution = await api.GetExecutionAsync(id, cancellationToken);
                if (ExecutionStates.IsFinished(execution.State) && execution.Chunks <= decryptor.NextSequence)
                {
                    return new Outcome(execution, null, null);
                }
            }
            catch (CliException e) when (e is not ApiException)
            {
                // The server is unreachable (restarting, say): keep trying; it records how the execution ended.
            }

            await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(2000, 200 * reconnects)), cancellationToken);
        }
    }

    private static async Task StoreExchangeAsync(VerbContext context, PolydevApi api, VaultCipher cipher, Guid chatId, RunRequest request, string prompt, string answer)
    {
        var userId = Guid.CreateVersion7();
        await api.CreateMessageAsync(chatId, new CreateMessageRequest(userId, new ChatMessageBody(ChatMessageBody.User, prompt, request.Provider, request.Model).Seal(cipher, userId)), context.Cancellation);
        var answerId = Guid.CreateVersion7();
        await api.CreateMessageAsync(chatId, new CreateMessageRequest(answerId, new ChatMessageBody(ChatMessageBody.Assistant, answer, request.Provider, request.Model).Seal(cipher, answerId)), context.Cancellation);
        Output.Note($"Stored the prompt and the answer in chat {chatId}.");
    }

    /// <summary>
    /// Prints normalized events (docs/events.md) as they arrive: the answer's text on stdout, tool use and errors on
    /// stderr; with <c>--json</c>, every event as one JSON line on stdout.
    /// </summary>
    private sealed class EventPrinter(bool json)
    {
        private readonly StringBuilder _answer = new();
        private bool _midLine;
        private JsonElement? _usage;

        public string Answer => _answer.ToString();

        public string? ExitReason { get; private set; }

        public int? ExitCode { get; private set; }

        public string? LastError { get; private set; }

        public void Print(byte[] plaintext)
        {
            using var document = JsonDocument.Parse(plaintext);
            var e = document.RootElement;
            var type = e.TryGetProperty("type", out var t) ? t.GetString() : null;
            switch (type)
            {
                case "text":
                    var text = e.GetProperty("text").GetString() ?? "";
                    _answer.Append(text);
                    if (!json)
                    {
                        Console.Out.Write(text);
                        Console.Out.Flush();
                        _midLine = text.Length > 0 && text[^1] != '\n';
                    }

                    break;
                case "tool_use" when !json:
                    FinishLine();
                    Output.Note($"[tool] {(e.TryGetProperty("name", out var name) ? name.GetString() : "?")}");
                    break;
                case "error":
                    LastError = e.TryGetProperty("message", out var message) ? message.GetString() : null;
                    if (!json)
                    {
                        FinishLine();
                        Output.Note($"[{(e.TryGetProperty("source", out var source) ? source.GetString() : "error")}] {Output.OneLine(LastError ?? "")}");
                    }

                    break;
                case "result":
                    if (e.TryGetProperty("usage", out var usage))
                    {
                        _usage = usage.Clone();
                    }

                    break;
                case "exit":
                    ExitReason = e.TryGetProperty("reason", out var reason) ? reason.GetString() : "unknown";
                    ExitCode = e.TryGetProperty("exitCode", out var code) && code.ValueKind == JsonValueKind.Number ? code.GetInt32() : null;
                    break;
            }

            if (json)
            {
                Console.Out.WriteLine(e.GetRawText());
                Console.Out.Flush();
            }
        }

        public void FinishLine()
        {
            if (_midLine)
            {
                Console.Out.WriteLine();
                _midLine = false;
            }
        }

        public string Summary(ExecutionCreatedResponse created) =>
            $"[{created.Provider}, {(created.Warm ? "warm" : "cold")} sandbox, execution {created.Id}"
            + (_usage is { } usage && usage.TryGetProperty("inputTokens", out var input) && usage.TryGetProperty("outputTokens", out var output)
                ? $", {input.GetInt64()} tokens in, {output.GetInt64()} out]"
                : "]");
    }
}
