using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;

namespace Polydev.Testing.Monitoring;

/// <summary>
/// The panels of a dashboard drawn from the range queries <see cref="DashboardDataCheck"/> ran: one chart per panel, a
/// line per series, as one HTML page of inline SVG. Grafana cannot be installed here, so this is what the docs show of
/// a dashboard over real work (docs/operations.md): the same queries, the same data, drawn plainly.
/// </summary>
public sealed class DashboardPlot(string title)
{
    private const int Width = 420;
    private const int Height = 170;
    private const int MaxSeries = 6;

    private static readonly string[] Colours = ["#73bf69", "#f2cc0c", "#5794f2", "#ff780a", "#b877d9", "#f2495c"];

    private readonly List<(string Panel, List<Series> Series)> _panels = [];

    /// <summary>How many panels have been drawn.</summary>
    public int PanelCount => _panels.Count;

    /// <summary>Adds a query's result matrix to its panel's chart (a panel with several queries gets all their series).</summary>
    public void Add(string panel, string refId, JsonElement matrix)
    {
        var entry = _panels.FindIndex(p => p.Panel == panel);
        if (entry < 0)
        {
            _panels.Add((panel, []));
            entry = _panels.Count - 1;
        }

        foreach (var series in matrix.EnumerateArray())
        {
            var points = series.GetProperty("values").EnumerateArray()
                .Select(p => (Time: p[0].GetDouble(), Value: double.Parse(p[1].GetString()!, CultureInfo.InvariantCulture)))
                .Where(p => double.IsFinite(p.Value))
                .ToList();
            _panels[entry].Series.Add(new Series(refId + " " + Legend(series.GetProperty("metric")), points));
        }
    }

    /// <summary>The page: a title and a grid of charts, dark like Grafana's default theme.</summary>
    public string ToHtml()
    {
        var html = new StringBuilder();
        html.Append("<!doctype html><html><head><meta charset=\"utf-8\"><title>").Append(Escape(title)).Append("</title><style>")
            .Append("body{background:#111217;color:#ccccdc;font:12px system-ui,sans-serif;margin:16px}")
            .Append("h1{font-size:18px;font-weight:500}.grid{display:grid;grid-template-columns:repeat(3,").Append(Width).Append("px);gap:10px}")
            .Append(".panel{background:#181b1f;border:1px solid #2c3235;border-radius:3px;padding:6px}.panel h2{font-size:12px;margin:0 0 4px;font-weight:500}")
            .Append(".legend{font-size:10px;overflow:hidden;white-space:nowrap;text-overflow:ellipsis}</style></head><body>")
            .Append("<h1>").Append(Escape(title)).Append("</h1><div class=\"grid\">");
        foreach (var (panel, series) in _panels)
        {
            html.Append("<div class=\"panel\"><h2>").Append(Escape(panel)).Append("</h2>");
            AppendChart(html, series);
            foreach (var (s, i) in series.Take(MaxSeries).Select((s, i) => (s, i)))
            {
                var last = s.Points.Count == 0 ? "–" : Format(s.Points[^1].Value);
                html.Append("<div class=\"legend\"><span style=\"color:").Append(Colours[i % Colours.Length]).Append("\">&#9644;</span> ")
                    .Append(Escape(s.Name)).Append(" · last ").Append(last).Append("</div>");
            }

            if (series.Count > MaxSeries)
            {
                html.Append("<div class=\"legend\">and ").Append(series.Count - MaxSeries).Append(" more series</div>");
            }

            html.Append("</div>");
        }

        return html.Append("</div></body></html>").ToString();
    }

    private static void AppendChart(StringBuilder html, List<Series> series)
    {
        var drawn = series.Take(MaxSeries).Where(s => s.Points.Count > 0).ToList();
        html.Append("<svg width=\"").Append(Width - 14).Append("\" height=\"").Append(Height).Append("\">");
        if (drawn.Count == 0)
        {
            html.Append("<text x=\"50%\" y=\"50%\" fill=\"#8e8e8e\" text-anchor=\"middle\">No data</text></svg>");
            return;
        }

        var points = drawn.SelectMany(s => s.Points).ToList();
        var (t0, t1) = (points.Min(p => p.Time), points.Max(p => p.Time));
        var (v0, v1) = (Math.Min(0, points.Min(p => p.Value)), points.Max(p => p.Value));
        if (v1 <= v0)
        {
            v1 = v0 + 1;
        }

        const double left = 46, top = 6, bottom = 18;
        var (w, h) = (Width - 14 - left - 4, Height - top - bottom);
        double X(double t) => left + (t1 > t0 ? (t - t0) / (t1 - t0) * w : w / 2);
        double Y(double v) => top + h - (v - v0) / (v1 - v0) * h;
        foreach (var v in new[] { v0, (v0 + v1) / 2, v1 })
        {
            html.AppendFormat(CultureInfo.InvariantCulture, "<line x1=\"{0}\" x2=\"{1}\" y1=\"{2:0.#}\" y2=\"{2:0.#}\" stroke=\"#2c3235\"/>", left, left + w, Y(v))
                .AppendFormat(CultureInfo.InvariantCulture, "<text x=\"{0}\" y=\"{1:0.#}\" fill=\"#8e8e8e\" font-size=\"10\" text-anchor=\"end\">{2}</text>", left - 4, Y(v) + 3, Format(v));
        }

        html.AppendFormat(CultureInfo.InvariantCulture, "<text x=\"{0}\" y=\"{1}\" fill=\"#8e8e8e\" font-size=\"10\">{2:HH:mm:ss}</text>", left, Height - 4, DateTimeOffset.FromUnixTimeSeconds((long)t0))
            .AppendFormat(CultureInfo.InvariantCulture, "<text x=\"{0}\" y=\"{1}\" fill=\"#8e8e8e\" font-size=\"10\" text-anchor=\"end\">{2:HH:mm:ss} UTC</text>", left + w, Height - 4, DateTimeOffset.FromUnixTimeSeconds((long)t1));
        foreach (var (s, i) in drawn.Select((s, i) => (s, i)))
        {
            var path = string.Join(' ', s.Points.Select(p => string.Create(CultureInfo.InvariantCulture, $"{X(p.Time):0.#},{Y(p.Value):0.#}")));
            html.Append("<polyline fill=\"none\" stroke-width=\"1.5\" stroke=\"").Append(Colours[i % Colours.Length]).Append("\" points=\"").Append(path).Append("\"/>");
        }

        html.Append("</svg>");
    }

    private static string Legend(JsonElement metric)
    {
        var labels = metric.EnumerateObject().Where(l => l.Name != "__name__").Select(l => $"{l.Name}=\"{l.Value.GetString()}\"").ToList();
        return labels.Count == 0 ? "" : "{" + string.Join(", ", labels) + "}";
    }

    private static string Format(double value) => Math.Abs(value) switch
    {
        >= 1e9 => (value / 1e9).ToString("0.##", CultureInfo.InvariantCulture) + "G",
        >= 1e6 => (value / 1e6).ToString("0.##", CultureInfo.InvariantCulture) + "M",
        >= 1e3 => (value / 1e3).ToString("0.##", CultureInfo.InvariantCulture) + "k",
        _ => value.ToString("0.###", CultureInfo.InvariantCulture),
    };

    private static string Escape(string text) => WebUtility.HtmlEncode(text);

    private sealed record Series(string Name, List<(double Time, double Value)> Points);
}
