using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Polydev.Testing.Nomad;

/// <summary>The HTTP API: Nomad's paths, ACL checks, blocking queries and error bodies (plain text, as Nomad's agent writes them).</summary>
internal sealed partial class NomadApi(Cluster cluster, ClientNodes client)
{
    private static readonly TimeSpan DefaultWait = TimeSpan.FromMinutes(5);
    private static readonly TimeSpan MaxWait = TimeSpan.FromMinutes(10);

    public static string? Token(HttpRequest request)
    {
        if (request.Headers["X-Nomad-Token"].ToString() is { Length: > 0 } token)
        {
            return token.Trim();
        }

        var authorization = request.Headers.Authorization.ToString();
        var parts = authorization.Split(' ', 2);
        return parts.Length == 2 && parts[0].Equals("bearer", StringComparison.OrdinalIgnoreCase) ? parts[1].Trim().Split(' ')[0] : null;
    }

    /// <summary>Null when allowed; else Nomad's refusal text (<c>Permission denied</c>, <c>ACL token not found</c>).</summary>
    public string? Refusal(HttpRequest request, NomadCapability need)
    {
        var management = cluster.Options.ManagementToken;
        if (management is null)
        {
            return null;
        }

        var token = Token(request);
        if (string.IsNullOrEmpty(token))
        {
            return need == NomadCapability.None ? null : "Permission denied";
        }

        if (token == management)
        {
            return null;
        }

        var limited = cluster.Options.Tokens.FirstOrDefault(t => t.SecretId == token);
        if (limited is null)
        {
            return "ACL token not found";
        }

        return need == NomadCapability.All ? "Permission denied" : (limited.Capabilities & need) == need ? null : "Permission denied";
    }

    private static async Task Error(HttpContext context, int status, string message)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "text/plain";
        await context.Response.WriteAsync(message);
    }

    private static void Meta(HttpResponse response, ulong index)
    {
        response.Headers["X-Nomad-Index"] = Math.Max(1, index).ToString(System.Globalization.CultureInfo.InvariantCulture);
        response.Headers["X-Nomad-KnownLeader"] = "true";
        response.Headers["X-Nomad-LastContact"] = "0";
    }

    private static async Task Json(HttpContext context, JsonNode? body, ulong index, int status = 200)
    {
        Meta(context.Response, index);
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(body?.ToJsonString() ?? "null");
    }

    private static string Namespace(HttpRequest request) =>
        request.Query["namespace"].ToString() is { Length: > 0 } ns ? ns : "default";

    private static bool NamespaceMatches(HttpRequest request, string ns) =>
        Namespace(request) is var want && (want == "*" || want == ns);

    /// <summary>
    /// A blocking query: with <c>index</c>, waits (up to <c>wait</c>, default 5 min, at most 10) until the
    /// resource's index passes it. <paramref name="read"/> runs under the gate and gives the body (null: 404 with
    /// <paramref name="notFound"/>) and the index of what it read.
    /// </summary>
    private async Task Blocking(HttpContext context, NomadCapability need, Func<(JsonNode? Body, ulong Index)> read, string notFound = "")
    {
        if (Refusal(context.Request, need) is { } refusal)
        {
            await Error(context, 403, refusal);
            return;
        }

        var query = context.Request.Query;
        _ = ulong.TryParse(query["index"].ToString(), out var minIndex);
        var wait = NomadTime.ParseDuration(query["wait"].ToString()) ?? DefaultWait;
        if (wait > MaxWait)
        {
            wait = MaxWait;
        }

        // Nomad adds up to wait/16 of jitter.
        wait += TimeSpan.FromMilliseconds(Random.Shared.NextDouble() * wait.TotalMilliseconds / 16);
        var deadline = DateTimeOffset.UtcNow + wait;
        while (true)
        {
            JsonNode? body;
            ulong index;
            Task changed;
            lock (cluster.Gate)
            {
                (body, index) = read();
                changed = cluster.Changed;
            }

            var remaining = deadline - DateTimeOffset.UtcNow;
            if (minIndex == 0 || index > minIndex || remaining <= TimeSpan.Zero)
            {
                if (body is null)
                {
                    Meta(context.Response, index);
                    await Error(context, 404, notFound);
                }
                else
                {
                    await Json(context, body, index);
                }

                return;
            }

            try
            {
                await changed.WaitAsync(remaining, context.RequestAborted);
            }
            catch (TimeoutException)
            {
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private static async Task<JsonObject?> Body(HttpContext context)
    {
        try
        {
            return await JsonNode.ParseAsync(context.Request.Body) as JsonObject;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    public void Map(WebApplication app)
    {
        app.MapGet("/v1/agent/self", AgentSelf);
        app.MapGet("/v1/status/leader", async context => await Json(context, JsonValue.Create("127.0.0.1:4647"), 0));
        app.MapGet("/v1/status/peers", async context => await Json(context, new JsonArray("127.0.0.1:4647"), 0));
        app.MapGet("/v1/regions", async context => await Json(context, new JsonArray(cluster.Options.Region), 0));
        app.MapGet("/v1/namespaces", ListNamespaces);

        app.MapGet("/v1/jobs", ListJobs);
        app.MapMethods("/v1/jobs", ["PUT", "POST"], context => RegisterJob(context, null));
        app.MapGet("/v1/job/{id}", GetJob);
        app.MapMethods("/v1/job/{id}", ["PUT", "POST"], context => RegisterJob(context, (string)context.Request.RouteValues["id"]!));
        app.MapDelete("/v1/job/{id}", DeregisterJob);
        app.MapGet("/v1/job/{id}/allocations", JobAllocations);
        app.MapGet("/v1/job/{id}/evaluations", JobEvaluations);
        app.MapGet("/v1/job/{id}/summary", JobSummary);

        app.MapGet("/v1/allocations", ListAllocations);
        app.MapGet("/v1/allocation/{id}", GetAllocation);
        app.MapMethods("/v1/allocation/{id}/stop", ["PUT", "POST"], StopAllocation);
        app.MapGet("/v1/evaluations", ListEvaluations);
        app.MapGet("/v1/evaluation/{id}", GetEvaluation);
        app.MapGet("/v1/evaluation/{id}/allocations", EvaluationAllocations);

        app.MapGet("/v1/nodes", ListNodes);
        app.MapGet("/v1/node/{id}", GetNode);
        app.MapGet("/v1/node/{id}/allocations", NodeAllocations);
        app.MapMethods("/v1/node/{id}/drain", ["PUT", "POST"], DrainNode);
        app.MapMethods("/v1/client/metadata", ["PUT", "POST"], SetNodeMeta);
        app.MapMethods("/v1/node/{id}/eligibility", ["PUT", "POST"], NodeEligibility);

        app.MapGet("/v1/services", ListServices);
        app.MapGet("/v1/service/{name}", GetService);

        app.MapGet("/v1/event/stream", EventStream);
        app.MapMethods("/v1/system/gc", ["PUT"], SystemGc);
        app.MapGet("/v1/client/allocation/{id}/exec", Exec);
        app.MapMethods("/v1/client/allocation/{id}/gc", ["GET", "PUT", "POST"], ClientGc);
        app.MapFallback(async context => await Error(context, 404, "Invalid URL"));
    }

    private async Task AgentSelf(HttpContext context)
    {
        if (Refusal(context.Request, NomadCapability.AgentRead) is { } refusal)
        {
            await Error(context, 403, refusal);
            return;
        }

        var region = cluster.Options.Region;
        var body = new JsonObject
        {
            ["config"] = new JsonObject
            {
                ["Region"] = region,
                ["Datacenter"] = "dc1",
                ["NodeName"] = "standin-server",
                ["Version"] = new JsonObject { ["Version"] = NomadStandIn.Version, ["Revision"] = "standin", ["VersionPrerelease"] = "" },
                ["ACL"] = new JsonObject { ["Enabled"] = cluster.Options.ManagementToken is not null },
                ["TLSConfig"] = new JsonObject { ["EnableHTTP"] = cluster.Options.ServerCertificate is not null, ["VerifyHTTPSClient"] = cluster.Options.ClientCertificateAuthority is not null },
                ["Server"] = new JsonObject { ["Enabled"] = true },
                ["Client"] = new JsonObject { ["Enabled"] = false },
            },
            ["member"] = new JsonObject
            {
                ["Name"] = "standin-server." + region,
                ["Addr"] = "127.0.0.1",
                ["Port"] = 4648,
                ["Status"] = "alive",
                ["Tags"] = new JsonObject { ["region"] = region, ["dc"] = "dc1", ["build"] = NomadStandIn.Version, ["role"] = "nomad" },
            },
            ["stats"] = new JsonObject { ["nomad"] = new JsonObject { ["leader"] = "true", ["known_regions"] = "1" } },
        };
        await Json(context, body, 0);
    }

    private Task ListNamespaces(HttpContext context) => Blocking(context, NomadCapability.ReadJob, () =>
        (new JsonArray([.. cluster.Namespaces.Select(n => (JsonNode)new JsonObject { ["Name"] = n, ["Description"] = "", ["CreateIndex"] = 1, ["ModifyIndex"] = 1 })]), 1));

    private Task ListJobs(HttpContext context)
    {
        var prefix = context.Request.Query["prefix"].ToString();
        var meta = context.Request.Query["meta"].ToString() == "true";
        return Blocking(context, NomadCapability.ListJobs, () =>
        {
            var jobs = cluster.JobTable.Values
                .Where(j => NamespaceMatches(context.Request, j.Namespace) && j.ID.StartsWith(prefix, StringComparison.Ordinal))
                .OrderBy(j => j.ID, StringComparer.Ordinal)
                .Select(j => (JsonNode)cluster.JobStub(j, meta));
            return (new JsonArray([.. jobs]), cluster.TableIndex(Cluster.Jobs, Cluster.Summaries));
        });
    }

    private Job? FindJob(HttpContext context) =>
        cluster.JobTable.GetValueOrDefault((Namespace(context.Request), (string)context.Request.RouteValues["id"]!));

    private Task GetJob(HttpContext context) => Blocking(context, NomadCapability.ReadJob, () =>
        FindJob(context) is { } job ? (job.Full(), job.ModifyIndex) : (null, cluster.TableIndex(Cluster.Jobs)), "job not found");

    private Task JobSummary(HttpContext context) => Blocking(context, NomadCapability.ReadJob, () =>
        FindJob(context) is { } job ? (cluster.Summary(job), Math.Max(job.SummaryModifyIndex, job.ModifyIndex)) : (null, cluster.TableIndex(Cluster.Summaries)), "job not found");

    private Task JobAllocations(HttpContext context)
    {
        return Blocking(context, NomadCapability.ReadJob, () =>
        {
            var id = (string)context.Request.RouteValues["id"]!;
            var ns = Namespace(context.Request);
            var allocs = cluster.AllocTable.Values.Where(a => a.Job.ID == id && a.Namespace == ns)
                .OrderBy(a => a.CreateIndex).Select(a => (JsonNode)a.Stub());
            return (new JsonArray([.. allocs]), cluster.TableIndex(Cluster.Allocs));
        });
    }

    private Task JobEvaluations(HttpContext context) => Blocking(context, NomadCapability.ReadJob, () =>
    {
        var id = (string)context.Request.RouteValues["id"]!;
        var ns = Namespace(context.Request);
        var evals = cluster.EvalTable.Values.Where(e => e.JobID == id && e.Namespace == ns).OrderBy(e => e.CreateIndex).Select(e => (JsonNode)e.Json());
        return (new JsonArray([.. evals]), cluster.TableIndex(Cluster.Evals));
    });

    private async Task RegisterJob(HttpContext context, string? pathId)
    {
        if (Refusal(context.Request, NomadCapability.SubmitJob) is { } refusal)
        {
            await Error(context, 403, refusal);
            return;
        }

        var body = await Body(context);
        if (body is null)
        {
            await Error(context, 400, "Request body is empty");
            return;
        }

        if (body["Job"] is not JsonObject spec)
        {
            await Error(context, 400, "Job must be specified");
            return;
        }

        if (spec["ID"] is null)
        {
            await Error(context, 400, "Job ID hasn't been provided");
            return;
        }

        if (pathId is not null && (string?)spec["ID"] != pathId)
        {
            await Error(context, 400, "Job ID does not match name");
            return;
        }

        spec = (JsonObject)spec.DeepClone();
        Canonicalize(spec, context.Request);
        var errors = Validate(spec);
        if (errors.Count > 0)
        {
            var text = new StringBuilder($"{errors.Count} error{(errors.Count == 1 ? "" : "s")} occurred:\n");
            foreach (var e in errors)
            {
                text.Append("\t* ").Append(e).Append('\n');
            }

            await Error(context, 500, text.Append('\n').ToString());
            return;
        }

        var ns = (string)spec["Namespace"]!;
        if (!cluster.Namespaces.Contains(ns))
        {
            await Error(context, 500, $"job \"{(string)spec["ID"]!}\" is in nonexistent namespace \"{ns}\"");
            return;
        }

        var (job, eval, index) = cluster.Register(spec);
        await Json(context, new JsonObject
        {
            ["EvalID"] = eval?.ID ?? "",
            ["EvalCreateIndex"] = eval is null ? 0 : index,
            ["JobModifyIndex"] = job.JobModifyIndex,
            ["Warnings"] = "",
            ["Index"] = index,
            ["LastContact"] = 0,
            ["KnownLeader"] = false,
            ["NextToken"] = "",
        }, index);
    }

    /// <summary>The defaults Nomad's API package and server fill in (Canonicalize).</summary>
    private void Canonicalize(JsonObject spec, HttpRequest request)
    {
        spec["Name"] ??= (string?)spec["ID"];
        spec["Type"] ??= "service";
        spec["Region"] ??= request.Query["region"].ToString() is { Length: > 0 } r ? r : cluster.Options.Region;
        spec["Namespace"] ??= request.Query["namespace"].ToString() is { Length: > 0 } n ? n : "default";
        spec["Priority"] ??= 50;
        spec["NodePool"] ??= "default";
        if (spec["Datacenters"] is not JsonArray { Count: > 0 })
        {
            spec["Datacenters"] = new JsonArray("*");
        }

        spec["Meta"] ??= new JsonObject();
        foreach (var group in (spec["TaskGroups"] as JsonArray ?? []).OfType<JsonObject>())
        {
            group["Count"] ??= 1;
            group["EphemeralDisk"] ??= new JsonObject { ["SizeMB"] = 300, ["Sticky"] = false, ["Migrate"] = false };
            foreach (var task in (group["Tasks"] as JsonArray ?? []).OfType<JsonObject>())
            {
                task["Resources"] ??= new JsonObject();
                var resources = (JsonObject)task["Resources"]!;
                resources["CPU"] ??= 100;
                resources["MemoryMB"] ??= 300;
                resources["MemoryMaxMB"] ??= 0;
                task["KillTimeout"] ??= 5_000_000_000L;
            }
        }
    }

    private static List<string> Validate(JsonObject spec)
    {
        var errors = new List<string>();
        var id = (string?)spec["ID"] ?? "";
        if (id == "")
        {
            errors.Add("Missing job ID");
        }
        else if (id.Contains(' ', StringComparison.Ordinal))
        {
            errors.Add("Job ID contains a space");
        }
        else if (id.Contains('\0', StringComparison.Ordinal))
        {
            errors.Add("Job ID contains a null character");
        }

        if ((string?)spec["Type"] is not ("service" or "batch" or "system" or "sysbatch"))
        {
            errors.Add($"Invalid job type: \"{(string?)spec["Type"]}\"");
        }

        var priority = (int?)spec["Priority"] ?? 50;
        if (priority < 1 || priority > 100)
        {
            errors.Add("Job priority must be between [1, 100]");
        }

        var groups = (spec["TaskGroups"] as JsonArray ?? []).OfType<JsonObject>().ToList();
        if (groups.Count == 0)
        {
            errors.Add("Missing job task groups");
        }

        foreach (var group in groups)
        {
            var name = (string?)group["Name"] ?? "";
            var groupErrors = new List<string>();
            if (name == "")
            {
                groupErrors.Add("Missing task group name");
            }

            if ((int?)group["Count"] < 0)
            {
                groupErrors.Add("Task group count can't be negative");
            }

            var tasks = (group["Tasks"] as JsonArray ?? []).OfType<JsonObject>().ToList();
            if (tasks.Count == 0)
            {
                groupErrors.Add("Missing tasks for task group");
            }

            foreach (var task in tasks)
            {
                var taskName = (string?)task["Name"] ?? "";
                if (taskName == "")
                {
                    groupErrors.Add("Missing task name");
                }

                if (string.IsNullOrEmpty((string?)task["Driver"]))
                {
                    groupErrors.Add($"Task {taskName} validation failed: Missing task driver");
                }

                var resources = task["Resources"] as JsonObject;
                if ((int?)resources?["MemoryMB"] < 10)
                {
                    groupErrors.Add($"Task {taskName} validation failed: Minimum MemoryMB value is 10; got {(int?)resources?["MemoryMB"]}");
                }

                if ((int?)resources?["CPU"] < 1 && (int?)resources?["Cores"] is null or 0)
                {
                    groupErrors.Add($"Task {taskName} validation failed: Minimum CPU value is 1; got {(int?)resources?["CPU"]}");
                }

                if ((string?)task["Driver"] == "docker" && string.IsNullOrEmpty((string?)task["Config"]?["image"]))
                {
                    groupErrors.Add($"Task {taskName} validation failed: Missing required argument \"image\"");
                }
            }

            errors.AddRange(groupErrors.Select(e => $"Task group {name} validation failed: {e}"));
        }

        return errors;
    }

    private async Task DeregisterJob(HttpContext context)
    {
        if (Refusal(context.Request, NomadCapability.SubmitJob) is { } refusal)
        {
            await Error(context, 403, refusal);
            return;
        }

        var id = (string)context.Request.RouteValues["id"]!;
        var purge = context.Request.Query["purge"].ToString() == "true";
        var result = cluster.Deregister(Namespace(context.Request), id, purge);
        if (result is not { } r)
        {
            await Error(context, 404, "job not found");
            return;
        }

        await Json(context, new JsonObject
        {
            ["EvalID"] = r.Eval.ID,
            ["EvalCreateIndex"] = r.Index,
            ["JobModifyIndex"] = r.JobModifyIndex,
            ["VolumeEvalID"] = "",
            ["VolumeEvalIndex"] = 0,
            ["Index"] = r.Index,
            ["LastContact"] = 0,
            ["KnownLeader"] = false,
            ["NextToken"] = "",
        }, r.Index);
    }

    private Task ListAllocations(HttpContext context)
    {
        var prefix = context.Request.Query["prefix"].ToString();
        return Blocking(context, NomadCapability.ReadJob, () =>
        {
            var allocs = cluster.AllocTable.Values.Where(a => NamespaceMatches(context.Request, a.Namespace) && a.ID.StartsWith(prefix, StringComparison.Ordinal))
                .OrderBy(a => a.ID, StringComparer.Ordinal).Select(a => (JsonNode)a.Stub());
            return (new JsonArray([.. allocs]), cluster.TableIndex(Cluster.Allocs));
        });
    }

    private Task GetAllocation(HttpContext context) => Blocking(context, NomadCapability.ReadJob, () =>
        cluster.AllocTable.TryGetValue((string)context.Request.RouteValues["id"]!, out var a) ? (a.Full(), a.ModifyIndex) : (null, cluster.TableIndex(Cluster.Allocs)),
        "alloc not found");

    private async Task StopAllocation(HttpContext context)
    {
        if (Refusal(context.Request, NomadCapability.AllocLifecycle) is { } refusal)
        {
            await Error(context, 403, refusal);
            return;
        }

        if (cluster.StopAllocation((string)context.Request.RouteValues["id"]!) is not { } r)
        {
            await Error(context, 404, "alloc not found");
            return;
        }

        await Json(context, new JsonObject { ["EvalID"] = r.Eval.ID, ["Index"] = r.Index }, r.Index);
    }

    private Task ListEvaluations(HttpContext context)
    {
        var prefix = context.Request.Query["prefix"].ToString();
        return Blocking(context, NomadCapability.ReadJob, () =>
        {
            var evals = cluster.EvalTable.Values.Where(e => NamespaceMatches(context.Request, e.Namespace) && e.ID.StartsWith(prefix, StringComparison.Ordinal))
                .OrderBy(e => e.CreateIndex).Select(e => (JsonNode)e.Json());
            return (new JsonArray([.. evals]), cluster.TableIndex(Cluster.Evals));
        });
    }

    private Task GetEvaluation(HttpContext context) => Blocking(context, NomadCapability.ReadJob, () =>
        cluster.EvalTable.TryGetValue((string)context.Request.RouteValues["id"]!, out var e) ? (e.Json(), e.ModifyIndex) : (null, cluster.TableIndex(Cluster.Evals)),
        "eval not found");

    private Task EvaluationAllocations(HttpContext context) => Blocking(context, NomadCapability.ReadJob, () =>
    {
        var id = (string)context.Request.RouteValues["id"]!;
        return (new JsonArray([.. cluster.AllocTable.Values.Where(a => a.EvalID == id).Select(a => (JsonNode)a.Stub())]), cluster.TableIndex(Cluster.Allocs));
    });

    private Task ListNodes(HttpContext context)
    {
        var resources = context.Request.Query["resources"].ToString() == "true";
        var prefix = context.Request.Query["prefix"].ToString();
        return Blocking(context, NomadCapability.NodeRead, () =>
            (new JsonArray([.. cluster.NodeList.Where(n => n.ID.StartsWith(prefix, StringComparison.Ordinal)).Select(n => (JsonNode)n.Stub(resources))]),
                cluster.TableIndex(Cluster.Nodes)));
    }

    private Task GetNode(HttpContext context) => Blocking(context, NomadCapability.NodeRead, () =>
        cluster.FindNode((string)context.Request.RouteValues["id"]!) is { } n && n.ID == (string)context.Request.RouteValues["id"]!
            ? (n.Full(cluster.Address), n.ModifyIndex)
            : (null, cluster.TableIndex(Cluster.Nodes)), "node not found");

    private Task NodeAllocations(HttpContext context) => Blocking(context, NomadCapability.NodeRead | NomadCapability.ReadJob, () =>
    {
        var id = (string)context.Request.RouteValues["id"]!;
        return (new JsonArray([.. cluster.AllocTable.Values.Where(a => a.Node.ID == id).OrderBy(a => a.CreateIndex).Select(a => (JsonNode)a.Full())]), cluster.TableIndex(Cluster.Allocs));
    });

    /// <summary><c>POST /v1/client/metadata</c>: <c>{"NodeID"?, "Meta": {key: value or null}}</c>, answered with the node's meta.</summary>
    private async Task SetNodeMeta(HttpContext context)
    {
        if (Refusal(context.Request, NomadCapability.NodeWrite) is { } refusal)
        {
            await Error(context, 403, refusal);
            return;
        }

        var body = await Body(context);
        if (body?["Meta"] is not JsonObject meta)
        {
            await Error(context, 400, "Meta is required");
            return;
        }

        var nodeId = (string?)body["NodeID"];
        if (cluster.SetMeta(nodeId, meta) is not { } result)
        {
            await Error(context, 404, "node not found");
            return;
        }

        var node = nodeId is null ? cluster.NodeList[0] : cluster.FindNode(nodeId)!;
        var answer = new JsonObject();
        lock (cluster.Gate)
        {
            foreach (var (key, value) in node.Meta)
            {
                answer[key] = value;
            }
        }

        await Json(context, new JsonObject { ["Meta"] = answer, ["Dynamic"] = meta.DeepClone(), ["Static"] = new JsonObject() }, result.Index);
    }

    private async Task DrainNode(HttpContext context)
    {
        if (Refusal(context.Request, NomadCapability.NodeWrite) is { } refusal)
        {
            await Error(context, 403, refusal);
            return;
        }

        var body = await Body(context);
        if (body is null)
        {
            await Error(context, 400, "Request body is empty");
            return;
        }

        var id = (string)context.Request.RouteValues["id"]!;
        var result = cluster.Drain(id, body["DrainSpec"] as JsonObject, (bool?)body["MarkEligible"] ?? false);
        if (result is not { } r)
        {
            await Error(context, 404, $"node not found");
            return;
        }

        await Json(context, new JsonObject
        {
            ["NodeModifyIndex"] = r.Index,
            ["EvalIDs"] = new JsonArray([.. r.EvalIds.Select(e => (JsonNode)e)]),
            ["EvalCreateIndex"] = r.EvalIds.Count > 0 ? r.Index : 0,
            ["Index"] = r.Index,
            ["LastContact"] = 0,
            ["KnownLeader"] = false,
            ["NextToken"] = "",
        }, r.Index);
    }

    private async Task NodeEligibility(HttpContext context)
    {
        if (Refusal(context.Request, NomadCapability.NodeWrite) is { } refusal)
        {
            await Error(context, 403, refusal);
            return;
        }

        var body = await Body(context);
        var eligibility = (string?)body?["Eligibility"];
        if (eligibility is not ("eligible" or "ineligible"))
        {
            await Error(context, 400, $"invalid scheduling eligibility \"{eligibility}\"");
            return;
        }

        try
        {
            if (cluster.SetEligibility((string)context.Request.RouteValues["id"]!, eligibility == "eligible") is not { } r)
            {
                await Error(context, 404, "node not found");
                return;
            }

            await Json(context, new JsonObject
            {
                ["NodeModifyIndex"] = r.Index,
                ["EvalIDs"] = new JsonArray([.. r.EvalIds.Select(e => (JsonNode)e)]),
                ["EvalCreateIndex"] = r.Index,
                ["Index"] = r.Index,
            }, r.Index);
        }
        catch (InvalidOperationException e)
        {
            await Error(context, 500, e.Message);
        }
    }

    private Task ListServices(HttpContext context) => Blocking(context, NomadCapability.ReadJob, () =>
    {
        var byNamespace = cluster.ServiceTable.Values.Where(s => NamespaceMatches(context.Request, s.Namespace)).GroupBy(s => s.Namespace).OrderBy(g => g.Key);
        var list = new JsonArray();
        foreach (var ns in byNamespace)
        {
            list.Add(new JsonObject
            {
                ["Namespace"] = ns.Key,
                ["Services"] = new JsonArray([.. ns.GroupBy(s => s.ServiceName).OrderBy(g => g.Key).Select(g => (JsonNode)new JsonObject
                {
                    ["ServiceName"] = g.Key,
                    ["Tags"] = new JsonArray([.. g.SelectMany(s => s.Tags).Distinct().Order().Select(t => (JsonNode)t)]),
                })]),
            });
        }

        return (list, cluster.TableIndex(Cluster.Services));
    });

    private Task GetService(HttpContext context) => Blocking(context, NomadCapability.ReadJob, () =>
    {
        var name = (string)context.Request.RouteValues["name"]!;
        var services = cluster.ServiceTable.Values.Where(s => s.ServiceName == name && NamespaceMatches(context.Request, s.Namespace))
            .OrderBy(s => s.CreateIndex).Select(s => (JsonNode)s.Json());
        return (new JsonArray([.. services]), cluster.TableIndex(Cluster.Services));
    });

    private async Task SystemGc(HttpContext context)
    {
        if (Refusal(context.Request, NomadCapability.All) is { } refusal)
        {
            await Error(context, 403, refusal);
            return;
        }

        cluster.CollectGarbage();
        context.Response.StatusCode = 200;
    }

    private async Task ClientGc(HttpContext context)
    {
        if (Refusal(context.Request, NomadCapability.NodeWrite) is { } refusal && Refusal(context.Request, NomadCapability.SubmitJob) is not null)
        {
            await Error(context, 403, refusal);
            return;
        }

        Allocation? alloc;
        lock (cluster.Gate)
        {
            alloc = cluster.AllocTable.GetValueOrDefault((string)context.Request.RouteValues["id"]!);
        }

        if (alloc is null)
        {
            await Error(context, 404, $"Unknown allocation \"{(string)context.Request.RouteValues["id"]!}\"");
            return;
        }

        if (!alloc.ClientTerminal)
        {
            await Error(context, 500, "No such allocation on client, or allocation not eligible for GC");
            return;
        }

        await client.CollectAsync(alloc);
        context.Response.StatusCode = 200;
    }
}
