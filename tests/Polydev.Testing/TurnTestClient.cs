using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;

namespace Polydev.Testing;

/// <summary>
/// A minimal TURN client written from RFC 8489 and RFC 8656 for the tests, independent of Polydev's code: Allocate with
/// the long-term credential mechanism (a 401 with realm and nonce, then the request again with MESSAGE-INTEGRITY),
/// CreatePermission, Send and Data indications, Refresh to zero on dispose; over UDP or TCP. It reports what coturn
/// answers (an error code, the relayed address, the data) and checks nothing of its own.
/// </summary>
public sealed class TurnTestClient : IAsyncDisposable
{
    private const uint MagicCookie = 0x2112A442;
    private const ushort Allocate = 0x003, Refresh = 0x004, CreatePermission = 0x008;
    private const ushort SendIndication = 0x016, DataIndication = 0x017;
    private const ushort AttrUsername = 0x0006, AttrIntegrity = 0x0008, AttrErrorCode = 0x0009, AttrLifetime = 0x000D;
    private const ushort AttrPeer = 0x0012, AttrData = 0x0013, AttrRealm = 0x0014, AttrNonce = 0x0015, AttrRelayed = 0x0016, AttrTransport = 0x0019;
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);

    private readonly Socket _socket;
    private readonly bool _tcp;
    private readonly Queue<(IPEndPoint Peer, byte[] Data)> _data = new();
    private string? _username, _realm, _nonce;
    private byte[]? _key;

    private TurnTestClient(Socket socket, bool tcp)
    {
        _socket = socket;
        _tcp = tcp;
    }

    /// <summary>The relayed transport address of the allocation, once one succeeded.</summary>
    public IPEndPoint? Relayed { get; private set; }

    public static async Task<TurnTestClient> ConnectAsync(IPEndPoint server, bool tcp = false)
    {
        var socket = new Socket(server.AddressFamily, tcp ? SocketType.Stream : SocketType.Dgram, tcp ? ProtocolType.Tcp : ProtocolType.Udp);
        await socket.ConnectAsync(server);
        return new TurnTestClient(socket, tcp);
    }

    /// <summary>Allocates a UDP relay as <paramref name="username"/>; the answer's error code is 0 on success.</summary>
    public async Task<TurnAnswer> AllocateAsync(string username, string password)
    {
        var transport = new byte[] { 17, 0, 0, 0 };
        var challenge = await RequestAsync(Allocate, [(AttrTransport, transport)], authenticate: false);
        if (challenge.ErrorCode != 401)
        {
            return challenge;
        }

        _username = username;
        _realm = challenge.Text(AttrRealm);
        _nonce = challenge.Text(AttrNonce);
        _key = MD5.HashData(Encoding.UTF8.GetBytes($"{username}:{_realm}:{password}"));
        var answer = await RequestAsync(Allocate, [(AttrTransport, transport)], authenticate: true);
        if (answer.ErrorCode == 0)
        {
            Relayed = answer.Address(AttrRelayed);
        }

        return answer;
    }

    /// <summary>Asks the server to accept data from, and relay to, <paramref name="peer"/>.</summary>
    public Task<TurnAnswer> CreatePermissionAsync(IPAddress peer) =>
        RequestAsync(CreatePermission, [(AttrPeer, XorAddress(new IPEndPoint(peer, 0)))], authenticate: true);

    /// <summary>A Send indication: <paramref name="data"/> leaves the relayed address for <paramref name="peer"/>.</summary>
    public Task SendAsync(IPEndPoint peer, byte[] data) =>
        WriteAsync(Encode(SendIndication, RandomNumberGenerator.GetBytes(12), [(AttrPeer, XorAddress(peer)), (AttrData, data)], authenticate: false));

    /// <summary>The next Data indication: what a peer sent to the relayed address.</summary>
    public async Task<(IPEndPoint Peer, byte[] Data)?> ReceiveAsync(TimeSpan timeout)
    {
        using var deadline = new CancellationTokenSource(timeout);
        while (_data.Count == 0)
        {
            var message = await ReadAsync(deadline.Token);
            if (message is null)
            {
                return null;
            }

            Keep(message);
        }

        return _data.Dequeue();
    }

    public async ValueTask DisposeAsync()
    {
        if (Relayed is not null)
        {
            // Frees the relay port now rather than when the allocation times out: test servers have small ranges.
            try
            {
                await RequestAsync(Refresh, [(AttrLifetime, new byte[4])], authenticate: true);
            }
            catch (Exception e) when (e is TimeoutException or SocketException or IOException)
            {
                // The server is gone (a test stopped it); nothing is left to free.
            }
        }

        _socket.Dispose();
    }

    private async Task<TurnAnswer> RequestAsync(ushort method, List<(ushort Type, byte[] Value)> attributes, bool authenticate)
    {
        for (var attempt = 0; ; attempt++)
        {
            var transaction = RandomNumberGenerator.GetBytes(12);
            var request = Encode(method, transaction, attributes, authenticate);
            using var deadline = new CancellationTokenSource(Timeout);
            TurnAnswer? answer = null;
            while (answer is null)
            {
                await WriteAsync(request);
                using var retransmit = CancellationTokenSource.CreateLinkedTokenSource(deadline.Token);
                retransmit.CancelAfter(_tcp ? Timeout : TimeSpan.FromMilliseconds(500));
                while (answer is null)
                {
                    var message = await ReadAsync(retransmit.Token);
                    if (message is null)
                    {
                        break;
                    }

                    if (message.Transaction.AsSpan().SequenceEqual(transaction))
                    {
                        answer = message;
                    }
                    else
                    {
                        Keep(message);
                    }
                }

                if (answer is null && deadline.IsCancellationRequested)
                {
                    throw new TimeoutException($"no answer to TURN method 0x{method:x3} within {Timeout.TotalSeconds} s");
                }
            }

            // A stale nonce (438) comes with a fresh one: ask again once with it.
            if (answer.ErrorCode == 438 && attempt == 0 && answer.Text(AttrNonce) is { } nonce)
            {
                _nonce = nonce;
                continue;
            }

            return answer;
        }
    }

    private void Keep(TurnAnswer message)
    {
        if (message.Type == DataIndication && message.Address(AttrPeer) is { } peer && message.Attribute(AttrData) is { } data)
        {
            _data.Enqueue((peer, data));
        }
    }

    private byte[] Encode(ushort type, byte[] transaction, List<(ushort Type, byte[] Value)> attributes, bool authenticate)
    {
        var all = new List<(ushort Type, byte[] Value)>(attributes);
        if (authenticate)
        {
            all.Add((AttrUsername, Encoding.UTF8.GetBytes(_username!)));
            all.Add((AttrRealm, Encoding.UTF8.GetBytes(_realm!)));
            all.Add((AttrNonce, Encoding.UTF8.GetBytes(_nonce!)));
        }

        using var body = new MemoryStream();
        foreach (var (attribute, value) in all)
        {
            WriteAttribute(body, attribute, value);
        }

        var length = (int)body.Length + (authenticate ? 24 : 0);
        var message = new byte[20];
        BinaryPrimitives.WriteUInt16BigEndian(message, type);
        BinaryPrimitives.WriteUInt16BigEndian(message.AsSpan(2), (ushort)length);
        BinaryPrimitives.WriteUInt32BigEndian(message.AsSpan(4), MagicCookie);
        transaction.CopyTo(message, 8);
        var withBody = message.Concat(body.ToArray()).ToArray();
        if (!authenticate)
        {
            return withBody;
        }

        // MESSAGE-INTEGRITY: HMAC-SHA1 over everything before it, with the length already counting it.
        using var signed = new MemoryStream();
        signed.Write(withBody);
        WriteAttribute(signed, AttrIntegrity, HMACSHA1.HashData(_key!, withBody));
        return signed.ToArray();
    }

    private static void WriteAttribute(Stream stream, ushort type, byte[] value)
    {
        Span<byte> header = stackalloc byte[4];
        BinaryPrimitives.WriteUInt16BigEndian(header, type);
        BinaryPrimitives.WriteUInt16BigEndian(header[2..], (ushort)value.Length);
        stream.Write(header);
        stream.Write(value);
        stream.Write(new byte[(4 - value.Length % 4) % 4]);
    }

    private static byte[] XorAddress(IPEndPoint endpoint)
    {
        var address = endpoint.Address.GetAddressBytes();
        if (address.Length != 4)
        {
            throw new NotSupportedException("IPv4 peers only");
        }

        var value = new byte[8];
        value[1] = 0x01;
        BinaryPrimitives.WriteUInt16BigEndian(value.AsSpan(2), (ushort)(endpoint.Port ^ (MagicCookie >> 16)));
        BinaryPrimitives.WriteUInt32BigEndian(value.AsSpan(4), BinaryPrimitives.ReadUInt32BigEndian(address) ^ MagicCookie);
        return value;
    }

    private async Task WriteAsync(byte[] message) => await _socket.SendAsync(message, SocketFlags.None);

    private async Task<TurnAnswer?> ReadAsync(CancellationToken cancellationToken)
    {
        try
        {
            if (!_tcp)
            {
                var buffer = new byte[65536];
                var received = await _socket.ReceiveAsync(buffer, SocketFlags.None, cancellationToken);
                return TurnAnswer.Parse(buffer.AsSpan(0, received).ToArray());
            }

            var header = await ReadExactlyAsync(20, cancellationToken);
            var body = await ReadExactlyAsync(BinaryPrimitives.ReadUInt16BigEndian(header.AsSpan(2)), cancellationToken);
            return TurnAnswer.Parse([.. header, .. body]);
        }
        catch (OperationCanceledException)
        {
            return null;
        }
        catch (SocketException e) when (!_tcp && e.SocketErrorCode == SocketError.ConnectionRefused)
        {
            // ICMP port unreachable: coturn accepts on TCP a moment before its UDP listener is bound. Like any STUN
            // client over UDP, send again (after a pause, not in a loop that spins until the deadline).
            await Task.Delay(100, CancellationToken.None);
            return null;
        }
    }

    private async Task<byte[]> ReadExactlyAsync(int count, CancellationToken cancellationToken)
    {
        var buffer = new byte[count];
        for (var read = 0; read < count;)
        {
            var received = await _socket.ReceiveAsync(buffer.AsMemory(read), SocketFlags.None, cancellationToken);
            read += received > 0 ? received : throw new IOException("the TURN server closed the connection");
        }

        return buffer;
    }
}

/// <summary>One STUN message from the server: its type, transaction, attributes and, for an error, the code.</summary>
public sealed class TurnAnswer
{
    private readonly List<(ushort Type, byte[] Value)> _attributes;

    private TurnAnswer(ushort type, byte[] transaction, List<(ushort Type, byte[] Value)> attributes)
    {
        Type = type;
        Transaction = transaction;
        _attributes = attributes;
        if (Attribute(0x0009) is { Length: >= 4 } error)
        {
            ErrorCode = (error[2] & 0x7) * 100 + error[3];
            Reason = Encoding.UTF8.GetString(error, 4, error.Length - 4);
        }
    }

    public ushort Type { get; }

    public byte[] Transaction { get; }

    /// <summary>0 for a success answer, else the STUN error code (401 unauthenticated, 403 forbidden, …).</summary>
    public int ErrorCode { get; }

    public string Reason { get; } = "";

    public byte[]? Attribute(ushort type) => _attributes.FirstOrDefault(a => a.Type == type).Value;

    public string? Text(ushort type) => Attribute(type) is { } value ? Encoding.UTF8.GetString(value) : null;

    /// <summary>An XOR-encoded IPv4 address attribute (relayed, peer, mapped).</summary>
    public IPEndPoint? Address(ushort type)
    {
        if (Attribute(type) is not { Length: 8 } value || value[1] != 0x01)
        {
            return null;
        }

        var port = BinaryPrimitives.ReadUInt16BigEndian(value.AsSpan(2)) ^ 0x2112;
        var address = BinaryPrimitives.ReadUInt32BigEndian(value.AsSpan(4)) ^ 0x2112A442;
        var bytes = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(bytes, address);
        return new IPEndPoint(new IPAddress(bytes), port);
    }

    public override string ToString() => ErrorCode == 0 ? $"0x{Type:x4} success" : $"0x{Type:x4} error {ErrorCode} {Reason}";

    internal static TurnAnswer Parse(byte[] message)
    {
        var type = BinaryPrimitives.ReadUInt16BigEndian(message);
        var length = BinaryPrimitives.ReadUInt16BigEndian(message.AsSpan(2));
        var attributes = new List<(ushort, byte[])>();
        for (var offset = 20; offset + 4 <= 20 + length;)
        {
            var attribute = BinaryPrimitives.ReadUInt16BigEndian(message.AsSpan(offset));
            var size = BinaryPrimitives.ReadUInt16BigEndian(message.AsSpan(offset + 2));
            attributes.Add((attribute, message.AsSpan(offset + 4, size).ToArray()));
            offset += 4 + size + (4 - size % 4) % 4;
        }

        return new TurnAnswer(type, message.AsSpan(8, 12).ToArray(), attributes);
    }
}
