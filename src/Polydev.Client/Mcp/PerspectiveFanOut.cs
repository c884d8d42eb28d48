using ModelContextProtocol;
using Polydev.Client.Executions;
using Polydev.Client.Vault;
using Polydev.Contracts;
using Polydev.Contracts.Jobs;

namespace Polydev.Client.Mcp;

/// <summary>
/// One prompt to several providers at once, each in its own sandbox through <see cref="ExecutionRunner"/> (the same
/// run logic as <c>polydev run</c> and the web client), their answers side by side. A provider that fails is one
/// <see cref="Perspective"/> with its reason; the others go on. Progress goes to the MCP client as each provider
/// reaches a phase and when its first text arrives; cancelling cancels every execution, so the sandboxes are released.
/// </summary>
internal sealed class PerspectiveFanOut(McpSession session, McpMetrics metrics, TimeProvider time)
{
    /// <summary>The phases a run reports (<see cref="RunPhases"/>); with the first text, the progress steps of one provider.</summary>
    private const int StepsPerProvider = 7;

    /// <param name="chatId">The chat the prompt is stored in already; each answer is added after it.</param>
    /// <param name="history">Each provider's thread of that chat so far, when it continues one.</param>
    public async Task<IReadOnlyList<Perspective>> RunAsync(
        IReadOnlyList<string> providers,
        string prompt,
        IReadOnlyDictionary<string, string> models,
        int? timeLimitSeconds,
        Guid chatId,
        Func<string, IReadOnlyList<JobTurn>?> history,
        IProgress<ProgressNotificationValue> progress,
        CancellationToken cancellationToken)
    {
        var runner = new ExecutionRunner(session.Api, new VaultCipher(session.Keys), time) { Accounts = new ConnectedAccounts(session.Api, session.Keys) };
        var tracker = new ProgressTracker(progress, providers.Count * StepsPerProvider);
        var runs = providers.Select(provider => RunOneAsync(runner, provider, prompt, models.GetValueOrDefault(provider), timeLimitSeconds, chatId, history(provider), tracker, cancellationToken));
        return await Task.WhenAll(runs);
    }

    private async Task<Perspective> RunOneAsync(
        ExecutionRunner runner,
        string provider,
        string prompt,
        string? model,
        int? timeLimitSeconds,
        Guid chatId,
        IReadOnlyList<JobTurn>? history,
        ProgressTracker tracker,
        CancellationToken cancellationToken)
    {
        var cli = Providers.CliName(provider);
        Perspective perspective;
        try
        {
            var (credentialId, credential) = await runner.FindCredentialAsync(provider, idOrPrefix: null, cancellationToken);
            var request = new RunRequest(provider, prompt, credential)
            {
                Model = model,
                TimeLimitSeconds = timeLimitSeconds,
                ChatId = chatId,
                PromptStored = true,
                CredentialId = credentialId,
                History = history,
            };
            var firstText = true;
            var outcome = await runner.RunAsync(
                request,
                received =>
                {
                    if (received.Event is TextEvent { Text: { Length: > 0 } text } && firstText)
                    {
                        firstText = false;
                        tracker.Step(provider, $"{cli}: first text: {Snippet(text)}");
                    }
                },
                cancellationToken,
                (phase, phases) => tracker.Step(provider, $"{cli}: {phase.Words(phases.Warm)} ({phase.ElapsedMs} ms)"));
            perspective = Perspective.From(outcome);
        }
        catch (CliException e) when (!cancellationToken.IsCancellationRequested)
        {
            var kind = e is NoCredentialException ? Perspective.NoCredential : Perspective.Refused;
            perspective = Perspective.NotRun(provider, kind, e.Message);
        }

        metrics.Perspective(provider, perspective.Failure ?? "ok");
        tracker.Finish(provider, perspective.Succeeded
            ? $"{cli}: answered in {perspective.Seconds:0.0} s"
            : $"{cli}: failed: {perspective.Reason}");
        return perspective;
    }

    /// <summary>The start of a text on one line, for a progress message.</summary>
    private static string Snippet(string text)
    {
        var line = string.Join(' ', text.Split((char[])['\r', '\n', '\t'], StringSplitOptions.RemoveEmptyEntries)).Trim();
        return line.Length <= 80 ? line : line[..80] + "…";
    }

    /// <summary>
    /// The progress of all providers as one rising count (MCP requires each notification's progress to be higher than
    /// the last): each provider adds a step per phase reached, and its remaining steps when it ends.
    /// </summary>
    private sealed class ProgressTracker(IProgress<ProgressNotificationValue> progress, int total)
    {
        private readonly Lock _lock = new();
        private readonly Dictionary<string, int> _steps = [];
        private int _reported;

        public void Step(string provider, string message) => Report(provider, message, finish: false);

        public void Finish(string provider, string message) => Report(provider, message, finish: true);

        private void Report(string provider, string message, bool finish)
        {
            lock (_lock)
            {
                var steps = _steps.GetValueOrDefault(provider);
                _steps[provider] = finish ? StepsPerProvider : Math.Min(steps + 1, StepsPerProvider - 1);
                var now = _steps.Values.Sum();
                if (now <= _reported)
                {
                    return;
                }

                _reported = now;
                progress.Report(new ProgressNotificationValue { Progress = now, Total = total, Message = message });
            }
        }
    }
}
