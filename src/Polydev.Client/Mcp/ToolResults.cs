using System.Globalization;
using System.Text;
using System.Text.Json;
using ModelContextProtocol.Protocol;
using Polydev.Client.Vault;
using Polydev.Contracts;

namespace Polydev.Client.Mcp;

/// <summary>
/// Tool results as MCP clients show them: Markdown for the model and the person reading along, and the same facts as
/// structured content (snake_case JSON) for clients that read fields.
/// </summary>
internal static class ToolResult
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
    };

    public static CallToolResult Of(string markdown, object structured, bool isError = false) => new()
    {
        Content = [new TextContentBlock { Text = markdown }],
        StructuredContent = JsonSerializer.SerializeToElement(structured, Json),
        IsError = isError,
    };
}

/// <summary>The answers of <c>get_perspectives</c> and <c>send_cli_prompt</c>.</summary>
internal static class PerspectiveResult
{
    public static CallToolResult Render(Guid chatId, IReadOnlyList<Perspective> perspectives, bool isError)
    {
        var text = new StringBuilder();
        foreach (var p in perspectives)
        {
            text.Append("## ").Append(Providers.CliName(p.Provider)).Append(" (").Append(p.Provider).Append(')');
            foreach (var fact in Facts(p))
            {
                text.Append(" · ").Append(fact);
            }

            text.Append("\n\n");
            if (p.Succeeded)
            {
                text.Append(p.Answer.Trim()).Append("\n\n");
            }
            else
            {
                text.Append("**Failed** (").Append(p.Failure).Append("): ").Append(p.Reason).Append("\n\n");
                if (p.Answer.Length > 0)
                {
                    text.Append("What arrived before it failed:\n\n").Append(p.Answer.Trim()).Append("\n\n");
                }
            }
        }

        text.Append($"_Stored in the user's Polydev chat {chatId} (`polydev chats show {chatId}`)._");
        var structured = new
        {
            ChatId = chatId,
            Perspectives = perspectives.Select(p => new
            {
                p.Provider,
                LegacyProviderId = ProviderIds.LegacyId(p.Provider),
                Cli = Providers.CliName(p.Provider),
                p.Model,
                Ok = p.Succeeded,
                p.Answer,
                Failure = p.Failure is null ? null : new { Kind = p.Failure, p.Reason },
                p.Seconds,
                p.FirstTextSeconds,
                Tokens = p.InputTokens is null && p.OutputTokens is null ? null : new { Input = p.InputTokens, Output = p.OutputTokens },
                p.CostUsd,
                p.WarmSandbox,
                p.ExecutionId,
                p.SandboxTimings,
            }),
        };
        return ToolResult.Of(text.ToString(), structured, isError);
    }

    private static IEnumerable<string> Facts(Perspective p)
    {
        if (p.Model is { Length: > 0 } model)
        {
            yield return model;
        }

        if (p.Seconds is { } seconds)
        {
            yield return string.Create(CultureInfo.InvariantCulture, $"{seconds:0.0} s");
        }

        if (p.InputTokens is { } input && p.OutputTokens is { } output)
        {
            yield return string.Create(CultureInfo.InvariantCulture, $"{input:N0} tokens in, {output:N0} out");
        }

        if (p.CostUsd is { } cost)
        {
            yield return string.Create(CultureInfo.InvariantCulture, $"${cost:0.0000}");
        }
    }
}

internal sealed record ChatSummary(Guid Id, string Title, long Messages, DateTimeOffset LastActivity);

/// <summary>The results of <c>list_chats</c> and <c>get_chat</c>.</summary>
internal static class ChatResult
{
    public static CallToolResult List(IReadOnlyList<ChatSummary> chats)
    {
        var text = new StringBuilder(chats.Count == 0 ? "The user has no Polydev chats yet.\n" : "");
        foreach (var chat in chats)
        {
            text.Append(CultureInfo.InvariantCulture, $"- {chat.Id} · {chat.Title} · {chat.Messages} message(s) · {chat.LastActivity:yyyy-MM-dd HH:mm} UTC\n");
        }

        return ToolResult.Of(text.ToString(), new { Chats = chats });
    }

    public static CallToolResult Chat(Guid id, string title, IReadOnlyList<(Guid Id, DateTimeOffset CreatedAt, ChatMessageBody Body)> messages)
    {
        var text = new StringBuilder($"# {title}\n\n");
        foreach (var (_, createdAt, body) in messages)
        {
            var who = body.Role == ChatMessageBody.User ? "User" : body.Provider is { } provider ? Providers.CliName(provider) : "Assistant";
            text.Append(CultureInfo.InvariantCulture, $"### {who} · {createdAt:yyyy-MM-dd HH:mm} UTC{(body.Model is { } model ? $" · {model}" : "")}\n\n");
            text.Append(body.Failure is { } failure ? $"**Failed** ({failure.Kind}): {failure.Message}\n\n" : "").Append(body.Text.Trim()).Append("\n\n");
        }

        return ToolResult.Of(text.ToString(), new
        {
            Id = id,
            Title = title,
            Messages = messages.Select(m => new
            {
                m.Id,
                m.CreatedAt,
                m.Body.Role,
                m.Body.Provider,
                m.Body.Model,
                m.Body.Text,
                Failure = m.Body.Failure is { } f ? new { f.Kind, f.Message } : null,
            }),
        });
    }
}
