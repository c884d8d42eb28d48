using System.Text.Json;

namespace Polydev.Agent;

/// <summary>Turns one line of a CLI's JSON stream into normalized events.</summary>
internal interface IEventMapper
{
    void Map(JsonElement line, List<AgentEvent> events);

    /// <summary>
    /// One line of the CLI's stderr, as it comes: a CLI that reports its retries only there (Gemini) gets a
    /// <see cref="RetryEvent"/> out of it. The stderr itself still reaches the client once, at the end.
    /// </summary>
    void MapStderr(string line, List<AgentEvent> events)
    {
    }

    /// <summary>A stdout line that is not JSON: an error event with its text, unless the CLI's protocol says more of it.</summary>
    void MapUnparsed(string line, List<AgentEvent> events) => events.Add(Events.Error(ErrorSources.Stdout, line));
}
