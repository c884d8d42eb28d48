using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text.Json;
using Polydev.Crypto;

namespace Polydev.Agent;

/// <summary>
/// <c>polydev-agent keygen</c> and <c>polydev-agent run</c>. Nothing secret is ever written to stderr: messages
/// there describe what failed, never the job's content.
/// </summary>
internal static class AgentProgram
{
    public const int ExitOk = 0;
    public const int ExitInternal = 1;
    public const int ExitUsage = 2;
    public const int ExitKey = 3;
    public const int ExitJobRefused = 4;

    /// <summary>Largest sealed job accepted on stdin.</summary>
    public const int MaxSealedJobLength = 16 << 20;

    private const string Usage = """
        usage: polydev-agent keygen [--key PATH]   make the sandbox's one-job key pair; prints the public key (base64)
               polydev-agent run [--key PATH]      read one sealed job from stdin (4-byte big-endian length, then the
                                                   sealed box), run it, write encrypted output chunks to stdout
               polydev-agent serve                 keygen and run in one process: prints the public key (key kept in
                                                   memory only), then waits for the sealed job on stdin and runs it
               polydev-agent idle                  the sandbox's main process: waits, doing nothing, until SIGTERM
        The key path defaults to $POLYDEV_AGENT_KEY, else ~/.polydev-agent/key.
        """;

    public static async Task<int> MainAsync(string[] args, Stream stdin, Stream stdout, TextWriter stderr)
    {
        if (args.Length == 0 || args[0] is "-h" or "--help")
        {
            await stderr.WriteLineAsync(Usage);
            return args.Length == 0 ? ExitUsage : ExitOk;
        }

        string? keyPath = null;
        for (int i = 1; i < args.Length; i++)
        {
            if (args[i] == "--key" && i + 1 < args.Length)
            {
                keyPath = args[++i];
            }
            else
            {
                await stderr.WriteLineAsync($"polydev-agent: unknown argument at position {i}.\n{Usage}");
                return ExitUsage;
            }
        }

        keyPath ??= Environment.GetEnvironmentVariable("POLYDEV_AGENT_KEY");
        keyPath ??= Path.Combine(Home, ".polydev-agent", "key");

        try
        {
            return args[0] switch
            {
                "keygen" => await KeygenAsync(keyPath, stdout, stderr),
                "run" => await RunAsync(keyPath, stdin, stdout, stderr),
                "idle" => await IdleAsync(),
                "serve" => await ServeAsync(stdin, stdout, stderr),
                _ => await UnknownVerbAsync(stderr),
            };
        }
        catch (Exception e)
        {
            // The type only: a message could, in principle, quote data.
            await stderr.WriteLineAsync($"polydev-agent: internal error ({e.GetType().Name}).");
            return ExitInternal;
        }
    }

    public static string Home => Environment.GetEnvironmentVariable("HOME") is { Length: > 0 } home
        ? home
        : Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);

    private static async Task<int> UnknownVerbAsync(TextWriter stderr)
    {
        await stderr.WriteLineAsync(Usage);
        return ExitUsage;
    }

    /// <summary>
    /// Keeps the sandbox alive between warm-up and its one job; keygen and run arrive as separate execs.
    /// The engine's init (Docker <c>--init</c>) reaps orphans, so this needs to do nothing but wait.
    /// </summary>
    private static async Task<int> IdleAsync()
    {
        var stop = new TaskCompletionSource();
        using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context => { context.Cancel = true; stop.TrySetResult(); });
        using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, context => { context.Cancel = true; stop.TrySetResult(); });
        await stop.Task;
        return ExitOk;
    }

    private static async Task<int> KeygenAsync(string keyPath, Stream stdout, TextWriter stderr)
    {
        using UserKeyPair pair = UserKeyPair.Generate();
        byte[] pkcs8 = pair.ExportPkcs8();
        try
        {
            string? directory = Path.GetDirectoryName(Path.GetFullPath(keyPath));
            if (directory is not null && !Directory.Exists(directory))
            {
                Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            }

            var options = new FileStreamOptions
            {
                Mode = FileMode.CreateNew,
                Access = FileAccess.Write,
                UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
            };
            await using (var file = new FileStream(keyPath, options))
            {
                await file.WriteAsync(pkcs8);
            }
        }
        catch (IOException) when (File.Exists(keyPath))
        {
            await stderr.WriteLineAsync("polydev-agent: a key already exists; a sandbox makes exactly one.");
            return ExitKey;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(pkcs8);
        }

        byte[] line = System.Text.Encoding.ASCII.GetBytes(Convert.ToBase64String(pair.PublicKey) + "\n");
        await stdout.WriteAsync(line);
        await stdout.FlushAsync();
        return ExitOk;
    }

    private static async Task<int> RunAsync(string keyPath, Stream stdin, Stream stdout, TextWriter stderr)
    {
        // The key is read and deleted before anything else: one job per sandbox, whatever happens next.
        byte[] pkcs8;
        try
        {
            pkcs8 = await File.ReadAllBytesAsync(keyPath);
            File.Delete(keyPath);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            await stderr.WriteLineAsync("polydev-agent: no key (keygen has not run, or this sandbox's one job has already run).");
            return ExitKey;
        }

        try
        {
            using UserKeyPair key = UserKeyPair.ImportPkcs8(pkcs8);
            return await RunJobAsync(key, stdin, stdout, stderr);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(pkcs8);
        }
    }

    /// <summary>
    /// <c>serve</c>: keygen and run in one process, the sandbox's warm state. The key pair lives only in this
    /// process's memory (never in a file); the public key goes out as the first line of stdout, then the process
    /// waits for the one sealed job on stdin and runs it like <c>run</c>. A warm pool keeps this process waiting,
    /// so handing a job to a sandbox costs no process start at all.
    /// </summary>
    private static async Task<int> ServeAsync(Stream stdin, Stream stdout, TextWriter stderr)
    {
        using UserKeyPair key = UserKeyPair.Generate();
        await stdout.WriteAsync(System.Text.Encoding.ASCII.GetBytes(Convert.ToBase64String(key.PublicKey) + "\n"));
        await stdout.FlushAsync();
        return await RunJobAsync(key, stdin, stdout, stderr);
    }

    private static async Task<int> RunJobAsync(UserKeyPair key, Stream stdin, Stream stdout, TextWriter stderr)
    {
        Job? job;
        byte[]? sealedJob = await ReadSealedJobAsync(stdin);
        if (sealedJob is null)
        {
            await stderr.WriteLineAsync($"polydev-agent: stdin must carry a 4-byte big-endian length (1 to {MaxSealedJobLength}) followed by that many bytes of sealed job.");
            return ExitJobRefused;
        }

        byte[] plaintext;
        try
        {
            plaintext = SealedBox.Open(key, sealedJob, Job.SealedJobPurpose);
        }
        catch (CryptographicException)
        {
            await stderr.WriteLineAsync("polydev-agent: the job could not be opened (sealed to another key or purpose, or modified).");
            return ExitJobRefused;
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
            return ExitJobRefused;
        }

        await new JobRunner(job!, stdout).RunAsync();
        return ExitOk;
    }

    private static async Task<byte[]?> ReadSealedJobAsync(Stream stdin)
    {
        var prefix = new byte[4];
        if (await stdin.ReadAtLeastAsync(prefix, 4, throwOnEndOfStream: false) < 4)
        {
            return null;
        }

        uint length = BinaryPrimitives.ReadUInt32BigEndian(prefix);
        if (length == 0 || length > MaxSealedJobLength)
        {
            return null;
        }

        var sealedJob = new byte[length];
        return await stdin.ReadAtLeastAsync(sealedJob, sealedJob.Length, throwOnEndOfStream: false) == sealedJob.Length ? sealedJob : null;
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
