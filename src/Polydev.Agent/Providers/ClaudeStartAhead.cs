using System.Diagnostics;
using System.Text.Json;

namespace Polydev.Agent;

/// <summary>
/// Claude Code started before its job: <c>--input-format stream-json</c> makes it initialise and then wait on stdin
/// for as long as it takes (a plain <c>-p</c> gives up after 3 s without input). When the job arrives, three kinds
/// of line hand it everything the job decides, each checked against the real CLI 2.1.332:
/// <list type="bullet">
/// <item><c>apply_flag_settings</c> with <c>env</c> (the proxy, a base URL, a CA file: read per request, so they
/// take effect for the first call) and, for an API key, <c>apiKeyHelper</c> (the settings file is read only at start;
/// an OAuth credential file is read when the first message arrives, so it needs no setting);</item>
/// <item><c>set_model</c> when the job names a model;</item>
/// <item>the user message, after which stdin closes and the CLI exits at the end of the turn.</item>
/// </list>
/// </summary>
internal sealed class ClaudeStartAhead : IStartAheadDriver
{
    public string[] Arguments { get; } =
        ["-p", "--output-format", "stream-json", "--verbose", "--no-session-persistence", "--input-format", "stream-json"];

    /// <summary>The proxy reaches it per job, as a setting: no relay needed.</summary>
    public bool NeedsRelay => false;

    public void Prepare(ProcessStartInfo start, StartAheadSetup setup)
    {
    }

    /// <summary>Claude Code waits on stdin for as long as it takes; a job written before it finished starting waits there too.</summary>
    public Task ReadyAsync(Process process, CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Everything a job decides (the CA included) reaches it as a setting.</summary>
    public string? CannotTake(Job job, StartAheadSetup setup) => null;

    public ICliDialogue Handover(StartAheadJob job) => new StdinDialogue(new ClaudeMapper(), Input(job));

    /// <summary>The lines Claude Code reads for <paramref name="job"/>.</summary>
    public static byte[] Input(StartAheadJob job)
    {
        string? apiKeyHelper = job.Credential.Type == JobCredential.ApiKey ? ProviderSpec.ClaudeApiKeyHelper(job.Home) : null;
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            ControlRequest(writer, buffer, "polydev-settings", "apply_flag_settings", w =>
            {
                w.WriteStartObject("settings");
                if (apiKeyHelper is { } helper)
                {
                    w.WriteString("apiKeyHelper", helper);
                }

                w.WriteStartObject("env");
                foreach (var (name, value) in job.Environment)
                {
                    w.WriteString(name, value);
                }

                w.WriteEndObject();
                w.WriteEndObject();
            });
            if (job.Model is { } model)
            {
                ControlRequest(writer, buffer, "polydev-model", "set_model", w => w.WriteString("model", model));
            }

            writer.WriteStartObject();
            writer.WriteString("type", "user");
            writer.WriteStartObject("message");
            writer.WriteString("role", "user");
            writer.WriteString("content", job.Prompt);
            writer.WriteEndObject();
            writer.WriteEndObject();
            writer.Flush();
            buffer.WriteByte((byte)'\n');
        }

        return buffer.ToArray();
    }

    private static void ControlRequest(Utf8JsonWriter writer, MemoryStream buffer, string id, string subtype, Action<Utf8JsonWriter> body)
    {
        writer.WriteStartObject();
        writer.WriteString("type", "control_request");
        writer.WriteString("request_id", id);
        writer.WriteStartObject("request");
        writer.WriteString("subtype", subtype);
        body(writer);
        writer.WriteEndObject();
        writer.WriteEndObject();
        writer.Flush();
        buffer.WriteByte((byte)'\n');
        writer.Reset();
    }
}
