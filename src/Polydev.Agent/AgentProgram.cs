using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text.Json;
using Polydev.Agent.Protocol;
using Polydev.Agent.Login;
using Polydev.Crypto;

namespace Polydev.Agent;

/// <summary>
/// <c>polydev-agent serve</c> (the sandbox's one job, over the agent channel: docs/agent-protocol.md) and
/// <c>polydev-agent idle</c> (the sandbox's main process). Nothing secret is ever written to stderr: messages there
/// describe what failed, never the job's content.
/// </summary>
internal static class AgentProgram
{
    private const string Usage = """
        usage: polydev-agent serve [--heartbeat-ms N] [--start-ahead PROVIDER]
                                                       make the one-job key pair in memory, say hello (with the public key)
                                                         on stdout, wait for the sealed job on stdin and run it, writing
                                                         its encrypted output; all of it framed as in docs/agent-protocol.md.
                                                         A heartbeat goes out every N ms (default 5000) until the exit frame.
                                                         --start-ahead starts PROVIDER's CLI after the hello, with nothing
                                                         of any job, so a job of PROVIDER finds it started (docs/executions.md).
               polydev-agent login [--heartbeat-ms N] [--time-limit-s N] [--idle-s N] [--ice relay|all]
                                                       a login sandbox's agent: the same hello, then the viewer's sealed
                                                       opening, then the remote browser streamed over WebRTC (or VNC)
                                                       with every signal sealed under the session key (docs/login-sessions.md).
                                                       Ends at the time limit (default 600 s) or after --idle-s without
                                                       input (default 120 s); --ice all also offers direct paths (tests).
               polydev-agent idle                      the sandbox's main process: waits, doing nothing, until SIGTERM
        """;

    public static async Task<int> MainAsync(string[] args, Stream stdin, Stream stdout, TextWriter stderr)
    {
        if (args.Length == 0 || args[0] is "-h" or "--help")
        {
            await stderr.WriteLineAsync(Usage);
            return (int)(args.Length == 0 ? AgentExitReason.Usage : AgentExitReason.Ok);
        }

        TimeSpan heartbeat = AgentProtocol.DefaultHeartbeatInterval;
        LoginLimits limits = LoginLimits.Default;
        string? startAhead = null;
        for (int i = 1; i < args.Length; i++)
        {
            bool serves = args[0] is "serve" or "login";
            bool login = args[0] == "login";
            if (serves && args[i] == "--heartbeat-ms" && i + 1 < args.Length && int.TryParse(args[++i], out int ms) && ms is > 0 and <= 3_600_000)
            {
                heartbeat = TimeSpan.FromMilliseconds(ms);
            }
            else if (args[0] == "serve" && args[i] == "--start-ahead" && i + 1 < args.Length && args[++i].Length > 0)
            {
                // A provider this agent cannot start ahead (none of its own, or a kind of the operator's) is served as
                // without the option: the server passes it for every kind with a provider, and a sandbox must not fail
                // to warm over an optimisation.
                startAhead = ProviderSpec.Find(args[i]) is null ? null : args[i];
            }
            else if (login && args[i] == "--time-limit-s" && i + 1 < args.Length && int.TryParse(args[++i], out int limit) && limit is > 0 and <= 86_400)
            {
                limits = limits with { TimeLimit = TimeSpan.FromSeconds(limit) };
            }
            else if (login && args[i] == "--idle-s" && i + 1 < args.Length && int.TryParse(args[++i], out int idle) && idle is > 0 and <= 86_400)
            {
                limits = limits with { IdleLimit = TimeSpan.FromSeconds(idle) };
            }
            else if (login && args[i] == "--ice" && i + 1 < args.Length && args[++i] is "relay" or "all")
            {
                limits = limits with { RelayOnly = args[i] == "relay" };
            }
            else
            {
                await stderr.WriteLineAsync($"polydev-agent: unknown or invalid argument at position {i}.\n{Usage}");
                return (int)AgentExitReason.Usage;
            }
        }

        try
        {
            return args[0] switch
            {
                "idle" => await IdleAsync(),
                "serve" => await ServeAsync(stdin, stdout, stderr, heartbeat, startAhead, RunJobAsync),
                "login" => await ServeAsync(stdin, stdout, stderr, heartbeat, startAhead: null, (key, sealedOpening, channel, _, err) => LoginProgram.RunAsync(key, sealedOpening, channel, limits, err)),
                _ => await UnknownVerbAsync(stderr),
            };
        }
        catch (Exception e)
        {
            // The type only: a message could, in principle, quote data.
            await stderr.WriteLineAsync($"polydev-agent: internal error ({e.GetType().Name}).");
            return (int)AgentExitReason.InternalError;
        }
    }

    public static string Home => Environment.GetEnvironmentVariable("HOME") is { Length: > 0 } home
        ? home
        : Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);

    private static async Task<int> UnknownVerbAsync(TextWriter stderr)
    {
        await stderr.WriteLineAsync(Usage);
        return (int)AgentExitReason.Usage;
    }

    /// <summary>
    /// Keeps the sandbox alive between warm-up and its one job; <c>serve</c> arrives as a separate exec.
    /// The engine's init (Docker <c>--init</c>) reaps orphans, so this needs to do nothing but wait.
    /// </summary>
    private static async Task<int> IdleAsync()
    {
        var stop = new TaskCompletionSource();
        using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context => { context.Cancel = true; stop.TrySetResult(); });
        using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, context => { context.Cancel = true; stop.TrySetResult(); });
        await stop.Task;
        return (int)AgentExitReason.Ok;
    }

    /// <summary>
    /// <c>serve</c>: the sandbox's warm state and its one job. The key pair lives only in this process's memory (never
    /// in a file); the hello carries the public key, then the process waits for the one sealed job and runs it. A warm
    /// pool keeps this process waiting, so handing a job to a sandbox costs no process start at all. Every way out ends
    /// with an exit frame naming the <see cref="AgentExitReason"/>, and the process exits with the same number.
    /// </summary>
    private static async Task<int> ServeAsync(Stream stdin, Stream stdout, TextWriter stderr, TimeSpan heartbeat, string? startAhead,
        Func<UserKeyPair, byte[], AgentChannel, StartedAheadCli?, TextWriter, Task<AgentExitReason>> run)
    {
        await using var channel = new AgentChannel(stdin, stdout, heartbeat);
        try
        {
            using UserKeyPair key = UserKeyPair.Generate();
            await channel.HelloAsync(key.PublicKey);
            // After the hello: the sandbox is ready at once, and a job that comes while the CLI still starts waits on its stdin.
            await using StartedAheadCli? ahead = startAhead is null ? null : StartedAheadCli.Start(startAhead, stderr);
            byte[]? sealedJob;
            try
            {
                sealedJob = await channel.ReceiveJobAsync();
            }
            catch (AgentProtocolException e)
            {
                // The message names versions, types and lengths only.
                await stderr.WriteLineAsync($"polydev-agent: {e.Message}");
                return await channel.ExitAsync(AgentExitReason.ProtocolError);
            }

            if (sealedJob is null)
            {
                return await channel.ExitAsync(channel.CancelRequested.IsCancellationRequested ? AgentExitReason.Cancelled : AgentExitReason.Abandoned);
            }

            return await channel.ExitAsync(await run(key, sealedJob, channel, ahead, stderr));
        }
        catch (Exception e) when (e is not IOException)
        {
            await stderr.WriteLineAsync($"polydev-agent: internal error ({e.GetType().Name}).");
            return await channel.ExitAsync(AgentExitReason.InternalError);
        }
    }

    private static async Task<AgentExitReason> RunJobAsync(UserKeyPair key, byte[] sealedJob, AgentChannel channel, StartedAheadCli? ahead, TextWriter stderr)
    {
        Job? job;
        byte[] plaintext;
        try
        {
            plaintext = SealedBox.Open(key, sealedJob, Job.SealedJobPurpose);
        }
        catch (CryptographicException)
        {
            await stderr.WriteLineAsync("polydev-agent: the job could not be opened (sealed to another key or purpose, or modified).");
            return AgentExitReason.JobRefused;
        }

        try
        {
            job = JsonSerializer.Deserialize(plaintext, JobJsonContext.Default.Job);
        }
        catch (JsonException)
        {
            job = null;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(plaintext);
        }

        if (JobValidation.Check(job) is { } problem)
        {
            await stderr.WriteLineAsync($"polydev-agent: the job was refused: {problem}");
            return AgentExitReason.JobRefused;
        }

        return await new JobRunner(job!, channel, ahead).RunAsync();
    }
}

internal static class JobValidation
{
    public const long DefaultMaxOutputBytes = 16L << 20;
    public const int DefaultTimeLimitSeconds = 600;

    /// <summary>What is wrong with the job, in words that never quote its content; null when it can run.</summary>
    public static string? Check(Job? job)
    {
        if (job is null)
        {
            return "its plaintext is not a job (JSON object with the documented fields).";
        }

        if (job.Version != 1)
        {
            return $"job version {job.Version} is not supported (expected 1).";
        }

        if (ProviderSpec.Find(job.Provider) is null)
        {
            return "provider must be anthropic, openai or google.";
        }

        if (job.Credential is not { Value.Length: > 0 } credential
            || credential.Type is not (JobCredential.ApiKey or JobCredential.CredentialFile))
        {
            return "credential must have type api_key or credential_file and a non-empty value.";
        }

        if (credential.Type == JobCredential.ApiKey && credential.Value.Any(c => char.IsControl(c) || char.IsWhiteSpace(c)))
        {
            return "an API key must not contain whitespace or control characters.";
        }

        if (string.IsNullOrEmpty(job.Prompt))
        {
            return "prompt is empty.";
        }

        if (job.History is { } history && history.Any(turn => turn is null || turn.Role is not (JobTurn.User or JobTurn.Assistant) || turn.Text is null))
        {
            return "history must be turns with role user or assistant and a text.";
        }

        if (job.OutputKey is not { Length: OutputStream.KeyLength })
        {
            return $"outputKey must be {OutputStream.KeyLength} bytes (base64).";
        }

        job.Options ??= new JobOptions();
        if (job.Options.Model is { } model && (model.Length is 0 or > 128 || model.StartsWith('-') || model.Any(c => char.IsControl(c) || char.IsWhiteSpace(c))))
        {
            return "model must be 1 to 128 characters, not start with '-', and contain no whitespace.";
        }

        if (job.Options.TimeLimitSeconds < 0 || job.Options.MaxOutputBytes < 0)
        {
            return "timeLimitSeconds and maxOutputBytes must not be negative.";
        }

        if (job.Options.TimeLimitSeconds == 0)
        {
            job.Options.TimeLimitSeconds = DefaultTimeLimitSeconds;
        }

        if (job.Options.MaxOutputBytes == 0)
        {
            job.Options.MaxOutputBytes = DefaultMaxOutputBytes;
        }

        if (job.ProxyUrl is { } proxy && (!Uri.TryCreate(proxy, UriKind.Absolute, out Uri? uri) || uri.Scheme is not ("http" or "https")))
        {
            return "proxyUrl must be an absolute http or https URL.";
        }

        if (job.BaseUrl is { } baseUrl && (!Uri.TryCreate(baseUrl, UriKind.Absolute, out Uri? api) || api.Scheme is not ("http" or "https") || !string.IsNullOrEmpty(api.UserInfo)))
        {
            return "baseUrl must be an absolute http or https URL without user information.";
        }

        return null;
    }
}
