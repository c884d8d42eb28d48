using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace Polydev.Server.Egress.Gateway;

/// <summary>
/// The PROXY protocol's version 2 header (HAProxy's proxy-protocol.txt, section 2.2) for TCP over IPv4: the
/// 12-byte signature, version and command (<c>0x21</c>: v2, PROXY), family (<c>0x11</c>: TCP over IPv4), the
/// address block's length, then source address, destination address, source port, destination port. An egress
/// gateway sends it first on each relayed connection so the proxy knows which sandbox it serves.
/// </summary>
public static class ProxyProtocolHeader
{
    /// <summary>The fixed part: signature, version/command, family, length.</summary>
    public const int FixedLength = 16;

    /// <summary>The header as a gateway writes it (no TLVs).</summary>
    public const int Ipv4Length = FixedLength + 12;

    private static ReadOnlySpan<byte> Signature => [0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A];

    public static byte[] Write(IPEndPoint source, IPEndPoint destination)
    {
        if (source.AddressFamily != AddressFamily.InterNetwork || destination.AddressFamily != AddressFamily.InterNetwork)
        {
            throw new ArgumentException("The gateway relays IPv4 connections only.");
        }

        var header = new byte[Ipv4Length];
        Signature.CopyTo(header);
        header[12] = 0x21;
        header[13] = 0x11;
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(14), 12);
        source.Address.TryWriteBytes(header.AsSpan(16, 4), out _);
        destination.Address.TryWriteBytes(header.AsSpan(20, 4), out _);
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(24), (ushort)source.Port);
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(26), (ushort)destination.Port);
        return header;
    }

    /// <summary>
    /// The length of the whole header once <paramref name="start"/> holds at least <see cref="FixedLength"/> bytes;
    /// throws <see cref="FormatException"/> when they are not a v2 PROXY header.
    /// </summary>
    public static int TotalLength(ReadOnlySpan<byte> start)
    {
        if (start.Length < FixedLength || !start[..12].SequenceEqual(Signature))
        {
            throw new FormatException("the connection does not begin with a PROXY protocol v2 header");
        }

        if (start[12] != 0x21)
        {
            throw new FormatException($"PROXY header version/command 0x{start[12]:x2} is not v2 PROXY");
        }

        return FixedLength + BinaryPrimitives.ReadUInt16BigEndian(start[14..]);
    }

    /// <summary>The source (the sandbox) and destination of a complete header; TLVs after the addresses are skipped.</summary>
    public static (IPEndPoint Source, IPEndPoint Destination) Read(ReadOnlySpan<byte> header)
    {
        var length = TotalLength(header);
        if (header[13] != 0x11 || length < Ipv4Length || header.Length < length)
        {
            throw new FormatException($"PROXY header family 0x{header[13]:x2} or length {length} is not TCP over IPv4");
        }

        var source = new IPEndPoint(new IPAddress(header.Slice(16, 4)), BinaryPrimitives.ReadUInt16BigEndian(header[24..]));
        var destination = new IPEndPoint(new IPAddress(header.Slice(20, 4)), BinaryPrimitives.ReadUInt16BigEndian(header[26..]));
        return (source, destination);
    }
}
