using System.Net;
using System.Net.Sockets;

namespace Polydev.Server.Http;

/// <summary>
/// The client address that per-address limits count by: <c>RemoteIpAddress</c>, which the forwarded-headers step has
/// already replaced with the real client when <c>TrustedProxies</c> is set. An IPv6 client is counted by its /64,
/// since one subscriber usually holds a whole /64 and could otherwise take a fresh address per request.
/// </summary>
public static class ClientAddress
{
    public const string Unknown = "unknown";

    public static string Of(HttpContext context) => Of(context.Connection.RemoteIpAddress);

    public static string Of(IPAddress? address)
    {
        if (address is null)
        {
            return Unknown;
        }

        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        if (address.AddressFamily != AddressFamily.InterNetworkV6)
        {
            return address.ToString();
        }

        var bytes = address.GetAddressBytes();
        Array.Clear(bytes, 8, 8);
        return new IPAddress(bytes) + "/64";
    }
}
