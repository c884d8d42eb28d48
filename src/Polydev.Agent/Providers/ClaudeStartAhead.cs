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
internal static class ClaudeStartAhead
{
    public static readonly string[] Arguments =
        ["-p", "--output-format", "stream-json", "--verbose", "--no-session-persistence", "--input-format", "stream-json"];

    /// <summary>The lines Claude Code reads for <paramref name="job"/>.</summary>
    public static byte[] Input(StartAheadJob job)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            ControlRequest(writer, buffer, "polydev-settings", "apply_flag_settings", w =>
            {
                w.WriteStartObject("settings");
                if (job.ApiKeyHelper is { } helper)
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

/// <summary>What a CLI started ahead learns when its job arrives.</summary>
/// <param name="Prompt">The prompt, with the conversation so far before it.</param>
/// <param name="Model">The model the job names, or null for the CLI's default.</param>
/// <param name="Environment">The job's own variables: proxy, base URL, CA file.</param>
/// <param name="ApiKeyHelper">For an API key: the command that prints it.</param>
internal sealed record StartAheadJob(string Prompt, string? Model, IReadOnlyDictionary<string, string> Environment, string? ApiKeyHelper);
