using System.Net;
using Polydev.Server.Http;

namespace Polydev.Server.Tests.Accounts;

/// <summary>What per-address limits count by: one IPv4 address, or one IPv6 /64 (a subscriber's usual share).</summary>
public sealed class ClientAddressTests
{
    [Theory]
    [InlineData("198.51.100.7", "198.51.100.7")]
    [InlineData("::ffff:198.51.100.7", "198.51.100.7")]
    [InlineData("2001:db8:1:2:aaaa:bbbb:cccc:dddd", "2001:db8:1:2::/64")]
    [InlineData("2001:db8:1:2::1", "2001:db8:1:2::/64")]
    [InlineData("2001:db8:1:3::1", "2001:db8:1:3::/64")]
    public void Counts_ipv4_by_address_and_ipv6_by_its_64(string address, string expected) =>
        Assert.Equal(expected, ClientAddress.Of(IPAddress.Parse(address)));

    [Fact]
    public void A_missing_address_is_one_shared_unknown() => Assert.Equal(ClientAddress.Unknown, ClientAddress.Of((IPAddress?)null));
}
