using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Polydev.Server.Egress.Proxy;

namespace Polydev.Server.Tests.Egress;

/// <summary>
/// The direct dialer's network as a test scripts it: DNS answers that change from one lookup to the next, host
/// addresses of its choosing, and a record of every address the dialer connects to. Only loopback is ever really
/// dialled (through the machine's own network); any other address is refused here, so no packet leaves the machine.
/// </summary>
public sealed class ScriptedNetwork : IDirectNetwork
{
    private readonly SystemNetwork _system = new();
    private readonly ConcurrentDictionary<string, ConcurrentQueue<IPAddress[]>> _answers = new(StringComparer.OrdinalIgnoreCase);

    public ConcurrentQueue<IPEndPoint> Dialled { get; } = new();

    public IReadOnlyCollection<IPAddress> OwnAddresses { get; set; } = [IPAddress.Loopback];

    /// <summary>When set, a connect to a non-loopback address hangs until cancelled instead of being refused.</summary>
    public bool Hang { get; set; }

    /// <summary>The answers for <paramref name="host"/>, one per lookup; the last repeats. Empty: the name does not exist.</summary>
    public ScriptedNetwork Answer(string host, params IPAddress[][] answers)
    {
        _answers[host] = new ConcurrentQueue<IPAddress[]>(answers);
        return this;
    }

    public Task<IPAddress[]> ResolveAsync(string host, CancellationToken cancellationToken)
    {
        if (!_answers.TryGetValue(host, out var queue) || queue.IsEmpty)
        {
            throw new SocketException((int)SocketError.HostNotFound);
        }

        var answer = queue.Count > 1 && queue.TryDequeue(out var next) ? next : queue.First();
        return Task.FromResult(answer.ToArray());
    }

    public async Task<Socket> ConnectAsync(IPEndPoint endpoint, CancellationToken cancellationToken)
    {
        Dialled.Enqueue(endpoint);
        if (IPAddress.IsLoopback(endpoint.Address))
        {
            return await _system.ConnectAsync(endpoint, cancellationToken);
        }

        if (Hang)
        {
            await Task.Delay(Timeout.Infinite, cancellationToken);
        }

        throw new SocketException((int)SocketError.ConnectionRefused);
    }

    public IReadOnlyCollection<IPAddress> HostAddresses() => OwnAddresses;
}
