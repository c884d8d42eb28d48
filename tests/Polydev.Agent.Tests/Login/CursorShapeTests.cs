using Polydev.Agent.Login.Cursors;

namespace Polydev.Agent.Tests.Login;

/// <summary>Cursor images told by their pixels, and the table of CSS cursors they are filed under.</summary>
public sealed class CursorShapeTests
{
    private static uint[] Image(uint seed, int count = 24 * 24) => Enumerable.Range(0, count).Select(i => 0xff000000u | (uint)(i * 2654435761u ^ seed) & 0xffffff).ToArray();

    [Fact]
    public void An_image_is_named_by_size_hot_spot_and_pixels()
    {
        var shapes = new CursorShapes();
        shapes.Add("pointer", 24, 24, 8, 5, Image(1));
        shapes.Add("text", 24, 24, 11, 12, Image(2));

        Assert.Equal("pointer", shapes.NameOf(24, 24, 8, 5, Image(1)));
        Assert.Equal("text", shapes.NameOf(24, 24, 11, 12, Image(2)));
        Assert.Equal(CssCursors.Default, shapes.NameOf(24, 24, 8, 6, Image(1)));
        Assert.Equal(CssCursors.Default, shapes.NameOf(24, 24, 8, 5, Image(3)));
    }

    [Fact]
    public void Where_two_names_share_an_image_the_first_filed_wins()
    {
        var shapes = new CursorShapes();
        shapes.Add("move", 24, 24, 11, 11, Image(7));
        shapes.Add("all-scroll", 24, 24, 11, 11, Image(7));

        Assert.Equal("move", shapes.NameOf(24, 24, 11, 11, Image(7)));
        Assert.Equal(1, shapes.Count);
    }

    [Fact]
    public void An_image_without_a_visible_pixel_is_none()
    {
        Assert.Equal(CssCursors.None, new CursorShapes().NameOf(1, 1, 0, 0, [0u]));
        Assert.Equal(CssCursors.None, new CursorShapes().NameOf(2, 1, 0, 0, [0x00ffffffu, 0u]));
    }

    [Fact]
    public void The_table_puts_default_first_and_names_every_css_cursor_once()
    {
        Assert.Equal(CssCursors.Default, CssCursors.All[0].Css);
        Assert.Equal(CssCursors.All.Count, CssCursors.All.Select(c => c.Css).Distinct().Count());
        Assert.All(CssCursors.All, c => Assert.Matches("^[a-z-]+$", c.Css));
    }
}
