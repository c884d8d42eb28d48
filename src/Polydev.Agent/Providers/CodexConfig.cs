using System.Globalization;
using System.Text;

namespace Polydev.Agent;

/// <summary>
/// The <c>~/.codex/config.toml</c> the agent writes for every Codex run. Codex takes its settings from this file, not
/// from environment variables: it turns off the traffic a sandbox has no use for, and points the CLI at the job's
/// <c>baseUrl</c> when there is one.
/// </summary>
internal static class CodexConfig
{
    public const string RelativePath = ".codex/config.toml";

    /// <param name="baseUrl">The job's endpoint (conventionally ending in <c>/v1</c>), or null for OpenAI itself.</param>
    public static string Create(string? baseUrl)
    {
        var toml = new StringBuilder("# Written by polydev-agent for this job.\n");
        if (baseUrl is not null)
        {
            // The built-in provider cannot be re-pointed without trying a Responses WebSocket first (five failed
            // attempts and a fallback on an endpoint without one), so a job endpoint is a provider of its own.
            // ChatGPT logins also check the account under chatgpt_base_url: the same endpoint, not chatgpt.com.
            toml.Append("model_provider = \"polydev\"\n");
            toml.Append(CultureInfo.InvariantCulture, $"chatgpt_base_url = {Quote(baseUrl)}\n");
        }

        // Analytics go to ab.chatgpt.com; plugins and apps fetch catalogs from chatgpt.com and github.com.
        toml.Append("\n[analytics]\nenabled = false\n");
        toml.Append("\n[features]\nplugins = false\napps = false\n");
        if (baseUrl is not null)
        {
            toml.Append("\n[model_providers.polydev]\nname = \"Polydev job endpoint\"\n");
            toml.Append(CultureInfo.InvariantCulture, $"base_url = {Quote(baseUrl)}\n");
            toml.Append("wire_api = \"responses\"\nsupports_websockets = false\n");
            // Both credential forms are ~/.codex/auth.json (an API key as `codex login --with-api-key` stores it).
            toml.Append("requires_openai_auth = true\n");
        }

        return toml.ToString();
    }

    /// <summary>A TOML basic string.</summary>
    private static string Quote(string value)
    {
        var quoted = new StringBuilder("\"");
        foreach (char c in value)
        {
            if (c is '"' or '\\')
            {
                quoted.Append('\\').Append(c);
            }
            else if (char.IsControl(c))
            {
                quoted.Append(CultureInfo.InvariantCulture, $"\\u{(int)c:X4}");
            }
            else
            {
                quoted.Append(c);
            }
        }

        return quoted.Append('"').ToString();
    }
}
