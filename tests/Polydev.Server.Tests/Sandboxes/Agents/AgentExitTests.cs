using Polydev.Agent.Protocol;

namespace Polydev.Server.Tests.Sandboxes.Agents;

/// <summary>The exit frame's payload: reason and status, then (issue 19) the job's phases when a job ran.</summary>
public sealed class AgentExitTests
{
    [Fact]
    public void Phases_travel_with_the_exit_and_a_phase_not_reached_stays_absent()
    {
        var exit = AgentExit.For(AgentExitReason.Ok) with { Phases = new AgentPhases(true, 3, 9, 290, 301, null, 420) };

        byte[] payload = exit.Encode();

        Assert.Equal(AgentExit.Length + AgentPhases.Length, payload.Length);
        Assert.Equal(exit, AgentExit.Decode(payload));
    }

    [Fact]
    public void An_exit_without_a_job_is_the_five_bytes_it_always_was()
    {
        byte[] payload = AgentExit.For(AgentExitReason.Abandoned).Encode();

        Assert.Equal([7, 0, 0, 0, 7], payload);
        Assert.Null(AgentExit.Decode(payload).Phases);
    }

    [Fact]
    public void Any_other_length_is_malformed_and_says_which_lengths_are_valid()
    {
        var e = Assert.Throws<AgentProtocolException>(() => AgentExit.Decode(new byte[7]));
        Assert.Equal("An exit frame carries 5 or 30 bytes, not 7.", e.Message);
    }
}
