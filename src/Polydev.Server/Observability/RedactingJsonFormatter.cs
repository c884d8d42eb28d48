using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Console;

namespace Polydev.Server.Observability;

/// <summary>
/// The server's one log format: a JSON object per line (timestamp, level, category, message,
/// structured fields, exception) with every value passed through <see cref="SecretRedactor"/>.
/// </summary>
public sealed class RedactingJsonFormatter(TimeProvider clock) : ConsoleFormatter(FormatterName)
{
    public const string FormatterName = "polydev-json";

    public override void Write<TState>(in LogEntry<TState> logEntry, IExternalScopeProvider? scopeProvider, TextWriter textWriter)
    {
        var message = logEntry.Formatter?.Invoke(logEntry.State, logEntry.Exception);
        if (message is null && logEntry.Exception is null)
        {
            return;
        }

        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("timestamp", clock.GetUtcNow().ToString("O"));
            json.WriteString("level", logEntry.LogLevel.ToString());
            json.WriteString("category", logEntry.Category);
            if (logEntry.EventId.Id != 0 || logEntry.EventId.Name is not null)
            {
                json.WriteString("event", logEntry.EventId.Name ?? logEntry.EventId.Id.ToString(System.Globalization.CultureInfo.InvariantCulture));
            }

            var fields = logEntry.State as IReadOnlyList<KeyValuePair<string, object?>>;
            json.WriteString("message", SecretRedactor.Redact(WithoutSecretValues(message ?? string.Empty, fields)));
            if (fields is not null)
            {
                WriteFields(json, fields);
            }

            scopeProvider?.ForEachScope(static (scope, writer) =>
            {
                if (scope is IReadOnlyList<KeyValuePair<string, object?>> scopeFields)
                {
                    WriteFields(writer, scopeFields);
                }
            }, json);

            if (logEntry.Exception is { } exception)
            {
                json.WriteString("exception", SecretRedactor.Redact(exception.ToString()));
            }

            json.WriteEndObject();
        }

        textWriter.WriteLine(System.Text.Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length));
    }

    /// <summary>The rendered message carries the values of its placeholders; secret-named ones come out.</summary>
    private static string WithoutSecretValues(string message, IReadOnlyList<KeyValuePair<string, object?>>? fields)
    {
        if (fields is null)
        {
            return message;
        }

        foreach (var (key, value) in fields)
        {
            if (SecretRedactor.IsSecretName(key) && Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture) is { Length: > 0 } secret)
            {
                message = message.Replace(secret, SecretRedactor.Redacted, StringComparison.Ordinal);
            }
        }

        return message;
    }

    private static void WriteFields(Utf8JsonWriter json, IReadOnlyList<KeyValuePair<string, object?>> fields)
    {
        foreach (var (key, value) in fields)
        {
            if (key == "{OriginalFormat}")
            {
                continue;
            }

            var name = JsonNamingPolicy.CamelCase.ConvertName(key);
            if (SecretRedactor.IsSecretName(key))
            {
                json.WriteString(name, SecretRedactor.Redacted);
                continue;
            }

            switch (value)
            {
                case null:
                    json.WriteNull(name);
                    break;
                case int or long or short or byte or uint or ulong or ushort:
                    json.WriteNumber(name, Convert.ToInt64(value, System.Globalization.CultureInfo.InvariantCulture));
                    break;
                case double or float or decimal:
                    json.WriteNumber(name, Convert.ToDouble(value, System.Globalization.CultureInfo.InvariantCulture));
                    break;
                case bool flag:
                    json.WriteBoolean(name, flag);
                    break;
                default:
                    json.WriteString(name, SecretRedactor.Redact(Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture) ?? string.Empty));
                    break;
            }
        }
    }
}
