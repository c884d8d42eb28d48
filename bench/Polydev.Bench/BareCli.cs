using System.Diagnostics;
using System.Globalization;
using Polydev.Contracts;
using Polydev.Server.Sandboxes.Docker;

namespace Polydev.Bench;

/// <summary>
/// The baseline for first text: the same CLI in the same runtime image, run the way a user runs it on a laptop —
/// no Polydev, no sandbox rules, no egress proxy: a container on the host's network at a CPU limit (or none), the key
/// in the environment or the CLI's own file, the stub reached directly over HTTPS. One container per limit, a fresh
/// home and a fresh process per run. Time runs from the moment the run's shell is about to exec the CLI (its own
/// clock, printed first) to the line holding the answer's first words (the host's clock: the same realtime clock).
/// </summary>
internal sealed class BareCli : IAsyncDisposable
{
    private readonly string _container;
    private readonly string _provider;
    private readonly string _answerStart;
    private readonly string _directory;

    private BareCli(string container, string provider, string answerStart, string directory)
    {
        _container = container;
        _provider = provider;
        _answerStart = answerStart;
        _directory = directory;
    }

    /// <param name="cpus">The container's CPU limit; null: none.</param>
    /// <param name="stubBaseUrl">The provider's stub as its CLI is pointed at it.</param>
    public static async Task<BareCli> StartAsync(string provider, double? cpus, string stubBaseUrl, string authorityPem, string answer)
    {
        var directory = Directory.CreateTempSubdirectory("polydev-bench-bare-").FullName;
        if (!OperatingSystem.IsWindows())
        {
            // Read by the image's own user.
            File.SetUnixFileMode(directory, (UnixFileMode)0b111_101_101);
        }

        await File.WriteAllTextAsync(Path.Combine(directory, "ca.pem"), authorityPem);
        await File.WriteAllTextAsync(Path.Combine(directory, "run.sh"), Script(provider, stubBaseUrl));
        var arguments = new List<string> { "run", "-d", "--rm", "--network", "host", "-v", $"{directory}:/bench:ro", "--entrypoint", "/bin/sleep" };
        if (cpus is { } limit)
        {
            arguments.AddRange(["--cpus", limit.ToString(CultureInfo.InvariantCulture)]);
        }

        arguments.AddRange([ExecutionHost.ImageOf(provider), "infinity"]);
        var container = (await DockerCliAsync(arguments)).Trim();
        return new BareCli(container, provider, answer[..Math.Min(12, answer.Length)], directory);
    }

    /// <summary>One run: the CLI's start to its first words of the answer, in milliseconds.</summary>
    public async Task<double> RunAsync(string prompt)
    {
        var start = new ProcessStartInfo("docker") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in (string[])["exec", "-i", _container, "/bin/sh", "/bench/run.sh"])
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var errors = process.StandardError.ReadToEndAsync();
        await process.StandardInput.WriteAsync(prompt);
        process.StandardInput.Close();
        long? spawnedNs = null;
        double firstText = double.NaN;
        while (await process.StandardOutput.ReadLineAsync() is { } line)
        {
            if (spawnedNs is null && line.StartsWith("T0 ", StringComparison.Ordinal))
            {
                spawnedNs = long.Parse(line.AsSpan(3), CultureInfo.InvariantCulture);
            }
            else if (spawnedNs is { } t0 && double.IsNaN(firstText) && line.Contains(_answerStart, StringComparison.Ordinal))
            {
                var nowNs = (DateTime.UtcNow - DateTime.UnixEpoch).Ticks * 100;
                firstText = (nowNs - t0) / 1e6;
            }
        }

        await process.WaitForExitAsync();
        if (double.IsNaN(firstText))
        {
            throw new InvalidOperationException($"the bare {_provider} CLI gave no answer (exit {process.ExitCode}): {await errors}");
        }

        return firstText;
    }

    /// <summary>
    /// The run's shell: a fresh home with what a user's own set-up would hold (the key, the CLI's settings for the
    /// stub, the same quiet switches the agent sets), then the clock, then the CLI itself (exec: no shell in between).
    /// </summary>
    private static string Script(string provider, string stubBaseUrl)
    {
        const string Key = "bench-bare-key-0123456789";
        var setup = provider switch
        {
            Providers.Anthropic => $"""
                export ANTHROPIC_API_KEY={Key} ANTHROPIC_BASE_URL='{stubBaseUrl}' NODE_EXTRA_CA_CERTS=/bench/ca.pem
                export CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1
                set -- claude -p --output-format stream-json --verbose --no-session-persistence
                """,
            Providers.OpenAI => $$"""
                mkdir -p "$HOME/.codex"
                printf '{"OPENAI_API_KEY":"{{Key}}"}\n' > "$HOME/.codex/auth.json"
                printf 'model_provider = "bench"\nchatgpt_base_url = "{{stubBaseUrl}}"\n[analytics]\nenabled = false\n[features]\nplugins = false\napps = false\n[model_providers.bench]\nname = "bench"\nbase_url = "{{stubBaseUrl}}"\nwire_api = "responses"\nsupports_websockets = false\nrequires_openai_auth = true\n' > "$HOME/.codex/config.toml"
                cat /etc/ssl/certs/ca-certificates.crt /bench/ca.pem > "$HOME/ca-all.pem"
                export SSL_CERT_FILE="$HOME/ca-all.pem"
                set -- codex exec --json --skip-git-repo-check --ephemeral -
                """,
            Providers.Google => $$$"""
                mkdir -p "$HOME/.gemini"
                printf '{"security":{"auth":{"selectedType":"gemini-api-key"}},"privacy":{"usageStatisticsEnabled":false}}\n' > "$HOME/.gemini/settings.json"
                export GEMINI_API_KEY={{{Key}}} GOOGLE_GEMINI_BASE_URL='{{{stubBaseUrl}}}' NODE_EXTRA_CA_CERTS=/bench/ca.pem GEMINI_TELEMETRY_ENABLED=false
                set -- gemini --output-format stream-json --skip-trust
                """,
            _ => throw new ArgumentOutOfRangeException(nameof(provider), provider, "not a provider"),
        };
        return $"""
            set -e
            export HOME="/tmp/bare-home-$$"
            rm -rf "$HOME"; mkdir -p "$HOME"; cd "$HOME"
            export TERM=dumb NO_COLOR=1
            {setup}
            echo "T0 $(date +%s%N)"
            exec "$@"
            """;
    }

    private static async Task<string> DockerCliAsync(IEnumerable<string> arguments)
    {
        var start = new ProcessStartInfo("docker") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var output = await process.StandardOutput.ReadToEndAsync();
        var errors = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return process.ExitCode == 0 ? output : throw new InvalidOperationException($"docker {string.Join(' ', start.ArgumentList)}: {errors.Trim()}");
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await DockerCliAsync(["rm", "-f", _container]);
        }
        finally
        {
            Directory.Delete(_directory, recursive: true);
        }
    }
}
