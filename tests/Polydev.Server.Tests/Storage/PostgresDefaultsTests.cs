using Npgsql;
using Polydev.Server.Storage;

namespace Polydev.Server.Tests.Storage;

/// <summary>Issue 19: prepared statements kept per connection and no reset on return, unless the operator says otherwise.</summary>
public sealed class PostgresDefaultsTests
{
    [Fact]
    public void A_plain_connection_string_gets_automatic_preparation_and_no_reset()
    {
        const string given = "Host=db;Database=polydev;Username=polydev";
        var builder = PostgresDefaults.Apply(new NpgsqlConnectionStringBuilder(given), given);
        Assert.Equal(PostgresDefaults.MaxAutoPrepare, builder.MaxAutoPrepare);
        Assert.Equal(2, builder.AutoPrepareMinUsages);
        Assert.True(builder.NoResetOnClose);
    }

    [Theory]
    [InlineData("Host=db;Max Auto Prepare=0;No Reset On Close=false")]
    [InlineData("Host=db;MaxAutoPrepare=0;NoResetOnClose=false")]
    [InlineData("Host=db;max auto prepare=0;no reset on close=false")]
    public void What_the_operator_sets_is_kept_e_g_for_a_transaction_pooler(string given)
    {
        var builder = PostgresDefaults.Apply(new NpgsqlConnectionStringBuilder(given), given);
        Assert.Equal(0, builder.MaxAutoPrepare);
        Assert.False(builder.NoResetOnClose);
    }
}
