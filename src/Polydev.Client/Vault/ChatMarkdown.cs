using System.Globalization;
using System.Text;
using Polydev.Contracts;

namespace Polydev.Client.Vault;

/// <summary>
/// A chat as a Markdown document (<c>polydev chats export</c>): the title, then each message under a heading that
/// says who wrote it and when; messages are Markdown already (answers) or the user's own text, so they go as they are.
/// </summary>
internal static class ChatMarkdown
{
    public static string Write(string title, IEnumerable<(DateTimeOffset CreatedAt, ChatMessageBody Body)> messages)
    {
        var markdown = new StringBuilder().Append("# ").Append(OneLine(title)).Append("\n\n");
        foreach (var (createdAt, body) in messages)
        {
            var who = body.Role == ChatMessageBody.User
                ? "You"
                : body.Provider is { } provider ? Providers.CliName(provider) + (body.Model is { } model ? $" ({model})" : "") : "Assistant";
            markdown.Append("## ").Append(who).Append(" — ").Append(createdAt.ToUniversalTime().ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture)).Append("\n\n");
            if (body.Failure is { } failure)
            {
                markdown.Append("> **Failed:** ").Append(OneLine(failure.Message)).Append("\n\n");
            }

            if (body.Text.Length > 0)
            {
                markdown.Append(body.Text.TrimEnd()).Append("\n\n");
            }
        }

        return markdown.ToString().TrimEnd() + "\n";
    }

    private static string OneLine(string text) => string.Join(' ', text.Split((char[])['\r', '\n'], StringSplitOptions.RemoveEmptyEntries));
}
