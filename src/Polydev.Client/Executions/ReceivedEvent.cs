using Polydev.Contracts.Jobs;

namespace Polydev.Client.Executions;

/// <summary>
/// One decrypted output chunk: the event, and its JSON as the agent wrote it (for callers that pass events on
/// unchanged, like <c>polydev run --json</c>). An event of a type this client does not know is a plain
/// <see cref="AgentEvent"/>.
/// </summary>
internal sealed record ReceivedEvent(long Sequence, AgentEvent Event, ReadOnlyMemory<byte> Json);
