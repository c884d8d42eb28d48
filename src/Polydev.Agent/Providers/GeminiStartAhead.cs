using System.Buffers;
using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Polydev.Agent;

/// <summary>
/// Gemini CLI started before its job through its Agent Client Protocol mode (<c>gemini --acp</c>: JSON-RPC 2.0, one
/// message a line on stdin and stdout), each step checked against the real CLI 0.61.0. At start: <c>initialize</c>,
/// which loads the CLI's whole configuration (most of its start-up); then it waits. When the job arrives:
/// <c>authenticate</c> (the API key in <c>_meta["api-key"]</c>, the base URL in <c>_meta.gateway.baseUrl</c>; a
/// Google login would read <c>~/.gemini/oauth_creds.json</c>, written just before, but is not handed over yet: see
/// <see cref="CannotTake"/>), <c>session/new</c> (a fresh
/// configuration for the session: settings re-read, auth refreshed), <c>session/set_model</c> when the job names a
/// model, <c>session/prompt</c> (<see cref="AcpDialogue"/>).
/// <para>
/// What it cannot take after start: its proxy (read from the environment into each configuration and into a global
/// dispatcher) and its certificate authorities (Node reads <c>NODE_EXTRA_CA_CERTS</c> when its TLS module loads, at
/// start). So it reaches egress through the agent's relay, whose bare loopback address it is given at start (the relay
/// adds the job's proxy credentials), and it trusts, besides the system's, only the authorities the runtime kind names
/// (<c>POLYDEV_AGENT_START_AHEAD_CA</c>). A job whose CA bundle holds another, that names no proxy, or whose base URL
/// is plain HTTP (the relay adds credentials to tunnels only) starts a CLI of its own instead.
/// </para>
/// </summary>
internal sealed class GeminiStartAhead : IStartAheadDriver
{
    /// <summary>The settings the CLI starts with: no usage statistics, and no login type (with one, it would try to log in at start).</summary>
    public const string SettingsAtStart = "{\"privacy\":{\"usageStatisticsEnabled\":false}}\n";

    private const int InitializeId = 1;

    /// <summary>Longest line read while waiting for <c>initialize</c>'s answer.</summary>
    private const int MaxStartLine = 1 << 20;

    /// <summary>--skip-trust: the sandbox's home is not a folder the user trusted, and an untrusted one ignores its settings.</summary>
    public string[] Arguments { get; } = ["--acp", "--skip-trust"];

    public bool NeedsRelay => true;

    public void Prepare(ProcessStartInfo start, StartAheadSetup setup)
    {
        JobRunner.WritePrivateFile(Path.Combine(setup.Home, ".gemini", "settings.json"), SettingsAtStart);
        foreach (string name in (string[])["HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"])
        {
            start.Environment[name] = setup.RelayUrl;
        }

        if (setup.TrustedCaFile is { } ca)
        {
            start.Environment["NODE_EXTRA_CA_CERTS"] = ca;
        }
    }

    public async Task ReadyAsync(Process process, CancellationToken cancellationToken)
    {
        byte[] initialize = AcpDialogue.Request(InitializeId, "initialize", w =>
        {
            w.WriteNumber("protocolVersion", 1);
            // No file system or terminal of the client's: the CLI uses its own, in the sandbox.
            w.WriteStartObject("clientCapabilities");
            w.WriteStartObject("fs");
            w.WriteBoolean("readTextFile", false);
            w.WriteBoolean("writeTextFile", false);
            w.WriteEndObject();
            w.WriteBoolean("terminal", false);
            w.WriteEndObject();
        });
        Stream stdin = process.StandardInput.BaseStream;
        await stdin.WriteAsync(initialize, cancellationToken);
        await stdin.FlushAsync(cancellationToken);

        // Byte by byte, so that nothing after the answer's line is taken from the job's reader: one line, once.
        Stream stdout = process.StandardOutput.BaseStream;
        var line = new ArrayBufferWriter<byte>();
        var one = new byte[1];
        while (true)
        {
            if (await stdout.ReadAsync(one, cancellationToken) == 0)
            {
                throw new IOException("The CLI ended before it answered initialize.");
            }

            if (one[0] != (byte)'\n')
            {
                if (line.WrittenCount >= MaxStartLine)
                {
                    throw new IOException("The CLI's answer to initialize is too long.");
                }

                line.Write(one);
                continue;
            }

            if (IsAnswerTo(line.WrittenSpan, InitializeId, out bool failed))
            {
                if (failed)
                {
                    throw new IOException("The CLI refused initialize.");
                }

                return;
            }

            line.Clear();
        }
    }

    public string? CannotTake(Job job, StartAheadSetup setup)
    {
        // A Google login the CLI cannot verify (its token checked at oauth2.googleapis.com) makes it fall back, in ACP
        // mode, to an interactive sign-in that reads a code from stdin; seen by hand, but the agent's handling of it
        // did not end such a job in the tests (issue 19). Until it does, a Google login gets a CLI of its own.
        if (job.Credential.Type != JobCredential.ApiKey)
        {
            return "a Google login is handed to a CLI started by the job";
        }

        if (job.ProxyUrl is null)
        {
            return "the job names no egress proxy for the relay";
        }

        if (job.BaseUrl is { } baseUrl && baseUrl.StartsWith("http:", StringComparison.OrdinalIgnoreCase))
        {
            return "a plain-HTTP base URL goes through the proxy without a tunnel";
        }

        if (job.CaBundle is { Length: > 0 } bundle && !Certificates(bundle).All(c => setup.TrustedCertificates.Any(t => t.AsSpan().SequenceEqual(c))))
        {
            return "the job's CA bundle holds an authority the CLI was not started with";
        }

        return null;
    }

    public ICliDialogue Handover(StartAheadJob job) => new AcpDialogue(job);

    /// <summary>The certificates (DER) of a PEM bundle; anything else in it is skipped.</summary>
    public static List<byte[]> Certificates(string pem)
    {
        var certificates = new List<byte[]>();
        ReadOnlySpan<char> rest = pem;
        while (PemEncoding.TryFind(rest, out PemFields fields))
        {
            if (rest[fields.Label].SequenceEqual("CERTIFICATE"))
            {
                certificates.Add(Convert.FromBase64String(rest[fields.Base64Data].ToString()));
            }

            rest = rest[fields.Location.End..];
        }

        return certificates;
    }

    private static bool IsAnswerTo(ReadOnlySpan<byte> line, int id, out bool failed)
    {
        failed = false;
        try
        {
            var reader = new Utf8JsonReader(line);
            using JsonDocument document = JsonDocument.ParseValue(ref reader);
            JsonElement root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object || root.Long("id") != id || root.TryGetProperty("method", out _))
            {
                return false;
            }

            failed = root.TryGetProperty("error", out _);
            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }
}
