using System.Text.Json;

namespace Polydev.Agent;

/// <summary>Turns one line of a CLI's JSON stream into normalized events.</summary>
internal interface IEventMapper
{
    void Map(JsonElement line, List<AgentEvent> events);
}
