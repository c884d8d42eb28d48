using System.ComponentModel;
using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Polydev.Agent.Protocol;
using Polydev.Agent.Timing;
using Polydev.Crypto;

namespace Polydev.Agent;

/// <summary>
/// Runs one opened job: places the credential, starts the provider CLI with a clean environment, maps its JSON
/// stream to events, seals every event as an output chunk sent over the channel, enforces the time and output limits,
/// stops when the server cancels, and ends the stream with a final <c>exit</c> chunk.
/// </summary>
internal sealed class JobRunner
{
    /// <summary>Longest CLI output line processed; longer lines are dropped with an error event.</summary>
    public const int MaxLineBytes = 4 << 20;

    /// <summary>Longest string field (characters) in one event; longer text is split, other fields clipped.</summary>
    public const int MaxFieldChars = 64 * 1024;

    /// <summary>How much of the CLI's stderr (its end) is kept for the stderr error event.</summary>
    public const int StderrTailBytes = 8 * 1024;

    private static readonly EventJsonContext Json = new(new JsonSerializerOptions
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    });

    private readonly Job _job;
    private readonly ProviderSpec _spec;
    private readonly AgentChannel _channel;
    private readonly CancellationTokenSource _stop = new();
    private OutputStreamEncryptor _encryptor = null!;
    private string? _reason;
    private long _emitted;
    private bool _stopEmitting;
    private bool _cliReportedFailure;
    private readonly SemaphoreSlim _emitting = new(1, 1);
    private readonly FailureClassifier _failures;
    private JobFailure? _endedFor;
    private readonly JobClock _clock = new();
    private readonly StartedAheadCli? _ahead;
    private EgressTap? _tap;
    private ICliDialogue? _dialogue;

    public JobRunner(Job job, AgentChannel channel, StartedAheadCli? ahead = null)
    {
        _job = job;
        _ahead = ahead;
        _spec = ProviderSpec.Find(job.Provider)!;
        _channel = channel;
        Uri target = job.BaseUrl is { } baseUrl && Uri.TryCreate(baseUrl, UriKind.Absolute, out Uri? parsed) ? parsed : _spec.DefaultApiUrl;
        _failures = new FailureClassifier(job.ProxyUrl is { } proxy ? new Uri(proxy) : null, target.Host, target.Port);
    }

    /// <summary>Ends the job now for <paramref name="failure"/> (a rejected credential, a refused egress): the CLI's retries would only delay what the user must do.</summary>
    private void EndFor(JobFailure failure)
    {
        Interlocked.CompareExchange(ref _endedFor, failure, null);
        Stop(ExitReasons.CliError);
    }

    /// <summary>Lets the classifier see <paramref name="e"/>: it may end the job, or ask the proxy about a failed connection.</summary>
    private void Observe(AgentEvent e)
    {
        if (_failures.Observe(e) is { } now)
        {
            EndFor(now);
        }
        else if (_failures.WantsProbe(e))
        {
            _ = ProbeAsync(FailureClassifier.Evidence(e) ?? "");
        }
    }

    private async Task ProbeAsync(string evidence)
    {
        try
        {
            if (await _failures.ProbeAsync(evidence, CancellationToken.None) is { } failure)
            {
                EndFor(failure);
            }
        }
        catch (Exception)
        {
            // A probe that fails says nothing; the job ends as the CLI ends it.
        }
    }

    private void Stop(string reason)
    {
        Interlocked.CompareExchange(ref _reason, reason, null);
        try
        {
            _stop.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // The CLI is already done; only the exit chunk remains to be written.
        }
    }

    /// <summary>Runs the job to its end: <see cref="AgentExitReason.Cancelled"/> when the server cancelled it, else <see cref="AgentExitReason.Ok"/>.</summary>
    public async Task<AgentExitReason> RunAsync()
    {
        using var encryptor = new OutputStreamEncryptor(_job.OutputKey);
        _encryptor = encryptor;
        // The encrypted exit event says killed, as for a signal: the client asked for it; the exit frame says cancelled.
        using CancellationTokenRegistration cancel = _channel.CancelRequested.Register(() => Stop(ExitReasons.Killed));
        using PosixSignalRegistration term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
        using PosixSignalRegistration interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);

        int? exitCode = null;
        Process? process = null;
        try
        {
            // First chunk, before the CLI starts: the client learns at once that the job reached its sandbox.
            await EmitAsync(new AcceptedEvent { Provider = _spec.Name }, enforceLimit: false);
            StartedAheadHandover? ahead = _ahead?.TakeFor(_job, _spec);
            if (_job.ProxyUrl is { } proxy && Uri.TryCreate(proxy, UriKind.Absolute, out Uri? proxyUri))
            {
                if (ahead?.Relay is { } relay)
                {
                    // The CLI started ahead was pointed at this relay with no credentials: it adds the job's.
                    relay.Forward(proxyUri, _clock, addCredentials: true);
                    _tap = relay;
                }
                else
                {
                    _tap = EgressTap.Start(proxyUri, _clock);
                }
            }

            IReadOnlyDictionary<string, string> jobEnvironment = PlaceJobFiles();
            if (ahead is not null && await ReadyAsync(ahead))
            {
                // Started while the sandbox waited: the job's settings and prompt go to it on stdin.
                process = ahead.Process;
                _clock.CliSpawned(startedAhead: true);
                _dialogue = ahead.Driver.Handover(new StartAheadJob(Prompt, _job.Options!.Model, jobEnvironment, _job.Credential!, _job.BaseUrl, AgentProgram.Home));
            }
            else if (!_stop.IsCancellationRequested)
            {
                process = StartCli(jobEnvironment);
                _dialogue = new StdinDialogue(_spec.CreateMapper(), Encoding.UTF8.GetBytes(Prompt));
                if (process is null)
                {
                    await EmitAsync(Events.Error(ErrorSources.Agent, $"The {_spec.Name} CLI could not be started."), enforceLimit: false);
                    Interlocked.CompareExchange(ref _reason, ExitReasons.CliError, null);
                }
            }

            if (process is not null)
            {
                exitCode = await SuperviseAsync(process, _dialogue!);
                if (CredentialWriteBack.Check(_job, _spec, AgentProgram.Home) is { } refreshed)
                {
                    await EmitAsync(refreshed, enforceLimit: false);
                }
            }
        }
        finally
        {
            _clock.End();
            process?.Dispose();
            _stop.Dispose();
            if (_tap is not null)
            {
                await _tap.DisposeAsync();
            }
        }

        string reason = _reason ?? (exitCode switch
        {
            // A CLI in a protocol mode ends well after a failed turn (Gemini's ACP: an error answer, then exit 0).
            0 when _dialogue?.TurnFailed == true => ExitReasons.CliError,
            0 => ExitReasons.Ok,
            // Above 128 is also what a CLI's own exit(status) leaves of a large status (Gemini CLI exits with the
            // API's HTTP status: 401 becomes 145); after it reported its failed turn, it was not a signal.
            > 128 when !_cliReportedFailure => ExitReasons.Killed,
            _ => ExitReasons.CliError,
        });
        JobFailure? failure = _endedFor ?? await _failures.ConcludeAsync(reason, exitCode, _channel.CancelRequested.IsCancellationRequested);
        byte[] exit = JsonSerializer.SerializeToUtf8Bytes(
            new ExitEvent { ExitCode = exitCode, Reason = reason, Failure = failure, Timings = _clock.Timings() }, Json.AgentEvent);
        _channel.Phases = _clock.Phases();
        await _emitting.WaitAsync();
        await _channel.SendOutputAsync(_encryptor.Seal(exit, isFinal: true));
        return _channel.CancelRequested.IsCancellationRequested ? AgentExitReason.Cancelled : AgentExitReason.Ok;
    }

    private void OnSignal(PosixSignalContext context)
    {
        context.Cancel = true;
        Stop(ExitReasons.Killed);
    }

    /// <summary>
    /// Waits until the CLI started ahead has finished starting (a job that came early waits for it: a fresh start
    /// would take longer). False when it never will: the job starts its own.
    /// </summary>
    private async Task<bool> ReadyAsync(StartedAheadHandover ahead)
    {
        try
        {
            await ahead.Ready.WaitAsync(_stop.Token);
            return !ahead.Process.HasExited;
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException or InvalidOperationException)
        {
            StartedAheadCli.Kill(ahead.Process);
            return false;
        }
    }

    private async Task<int> SuperviseAsync(Process process, ICliDialogue dialogue)
    {
        using CancellationTokenRegistration kill = _stop.Token.Register(() => KillTree(process));
        using var timer = new Timer(_ => Stop(ExitReasons.Timeout), null, TimeSpan.FromSeconds(_job.Options!.TimeLimitSeconds), Timeout.InfiniteTimeSpan);

        using var feeding = new CancellationTokenSource();
        Task feed = FeedAsync(process, dialogue, feeding.Token);
        IEventMapper mapper = dialogue.Mapper;
        Task<string> errors = ReadTailAsync(process.StandardError.BaseStream, line => HandleStderrLineAsync(line, mapper));
        await PumpAsync(process.StandardOutput.BaseStream, mapper);
        await process.WaitForExitAsync();
        await timer.DisposeAsync();
        // A dialogue still waiting for an answer has lost its CLI.
        await feeding.CancelAsync();

        // A grandchild could hold the pipes open; the tree was killed on stop, but never wait long here.
        await Task.WhenAny(Task.WhenAll(feed, errors), Task.Delay(TimeSpan.FromSeconds(2)));
        if (errors.IsCompletedSuccessfully && errors.Result.Length > 0)
        {
            _stopEmitting = false;
            await EmitAsync(Events.Error(ErrorSources.Stderr, errors.Result), enforceLimit: false);
        }

        return process.ExitCode;
    }

    private static void KillTree(Process process)
    {
        try
        {
            process.Kill(entireProcessTree: true);
        }
        catch (Exception e) when (e is InvalidOperationException or Win32Exception or NotSupportedException)
        {
            // Already gone.
        }
    }

    private static async Task FeedAsync(Process process, ICliDialogue dialogue, CancellationToken cancellationToken)
    {
        try
        {
            await using Stream input = process.StandardInput.BaseStream;
            await dialogue.FeedAsync(input, cancellationToken);
        }
        catch (Exception e) when (e is IOException or OperationCanceledException)
        {
            // The CLI exited without reading all of it; its exit code says why.
        }
    }

    /// <summary>A retry the CLI reports only on stderr (Gemini) is an event now; the stderr itself goes once, at the end.</summary>
    private async Task HandleStderrLineAsync(string line, IEventMapper mapper)
    {
        var events = new List<AgentEvent>();
        mapper.MapStderr(line, events);
        foreach (AgentEvent e in events)
        {
            await EmitAsync(e);
            Observe(e);
        }
    }

    /// <summary>The end of <paramref name="stream"/> (its last <see cref="StderrTailBytes"/>), each line handed to <paramref name="onLine"/> as it comes.</summary>
    private static async Task<string> ReadTailAsync(Stream stream, Func<string, Task> onLine)
    {
        var tail = new byte[StderrTailBytes];
        int length = 0;
        long total = 0;
        var buffer = new byte[8192];
        var line = new MemoryStream();
        int read;
        while ((read = await stream.ReadAsync(buffer)) > 0)
        {
            for (int i = 0; i < read; i++)
            {
                if (buffer[i] == (byte)'\n')
                {
                    await onLine(Encoding.UTF8.GetString(line.GetBuffer(), 0, (int)line.Length).TrimEnd('\r'));
                    line.SetLength(0);
                }
                else if (line.Length < StderrTailBytes)
                {
                    line.WriteByte(buffer[i]);
                }
            }

            total += read;
            if (read >= tail.Length)
            {
                Array.Copy(buffer, read - tail.Length, tail, 0, tail.Length);
                length = tail.Length;
            }
            else
            {
                int keep = Math.Min(length, tail.Length - read);
                Array.Copy(tail, length - keep, tail, 0, keep);
                Array.Copy(buffer, 0, tail, keep, read);
                length = keep + read;
            }
        }

        string text = Encoding.UTF8.GetString(tail, 0, length).Trim();
        return total > length && text.Length > 0 ? $"[{total - length} earlier bytes omitted]\n{text}" : text;
    }

    private async Task PumpAsync(Stream output, IEventMapper mapper)
    {
        var buffer = new byte[64 * 1024];
        var line = new MemoryStream();
        bool discarding = false;
        int read;
        while ((read = await output.ReadAsync(buffer)) > 0)
        {
            int start = 0;
            for (int i = 0; i < read; i++)
            {
                if (buffer[i] != (byte)'\n')
                {
                    continue;
                }

                if (!discarding)
                {
                    line.Write(buffer, start, i - start);
                    await HandleLineAsync(line.GetBuffer().AsMemory(0, (int)line.Length), mapper);
                }

                discarding = false;
                line.SetLength(0);
                start = i + 1;
            }

            if (!discarding)
            {
                line.Write(buffer, start, read - start);
                if (line.Length > MaxLineBytes)
                {
                    discarding = true;
                    line.SetLength(0);
                    await EmitAsync(Events.Error(ErrorSources.Agent, $"A CLI output line longer than {MaxLineBytes} bytes was dropped."));
                }
            }
        }

        if (!discarding && line.Length > 0)
        {
            await HandleLineAsync(line.GetBuffer().AsMemory(0, (int)line.Length), mapper);
        }
    }

    private async Task HandleLineAsync(ReadOnlyMemory<byte> line, IEventMapper mapper)
    {
        if (_stopEmitting)
        {
            return;
        }

        string? unparsed = null;
        var events = new List<AgentEvent>();
        try
        {
            using JsonDocument document = JsonDocument.Parse(line);
            if (document.RootElement.ValueKind == JsonValueKind.Object)
            {
                mapper.Map(document.RootElement, events);
            }
        }
        catch (JsonException)
        {
            unparsed = Encoding.UTF8.GetString(line.Span).Trim();
        }

        if (unparsed is { Length: > 0 })
        {
            mapper.MapUnparsed(unparsed, events);
        }

        foreach (AgentEvent e in events)
        {
            _cliReportedFailure |= e is ResultEvent { IsError: true };
            if (!await EmitAsync(e))
            {
                return;
            }

            Observe(e);
        }
    }

    /// <summary>Seals one event (split or clipped to fit a chunk). False once the output limit stopped the job.</summary>
    private async Task<bool> EmitAsync(AgentEvent e, bool enforceLimit = true)
    {
        // stdout and stderr are read at once: one event at a time, in one sequence.
        await _emitting.WaitAsync();
        try
        {
            return await EmitLockedAsync(e, enforceLimit);
        }
        finally
        {
            _emitting.Release();
        }
    }

    private async Task<bool> EmitLockedAsync(AgentEvent e, bool enforceLimit)
    {
        foreach (AgentEvent part in Fit(e))
        {
            if (_stopEmitting)
            {
                return false;
            }

            byte[] bytes = JsonSerializer.SerializeToUtf8Bytes(part, Json.AgentEvent);
            if (bytes.Length > OutputStream.MaxPlaintextLength && part is ToolUseEvent tool)
            {
                tool.Input = null;
                bytes = JsonSerializer.SerializeToUtf8Bytes(part, Json.AgentEvent);
            }

            if (_emitted + bytes.Length > _job.Options!.MaxOutputBytes)
            {
                if (enforceLimit)
                {
                    _stopEmitting = true;
                    Stop(ExitReasons.OutputLimit);
                }

                return false;
            }

            _emitted += bytes.Length;
            await _channel.SendOutputAsync(_encryptor.Seal(bytes, isFinal: false));
            if (part is TextEvent)
            {
                _clock.FirstText();
            }
        }

        return true;
    }

    private static IEnumerable<AgentEvent> Fit(AgentEvent e)
    {
        switch (e)
        {
            case TextEvent { Text.Length: > MaxFieldChars } delta:
                for (int i = 0; i < delta.Text.Length; i += MaxFieldChars)
                {
                    yield return Events.Text(delta.Text.Substring(i, Math.Min(MaxFieldChars, delta.Text.Length - i)));
                }

                yield break;
            case ResultEvent result:
                result.Text = Clip(result.Text);
                break;
            case ToolResultEvent toolResult:
                toolResult.Output = Clip(toolResult.Output);
                break;
            case ErrorEvent error:
                error.Message = Clip(error.Message);
                break;
        }

        yield return e;
    }

    [return: System.Diagnostics.CodeAnalysis.NotNullIfNotNull(nameof(value))]
    private static string? Clip(string? value) =>
        value is { Length: > MaxFieldChars } ? string.Concat(value.AsSpan(0, MaxFieldChars), $"… [{value.Length - MaxFieldChars} more characters clipped]") : value;

    private string Prompt => Conversation.Prompt(_job.History, _job.Prompt!);

    /// <summary>Starts the CLI for this job (none was started ahead); null when it cannot start.</summary>
    private Process? StartCli(IReadOnlyDictionary<string, string> jobEnvironment)
    {
        ProcessStartInfo start = CliStart.For(_spec, _spec.Arguments(_job.Options!.Model));
        foreach (var (name, value) in jobEnvironment)
        {
            start.Environment[name] = value;
        }

        try
        {
            Process process = Process.Start(start) ?? throw new Win32Exception();
            _clock.CliSpawned(startedAhead: false);
            return process;
        }
        catch (Win32Exception)
        {
            return null;
        }
    }

    /// <summary>
    /// Writes what the job gives the CLI as files (its credential, and the settings that go with it) and returns the
    /// variables the job adds to the CLI's environment: the proxy (through the agent's timing relay when there is one),
    /// the base URL, the CA file.
    /// </summary>
    private Dictionary<string, string> PlaceJobFiles()
    {
        string home = AgentProgram.Home;
        var env = new Dictionary<string, string>(StringComparer.Ordinal);
        JobCredential credential = _job.Credential!;
        if (credential.Type == JobCredential.ApiKey)
        {
            foreach (var (relativePath, content) in _spec.ApiKeyFiles(home, credential.Value!))
            {
                WritePrivateFile(Path.Combine(home, relativePath), content);
            }
        }
        else
        {
            WritePrivateFile(Path.Combine(home, _spec.CredentialFile), credential.Value!);
        }

        _clock.CredentialPlaced();
        if (_spec == ProviderSpec.Google)
        {
            string settings = Path.Combine(home, ".gemini", "settings.json");
            // Not over settings an image brings; over those the CLI started ahead was given (no login type), when it was not used.
            if (!File.Exists(settings) || File.ReadAllText(settings) == GeminiStartAhead.SettingsAtStart)
            {
                // The login the credential is for, and no usage statistics (the only switch for them is here).
                string type = credential.Type == JobCredential.ApiKey ? "gemini-api-key" : "oauth-personal";
                WritePrivateFile(settings, "{\"security\":{\"auth\":{\"selectedType\":\"" + type + "\"}},\"privacy\":{\"usageStatisticsEnabled\":false}}\n");
            }
        }

        if (_spec == ProviderSpec.OpenAi)
        {
            WritePrivateFile(Path.Combine(home, CodexConfig.RelativePath), CodexConfig.Create(_job.BaseUrl));
        }

        if (_job.BaseUrl is { } baseUrl && _spec.BaseUrlVariable is { } baseUrlVariable)
        {
            env[baseUrlVariable] = baseUrl;
        }

        // Through the agent's timing relay when there is one (it passes every byte unchanged to the job's proxy).
        if ((_tap?.ProxyUrl ?? _job.ProxyUrl) is { } proxy)
        {
            foreach (string name in (string[])["HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"])
            {
                env[name] = proxy;
            }
        }

        if (_job.CaBundle is { Length: > 0 } ca)
        {
            string directory = Path.Combine(home, ".polydev-agent");
            string extra = Path.Combine(directory, "ca.pem");
            WritePrivateFile(extra, ca);
            const string system = "/etc/ssl/certs/ca-certificates.crt";
            string all = Path.Combine(directory, "ca-all.pem");
            WritePrivateFile(all, (File.Exists(system) ? File.ReadAllText(system) + "\n" : "") + ca);
            env["NODE_EXTRA_CA_CERTS"] = extra;
            env["SSL_CERT_FILE"] = all;
        }

        return env;
    }

    /// <summary>Writes <paramref name="content"/> to a new 0600 file in a 0700 folder.</summary>
    public static void WritePrivateFile(string path, string content)
    {
        const UnixFileMode Directory0700 = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
        string directory = Path.GetDirectoryName(path)!;
        if (!Directory.Exists(directory))
        {
            Directory.CreateDirectory(directory, Directory0700);
        }
        else
        {
            // A CLI started ahead made its folder first, with its own mode (Claude Code: 0755).
            File.SetUnixFileMode(directory, Directory0700);
        }

        File.Delete(path);
        var options = new FileStreamOptions
        {
            Mode = FileMode.CreateNew,
            Access = FileAccess.Write,
            UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
        };
        using var file = new FileStream(path, options);
        file.Write(Encoding.UTF8.GetBytes(content));
    }
}
