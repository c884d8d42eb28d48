using System.Text.Json;

namespace Polydev.Testing.Monitoring;

/// <summary>A provisioned Grafana dashboard as Grafana reads it: its template variables and every panel's queries.</summary>
public sealed class GrafanaDashboard
{
    private GrafanaDashboard(string uid, string title, IReadOnlyList<GrafanaVariable> variables, IReadOnlyList<GrafanaPanel> panels)
    {
        Uid = uid;
        Title = title;
        Variables = variables;
        Panels = panels;
    }

    public string Uid { get; }

    public string Title { get; }

    /// <summary>In their order on the dashboard: a later one may use an earlier one in its query.</summary>
    public IReadOnlyList<GrafanaVariable> Variables { get; }

    /// <summary>Every panel but rows, including those nested in a collapsed row.</summary>
    public IReadOnlyList<GrafanaPanel> Panels { get; }

    public static GrafanaDashboard Load(string path)
    {
        using var document = JsonDocument.Parse(File.ReadAllText(path));
        var root = document.RootElement;
        var variables = root.GetProperty("templating").GetProperty("list").EnumerateArray().Select(GrafanaVariable.Read).ToList();
        var panels = new List<GrafanaPanel>();
        foreach (var panel in root.GetProperty("panels").EnumerateArray())
        {
            if (panel.GetProperty("type").GetString() == "row")
            {
                panels.AddRange(panel.TryGetProperty("panels", out var nested) ? nested.EnumerateArray().Select(GrafanaPanel.Read) : []);
            }
            else
            {
                panels.Add(GrafanaPanel.Read(panel));
            }
        }

        return new GrafanaDashboard(root.GetProperty("uid").GetString()!, root.GetProperty("title").GetString()!, variables, panels);
    }
}

/// <param name="DataSourceUid">The panel's data source; each target's own when it names one.</param>
public sealed record GrafanaPanel(string Title, string Type, string? DataSourceUid, IReadOnlyList<GrafanaTarget> Targets)
{
    internal static GrafanaPanel Read(JsonElement panel)
    {
        var panelSource = DataSourceUidOf(panel);
        var targets = panel.TryGetProperty("targets", out var list)
            ? list.EnumerateArray().Select(t => new GrafanaTarget(t.GetProperty("refId").GetString()!, t.GetProperty("expr").GetString()!, DataSourceUidOf(t) ?? panelSource)).ToList()
            : [];
        return new GrafanaPanel(panel.GetProperty("title").GetString()!, panel.GetProperty("type").GetString()!, panelSource, targets);
    }

    private static string? DataSourceUidOf(JsonElement element) =>
        element.TryGetProperty("datasource", out var source) && source.ValueKind == JsonValueKind.Object && source.TryGetProperty("uid", out var uid) ? uid.GetString() : null;
}

public sealed record GrafanaTarget(string RefId, string Expression, string? DataSourceUid);

/// <param name="Query">A Prometheus variable query: <c>label_values(selector, label)</c> or <c>label_values(label)</c>.</param>
/// <param name="AllValue">What "All" stands for in a query, when the variable offers it.</param>
public sealed record GrafanaVariable(string Name, string Query, string? AllValue)
{
    internal static GrafanaVariable Read(JsonElement variable)
    {
        var query = variable.GetProperty("query");
        var text = query.ValueKind == JsonValueKind.Object ? query.GetProperty("query").GetString()! : query.GetString()!;
        var all = variable.TryGetProperty("includeAll", out var includeAll) && includeAll.GetBoolean() && variable.TryGetProperty("allValue", out var allValue)
            ? allValue.GetString()
            : null;
        return new GrafanaVariable(variable.GetProperty("name").GetString()!, text, all);
    }
}
