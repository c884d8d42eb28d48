namespace Polydev.Crypto.Tests;

public sealed class UserKeyTests
{
    [Fact]
    public void Generate_returns_fresh_32_byte_keys()
    {
        byte[] first = UserKey.Generate();
        byte[] second = UserKey.Generate();

        Assert.Equal(32, first.Length);
        Assert.NotEqual(first, second);
    }
}
