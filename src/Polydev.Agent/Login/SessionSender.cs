using System.Text.Json;
using Polydev.Contracts.Login;
using Polydev.Crypto;

namespace Polydev.Agent.Login;

/// <summary>
/// The agent's half of the session channel going out: seals each message and hands it to the agent channel under one
/// lock, so sequence numbers reach the viewer in the order they were sealed, whichever thread sends.
/// </summary>
internal sealed class SessionSender(SessionChannel cipher, AgentChannel channel)
{
    private readonly SemaphoreSlim _gate = new(1, 1);

    public Task SignalAsync(LoginSignal signal) =>
        SendAsync(LoginMessageKind.Signal, JsonSerializer.SerializeToUtf8Bytes(signal, LoginJsonContext.Default.LoginSignal));

    public async Task SendAsync(LoginMessageKind kind, ReadOnlyMemory<byte> payload)
    {
        await _gate.WaitAsync();
        try
        {
            await channel.SendSignalAsync(cipher.Seal((byte)kind, payload.Span));
        }
        finally
        {
            _gate.Release();
        }
    }
}
