using Polydev.Client.Verbs;

namespace Polydev.Client.Tests;

/// <summary>Issue 14: ids shown by their shortest unique start, never shorter than eight characters nor ending on a dash.</summary>
public sealed class IdPrefixTests
{
    [Fact]
    public void Each_id_is_shown_by_the_shortest_start_no_other_id_has()
    {
        var a = Guid.Parse("0193a1b2-c3d4-7000-8000-000000000001");
        var b = Guid.Parse("0193a1b2-c3d5-7000-8000-000000000002");
        var c = Guid.Parse("0193a1b3-0000-7000-8000-000000000003");
        var lone = Guid.Parse("0200aaaa-0000-7000-8000-000000000004");

        var shortest = IdPrefix.Shortest([a, b, c, lone]);

        Assert.Equal("0193a1b2-c3d4", shortest(a)); // shares "0193a1b2-c3d" with b
        Assert.Equal("0193a1b2-c3d5", shortest(b));
        Assert.Equal("0193a1b3", shortest(c));      // shares 7 with a: the minimum of 8 is enough
        Assert.Equal("0200aaaa", shortest(lone));
        Assert.Equal(a.ToString("D"), IdPrefix.Shortest([])(a)); // an id the set does not hold: in full

        // Sharing exactly the first eight would end the start on the dash: one more character.
        var d = Guid.Parse("0193a1b2-d000-7000-8000-000000000005");
        Assert.Equal("0193a1b2-d", IdPrefix.Shortest([a, d])(d));
        Assert.All([a, b, c, lone], id => Assert.True(IdPrefix.Matches(id, shortest(id))));
    }

    [Fact]
    public void An_ambiguous_start_is_an_error_that_names_the_candidates()
    {
        var items = new[] { (Id: Guid.Parse("0193a1b2-c3d4-7000-8000-000000000001"), Name: "work"), (Id: Guid.Parse("0193a1b2-c3d5-7000-8000-000000000002"), Name: "home") };

        var error = Assert.Throws<CliException>(() => IdPrefix.Single(items, i => i.Id, "0193a1b2", "credential", "polydev credentials list", i => i.Name));

        Assert.Equal("2 credentials start with '0193a1b2': 0193a1b2-c3d4 (work), 0193a1b2-c3d5 (home); give more of the id.", error.Message);
        Assert.Equal("home", IdPrefix.Single(items, i => i.Id, "0193a1b2-c3d5", "credential", "x").Name);
    }
}
