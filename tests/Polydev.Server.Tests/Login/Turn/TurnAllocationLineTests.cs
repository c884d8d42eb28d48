using Polydev.Server.Login.Turn;

namespace Polydev.Server.Tests.Login.Turn;

/// <summary>
/// The lines Debian's coturn 4.6.1 prints with <c>verbose</c>, as captured from a run (user names changed), and the
/// allocation outcome each one counts as.
/// </summary>
public sealed class TurnAllocationLineTests
{
    [Theory]
    [InlineData("session 000000000000000001: realm <polydev> user <1796503023:user1>: incoming packet ALLOCATE processed, success", "ok")]
    [InlineData("session 001000000000000002: realm <polydev> user <1796503023:user1>: incoming packet ALLOCATE processed, error 486: Allocation Quota Reached", "quota")]
    [InlineData("session 001000000000000002: realm <polydev> user <1796503023:user1>: incoming packet ALLOCATE processed, error 508: Insufficient Capacity", "capacity")]
    [InlineData("session 001000000000000002: realm <polydev> user <1796503023:user1>: incoming packet ALLOCATE processed, error 403: Forbidden IP", "refused")]
    [InlineData("session 001000000000000003: realm <polydev> user <1796416009:user1>: incoming packet message processed, error 401: Unauthorized", "unauthorized")]
    [InlineData("session 000000000000000001: origin <https://polydev.test> realm <polydev> user <1:u>: incoming packet ALLOCATE processed, success", "ok")]
    public void An_answer_to_an_allocation_is_counted_by_its_outcome(string line, string outcome) =>
        Assert.Equal(outcome, TurnAllocationLine.Outcome(line));

    [Theory]
    // The challenge every client gets first: no user name yet.
    [InlineData("session 001000000000000001: realm <polydev> user <>: incoming packet message processed, error 401: Unauthorized")]
    [InlineData("session 001000000000000001: realm <polydev> user <1:u>: incoming packet ALLOCATE processed, error 438: Stale Nonce")]
    // The same 486 again, as coturn also reports it for the message.
    [InlineData("session 001000000000000002: realm <polydev> user <1:u>: incoming packet message processed, error 486: Allocation Quota Reached")]
    [InlineData("session 000000000000000001: realm <polydev> user <1:u>: incoming packet REFRESH processed, success")]
    [InlineData("ERROR: check_stun_auth: Cannot find credentials of user <1796416009:user1>")]
    [InlineData("SQLite DB connection success: /var/lib/turn/turndb")]
    public void Other_lines_count_as_nothing(string line) => Assert.Null(TurnAllocationLine.Outcome(line));
}
