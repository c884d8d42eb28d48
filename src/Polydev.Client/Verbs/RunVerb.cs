using System.CommandLine;
using Polydev.Client.Executions;
using Polydev.Client.Terminal;
using Polydev.Client.Vault;
using Polydev.Contracts;
using Polydev.Contracts.Jobs;
using Polydev.Contracts.Vault;

namespace Polydev.Client.Verbs;

/// <summary>
/// <c>polydev run --provider P [--model M] [--chat CHAT] PROMPT</c>: runs the provider's CLI in a fresh sandbox with
/// the user's own credential and streams the answer back, decrypted here. The job is sealed on this machine to the
/// sandbox's one-job key; the server relays ciphertext it cannot read.
/// </summary>
internal static class RunVerb
{
    public static Command Create(GlobalOptions globals)
    {
        var provider = new Option<string>("--provider", "-p") { Description = $"Whose CLI runs: {string.Join(", ", Providers.All)}.", Required = true, HelpName = "PROVIDER" };
        provider.AcceptOnlyFromAmong([.. Providers.All]);
        var model = new Option<string?>("--model", "-m") { Description = "The model the CLI should use (default: the CLI's).", HelpName = "MODEL" };
        var chat = new Option<string?>("--chat") { Description = "Continue this chat (id, id prefix or title): the provider gets the conversation so far, and the prompt and answer are stored in it.", HelpName = "CHAT" };
        var continueLast = new Option<bool>("--continue", "-c") { Description = "Continue the chat with the latest activity, like --chat." };
        var credential = new Option<string?>("--credential") { Description = "Which of your credentials for the provider (id or id prefix; default: the newest).", HelpName = "ID" };
        var timeout = new Option<int?>("--timeout") { Description = "Seconds the CLI may run (default and most: the server's limit).", HelpName = "SECONDS" };
        var baseUrl = new Option<string?>("--base-url") { Description = "The provider API's base URL for the CLI (a compatible endpoint); chosen here, sealed in the job.", HelpName = "URL" };
        var caFile = new Option<string?>("--ca-file") { Description = "A PEM CA bundle the CLI should trust in addition to the system's (sealed in the job).", HelpName = "PATH" };
        var verbose = new Option<bool>("--verbose", "-v") { Description = "Also show what the CLI printed as errors, and the details of a failure." };
        var prompt = new Argument<string?>("PROMPT") { Description = "The prompt; '-' or nothing reads it from stdin.", Arity = ArgumentArity.ZeroOrOne };
        var run = new Command("run", "Run a prompt through your provider's CLI in a fresh sandbox and stream the answer.")
        {
            provider, model, chat, continueLast, credential, timeout, baseUrl, caFile, verbose, prompt,
        };
        VerbAction.Set(run, globals, context => RunAsync(context, new RunOptions(
            context.Parse.GetRequiredValue(provider),
            context.Parse.GetValue(model),
            context.Parse.GetValue(chat),
            context.Parse.GetValue(continueLast),
            context.Parse.GetValue(credential),
            context.Parse.GetValue(timeout),
            context.Parse.GetValue(baseUrl),
            context.Parse.GetValue(caFile),
            context.Parse.GetValue(verbose),
            context.Parse.GetValue(prompt))));
        return run;
    }

    private sealed record RunOptions(string Provider, string? Model, string? Chat, bool Continue, string? Credential, int? Timeout, string? BaseUrl, string? CaFile, bool Verbose, string? Prompt);

    private static async Task<int> RunAsync(VerbContext context, RunOptions options)
    {
        var prompt = ReadPrompt(options.Prompt);
        if (options.Timeout is < 1)
        {
            throw new UsageException("--timeout must be at least 1 second.");
        }

        if (options.Continue && options.Chat is not null)
        {
            throw new UsageException("give --chat or --continue, not both.");
        }

        var baseUrl = Endpoint.ParseBaseUrl(options.BaseUrl, "--base-url");
        var caBundle = await Endpoint.ReadCaBundleAsync(options.CaFile, "--ca-file", context.Cancellation);

        using var api = context.SignedInApi(out var state);
        using var keys = await Session.KeysAsync(context, api, state);
        var cipher = new VaultCipher(keys);
        var runner = new ExecutionRunner(api, cipher) { Accounts = new ConnectedAccounts(api, keys) };
        var (credentialId, credential) = await runner.FindCredentialAsync(options.Provider, options.Credential, context.Cancellation);
        (ChatResponse Chat, string Title)? chat = options.Chat is { } chatText ? await UserChats.FindAsync(api, cipher, chatText, context.Cancellation)
            : options.Continue ? await LatestChatAsync(context, api, cipher)
            : null;
        // A chat is a conversation: the provider's own thread of it goes with the prompt (docs/executions.md, "Conversations").
        var history = chat is { } continued
            ? ConversationHistory.For((await UserChats.MessagesAsync(api, cipher, continued.Chat.Id, context.Cancellation)).Select(m => m.Body).ToList(), options.Provider)
            : null;
        if (chat is { } named && history is { Count: > 0 } && !context.Output.Json)
        {
            Output.Note($"Continuing '{Terminal.TerminalText.Printable(named.Title)}': {history.Count(t => t.Role == JobTurn.User)} earlier prompt(s) go with this one.");
        }

        using var printer = new EventPrinter(context.Output.Json, options.Verbose, options.Provider);
        var request = new RunRequest(options.Provider, prompt, credential)
        {
            Model = options.Model,
            TimeLimitSeconds = options.Timeout,
            BaseUrl = baseUrl,
            CaBundle = caBundle,
            ChatId = chat?.Chat.Id,
            History = history,
            CredentialId = credentialId,
        };
        var outcome = await runner.RunAsync(request, printer.Print, context.Cancellation, printer.Phase);
        if (outcome.CredentialRefreshed)
        {
            Output.Note($"The {options.Provider} sign-in was refreshed during the run; the new token is stored in your vault.");
        }

        if (outcome.StoredInChat is { } chatId)
        {
            Output.Note($"Stored the prompt and the answer in chat {chatId}.");
        }

        printer.FinishLine();
        if (outcome.FailureSentence is { } sentence)
        {
            if (options.Verbose && outcome.Failure?.Detail is { Length: > 0 } detail)
            {
                Output.Note($"[details] {outcome.Failure.Kind}: {Output.OneLine(detail)}");
            }

            throw new CliException(sentence);
        }

        if (!context.Output.Json)
        {
            Output.Note(Summary(outcome));
            if (options.Verbose && SandboxTimings.Describe(outcome.Transcript.Timings) is { } timings)
            {
                Output.Note($"[timings] {timings}");
            }
        }

        return ExitCodes.Success;
    }

    /// <summary>The chat with the latest message (or, without messages, the newest one).</summary>
    private static async Task<(ChatResponse Chat, string Title)> LatestChatAsync(VerbContext context, Polydev.Client.Api.PolydevApi api, VaultCipher cipher)
    {
        var latest = (await api.ListChatsAsync(context.Cancellation)).MaxBy(c => c.LastMessageAt ?? c.CreatedAt)
            ?? throw new CliException("you have no chat to continue; start one with `polydev chats new TITLE` and run with --chat.");
        return (latest, ChatTitle.Open(cipher, latest.Id, latest.Title));
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

    private static string Summary(RunOutcome outcome) =>
        $"[{outcome.Created.Provider}, {(outcome.Created.Warm ? "warm" : "cold")} sandbox, execution {outcome.Created.Id}"
        + (outcome.Phases?.Find(RunPhases.FirstOutput) is { } first ? $", first output after {Seconds(first.ElapsedMs)}" : "")
        + (outcome.Phases?.Find(RunPhases.Done) is { } done ? $", done in {Seconds(done.ElapsedMs)}" : "")
        + (outcome.Transcript.Usage is { InputTokens: { } input, OutputTokens: { } output } ? $", {input} tokens in, {output} out]" : "]");

    private static string Seconds(long milliseconds) => $"{milliseconds / 1000.0:0.0} s";

    /// <summary>
    /// Prints normalized events (docs/events.md) as they arrive: the answer's text on stdout, tool use and retries on
    /// stderr, and with <c>--verbose</c> what the CLI printed as errors; with <c>--json</c>, every event as one JSON
    /// line on stdout.
    /// </summary>
    private sealed class EventPrinter(bool json, bool verbose, string provider) : IDisposable
    {
        private readonly StatusLine _status = new(enabled: !json);

        // On a terminal the answer is shown as Markdown (line by line as it streams); piped, as written.
        private readonly TerminalMarkdown _answer = new(Console.Out, styled: !json && !Console.IsOutputRedirected);

        /// <summary>
        /// A phase of the run: on a terminal, the status line until the first output; with <c>--json</c>, a line
        /// <c>{"type":"phase","phase":…,"elapsedMs":…}</c> among the events; with <c>--verbose</c> in a log, a note.
        /// </summary>
        public void Phase(RunPhase phase, RunPhases phases)
        {
            if (json)
            {
                object line = phase.Name == RunPhases.Allocated
                    ? new { type = "phase", phase = phase.Name, elapsedMs = phase.ElapsedMs, warm = phases.Warm }
                    : new { type = "phase", phase = phase.Name, elapsedMs = phase.ElapsedMs };
                Console.Out.WriteLine(System.Text.Json.JsonSerializer.Serialize(line, Polydev.Contracts.PolydevJson.Options));
                Console.Out.Flush();
                return;
            }

            if (phase.Name is RunPhases.FirstOutput or RunPhases.Done)
            {
                _status.Clear();
            }
            else if (_status.Enabled)
            {
                _status.Show($"{Providers.CliName(provider)}: {string.Join(" · ", phases.Reached.Select(p => p.Words(phases.Warm)))}");
            }

            if (verbose && !_status.Enabled)
            {
                Output.Note($"[phase] {phase.Words(phases.Warm)} at {phase.ElapsedMs} ms");
            }
        }

        public void Dispose() => _status.Dispose();

        public void Print(ReceivedEvent received)
        {
            if (!json && received.Event is TextEvent or ToolUseEvent or RetryEvent or ErrorEvent)
            {
                _status.Clear();
            }

            switch (received.Event)
            {
                case TextEvent { Text: var text } when !json:
                    _answer.Write(text);
                    Console.Out.Flush();
                    break;
                case ToolUseEvent tool when !json:
                    FinishLine();
                    Output.Note($"[tool] {(tool.Name is { Length: > 0 } name ? name : "?")}");
                    break;
                case RetryEvent retry when !json:
                    FinishLine();
                    Output.Note($"[retry] {Retrying(retry)}");
                    break;
                case ErrorEvent error when !json && verbose:
                    FinishLine();
                    Output.Note($"[{(error.Source is { Length: > 0 } source ? source : "error")}] {Output.OneLine(error.Message)}");
                    break;
            }

            if (json)
            {
                Console.Out.WriteLine(TerminalText.PrintableJson(received.Json));
                Console.Out.Flush();
            }
        }

        private string Retrying(RetryEvent retry)
        {
            var what = retry.Status is { } status ? $"{Providers.DisplayName(provider)} answered {status}" : $"no connection to {Providers.DisplayName(provider)}";
            var attempt = retry.Attempt is { } n ? retry.MaxRetries is { } max ? $" (retry {n} of {max})" : $" (retry {n})" : "";
            return $"{what}; {Providers.CliName(provider)} tries again{attempt}.";
        }

        public void FinishLine()
        {
            _answer.Flush();
            if (!_answer.AtLineStart)
            {
                Console.Out.WriteLine();
            }
        }
    }
}
