using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Polydev.Server.Egress;
using Polydev.Server.Egress.Gateway;
using Polydev.Server.Hosting;
using Polydev.Server.Sandboxes;
using Polydev.Server.Sandboxes.Docker;
using Polydev.Server.Sandboxes.Images;
using Polydev.Server.Sandboxes.Nomad;
using Polydev.Testing;

namespace Polydev.Server.Tests.Sandboxes.Nomad;

/// <summary>
/// The Nomad deployment files (deploy/nomad), loaded with HashiCorp's own HCL parser (npm <c>@cdktf/hcl2json</c>,
/// the Go HCL library as WebAssembly, installed by scripts/lib/hcl.sh) and held against the code they configure:
/// sandbox.nomad.hcl field by field against <see cref="NomadJobSpec.Job"/>, the agent and the jobs against the
/// settings and endpoints of the server and the egress gateway. A change on either side fails here.
/// </summary>
public sealed partial class NomadDeploymentFilesTests
{
    /// <summary>The version scripts/lib/hcl.sh installs (<c>HCL2JSON_VERSION</c>; a test keeps the two equal).</summary>
    private const string Hcl2JsonVersion = "0.21.0";

    private const int CpuMhzPerCore = 2000;

    private static readonly Lazy<Task<IReadOnlyDictionary<string, JsonObject>>> Files = new(() => ParseAsync(DeployFiles()));

    // ------------------------------------------------------------------ sandbox.nomad.hcl

    /// <summary>
    /// The inputs sandbox.nomad.hcl is written for: the default runtime kind's image and name, default limits, the
    /// egress network, default engine settings plus the node pool the deployment sets, and the placeholders the
    /// engine fills in per sandbox.
    /// </summary>
    private static (SandboxSpec Spec, NomadEngineOptions Options) SandboxInputs(string nodePool)
    {
        var options = new NomadEngineOptions { NodePool = nodePool };
        var spec = new SandboxSpec(RuntimeImages.Latest("anthropic"), "claude", "IMAGE_VERSION", "OWNER_SERVER_ID")
        {
            Id = "SANDBOX_ID",
            Network = new SandboxNetwork(options.Driver.Network),
        };
        return (spec, options);
    }

    [Fact]
    public async Task The_sandbox_job_is_field_by_field_what_the_engine_submits()
    {
        var nodePool = (string)Single((await Hcl("client.hcl"))["client"])["node_pool"]!;
        var (spec, options) = SandboxInputs(nodePool);
        var expected = NomadJobSpec.Job(spec, options, CpuMhzPerCore);

        var (label, job) = Labeled((await Hcl("sandbox.nomad.hcl"))["job"], "job");
        Match(expected, job, label, JobFields, "job");
    }

    [Fact]
    public async Task The_sandbox_job_sets_every_isolation_rule_the_docs_list()
    {
        // Independent of the comparison above: the rules themselves, as read from the file.
        var (_, job) = Labeled((await Hcl("sandbox.nomad.hcl"))["job"], "job");
        var (_, group) = Labeled(job["group"], "group");
        var (_, task) = Labeled(group["task"], "task");
        var config = Single(task["config"]);
        Assert.Equal("batch", (string?)job["type"]);
        Assert.Equal("docker", (string?)task["driver"]);
        Assert.True((bool)config["readonly_rootfs"]!);
        Assert.False((bool)config["privileged"]!);
        Assert.False((bool)config["force_pull"]!);
        Assert.Equal(["ALL"], config["cap_drop"]!.AsArray().Select(c => (string?)c));
        Assert.Contains("no-new-privileges:true", config["security_opt"]!.AsArray().Select(c => (string?)c));
        Assert.True((bool)config["cpu_hard_limit"]!);
        Assert.Equal("none", (string?)Single(config["logging"])["type"]);
        Assert.True((bool)Single(task["logs"])["disabled"]!);
        var resources = Single(task["resources"]);
        Assert.Equal((long)resources["memory"]!, (long)resources["memory_max"]!);
        Assert.Equal(0, (int)Single(group["restart"])["attempts"]!);
        Assert.Equal(0, (int)Single(group["reschedule"])["attempts"]!);
        var (uid, gid) = (SandboxLimits.Default with { User = (string)task["user"]! }).ParseUser();
        Assert.True(uid > 0 && gid > 0);
    }

    // ------------------------------------------------------------------ client.hcl

    [Fact]
    public async Task The_client_locks_the_docker_driver_down_and_publishes_metrics()
    {
        var client = await Hcl("client.hcl");
        var docker = Single(Labeled(client["plugin"], "plugin", "docker")["config"]);
        Assert.False((bool)docker["allow_privileged"]!);
        Assert.False((bool)Single(docker["volumes"])["enabled"]!);
        var gc = Single(docker["gc"]);
        Assert.True((bool)gc["container"]!);
        Assert.True((bool)Single(gc["dangling_containers"])["enabled"]!);
        // The engine never pulls: an image collected by Nomad would be missing at the next start.
        Assert.False((bool)gc["image"]!);

        // Nomad's own default list (drivers/shared/capabilities, HCLSpecLiteral), reduced; never NET_RAW.
        string[] nomadDefaults = ["AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "MKNOD", "NET_BIND_SERVICE", "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT"];
        var caps = docker["allow_caps"]!.AsArray().Select(c => (string)c!).ToList();
        Assert.DoesNotContain("NET_RAW", caps);
        Assert.All(caps, c => Assert.Contains(c, nomadDefaults));

        Assert.Equal(["job_name", "task_group_name", "task_name", "node_name"], docker["extra_labels"]!.AsArray().Select(l => (string?)l));

        var telemetry = Single(client["telemetry"]);
        Assert.True((bool)telemetry["prometheus_metrics"]!);
        Assert.True((bool)telemetry["publish_allocation_metrics"]!);
        Assert.True((bool)telemetry["publish_node_metrics"]!);
        Assert.Equal("10s", (string?)telemetry["collection_interval"]);
    }

    [Fact]
    public async Task The_client_admits_what_the_engine_asks_of_the_docker_driver()
    {
        var client = await Hcl("client.hcl");
        var docker = Single(Labeled(client["plugin"], "plugin", "docker")["config"]);
        var (spec, options) = SandboxInputs("sandboxes");
        var config = NomadJobSpec.Job(spec, options, CpuMhzPerCore)["TaskGroups"]![0]!["Tasks"]![0]!["Config"]!;

        // A task's pids_limit above the plugin's is refused at start (drivers/docker/driver.go).
        Assert.True((long)docker["pids_limit"]! >= SandboxLimits.Default.PidsLimit);

        // Since hashicorp/nomad#28190 an ipc/pid/uts/userns mode is refused unless the plugin allows it.
        var allowed = docker["allowed_modes"] is { } modes ? Single(modes) : new JsonObject();
        foreach (var (field, mode) in new[] { ("ipc_mode", "ipc"), ("pid_mode", "pid"), ("uts_mode", "uts"), ("userns_mode", "userns") })
        {
            if ((string?)config[field] is { Length: > 0 } value)
            {
                var list = allowed[mode]?.AsArray().Select(m => (string?)m) ?? [];
                Assert.True(list.Contains(value), $"the engine sets {field} = \"{value}\": client.hcl must list it in allowed_modes {{ {mode} }}");
            }
        }

        // The agent channel is an allocation exec; the gateway is a raw_exec task.
        var agent = Single(client["client"]);
        Assert.True((bool)agent["enabled"]!);
        Assert.False(agent["disable_remote_exec"] is { } exec && (bool)exec);
        Assert.True((bool)Single(Labeled(client["plugin"], "plugin", "raw_exec")["config"])["enabled"]!);

        // The ready mark is the gateway's to set, dynamically, once the node can carry sandboxes.
        var meta = agent["meta"] is { } m ? Single(m) : new JsonObject();
        Assert.False(meta.ContainsKey(new NomadEgressSettings().ReadyMeta));
    }

    [Fact]
    public async Task The_node_pool_is_the_same_in_the_agent_the_gateway_and_the_server()
    {
        var pool = (string?)Single((await Hcl("client.hcl"))["client"])["node_pool"];
        Assert.False(string.IsNullOrEmpty(pool));

        var (_, egress) = Labeled((await Hcl("polydev-egress.nomad.hcl"))["job"], "job");
        Assert.Equal(pool, (string?)egress["node_pool"]);

        // The engine's own default is no pool (Nomad's "default", as docs/nomad.md says), not the sandbox nodes'
        // pool: the server job must name it, or no sandbox is ever placed.
        var server = Settings(ServerTask(await Hcl("polydev-server.nomad.hcl")));
        var nomad = Bind<NomadEngineOptions>(server, NomadEngineOptions.Section);
        Assert.Equal(pool, nomad.NodePool);
        var engineDefault = new NomadEngineOptions().NodePool ?? "default";
        Assert.NotEqual(pool, engineDefault);

        // And docs/nomad.md documents the engine's default as it is.
        var docs = System.IO.File.ReadAllText(Path.Combine(Repository, "docs", "nomad.md"));
        var row = NodePoolRow().Match(docs);
        Assert.True(row.Success, "docs/nomad.md has no `NodePool` row in its settings table");
        Assert.Equal(engineDefault, row.Groups[1].Value);
    }

    // ------------------------------------------------------------------ polydev-egress.nomad.hcl

    [Fact]
    public async Task The_gateway_is_a_system_job_with_the_servers_egress_settings()
    {
        var file = await Hcl("polydev-egress.nomad.hcl");
        var (_, job) = Labeled(file["job"], "job");
        Assert.Equal("system", (string?)job["type"]);
        var (_, group) = Labeled(job["group"], "group");
        var (_, task) = Labeled(group["task"], "task");

        // On the host as root (iptables, the Docker network): raw_exec without a user.
        Assert.Equal("raw_exec", (string?)task["driver"]);
        Assert.Null(task["user"]);
        var args = Single(task["config"])["args"]!.AsArray().Select(a => (string)a!).ToList();
        Assert.Equal(["egress", "gateway"], args.Take(2));
        Assert.Equal("http://127.0.0.1:4646", args[args.IndexOf("--nomad") + 1]);

        var settings = Settings(task);
        var egress = Bind<EgressOptions>(settings, EgressOptions.Section);
        Assert.Equal((new EgressOptions().FirstPort, new EgressOptions().LastPort), (egress.FirstPort, egress.LastPort));
        var gateway = Bind<EgressGatewayOptions>(settings, EgressGatewayOptions.Section);
        Assert.Equal(new EgressGatewayOptions().RelayPort, gateway.RelayPort);
        Assert.Equal(new NomadEgressSettings().ReadyMeta, gateway.ReadyMeta);

        // The node's network is the one sandbox jobs join, with the gateway address their proxy URL names.
        var network = Bind<DockerEngineOptions>(settings, DockerEngineOptions.Section).Network;
        Assert.Equal(new NomadDriverSettings().Network, network.Name);
        Assert.Equal(new DockerNetworkSettings().BridgeName, network.BridgeName);
        var subnet = IPNetwork.Parse(network.Subnet);
        var firstHost = subnet.BaseAddress.GetAddressBytes();
        firstHost[^1] += 1;
        Assert.Equal(new IPAddress(firstHost), new NomadEgressSettings().ParsedAddress);

        // The relay's port is reserved on every node.
        var ports = Single(group["network"])["port"]!.AsObject();
        Assert.Contains(ports, p => (int?)Single(p.Value)["static"] == gateway.RelayPort);

        // The upstream: --upstream, or its variable rendered from Nomad's service catalog.
        var templates = Templates(task);
        Assert.True(args.Contains("--upstream") || templates.Any(t => ((string?)t["data"])!.Contains("POLYDEV_EGRESS__GATEWAY__UPSTREAM=", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task The_gateways_check_asks_for_the_health_endpoint_the_gateway_maps()
    {
        var (_, job) = Labeled((await Hcl("polydev-egress.nomad.hcl"))["job"], "job");
        var (_, group) = Labeled(job["group"], "group");
        var (_, task) = Labeled(group["task"], "task");
        var service = Single(task["service"]);
        var check = Single(service["check"]);
        Assert.Equal("http", (string?)check["type"]);
        var port = Single(Single(group["network"])["port"]![(string)service["port"]!]);
        Assert.Equal(new Uri(EgressGatewayHost.DefaultUrls).Port, (int)port["static"]!);

        var app = EgressGatewayHost.Build(new Dictionary<string, string?> { ["Egress:Gateway:Upstream"] = "127.0.0.1", ["Urls"] = "http://127.0.0.1:0" });
        await using (app)
        {
            Assert.Contains((string)check["path"]!, Routes(app));
        }
    }

    [Fact]
    public async Task The_gateways_token_comes_from_a_variable_never_from_the_file()
    {
        var file = await Hcl("polydev-egress.nomad.hcl");
        var (_, job) = Labeled(file["job"], "job");
        var (_, task) = Labeled(Labeled(job["group"], "group").Body["task"], "task");
        Assert.DoesNotContain(Settings(task).Keys, k => k.Contains("TOKEN", StringComparison.OrdinalIgnoreCase));
        var token = Assert.Single(Templates(task), t => ((string?)t["data"])!.Contains("NOMAD_TOKEN=", StringComparison.Ordinal));
        Assert.True((bool)token["env"]!);
        Assert.Contains("nomadVar", (string?)token["data"], StringComparison.Ordinal);
        Assert.StartsWith("secrets/", (string?)token["destination"], StringComparison.Ordinal);
    }

    // ------------------------------------------------------------------ polydev-server.nomad.hcl

    [Fact]
    public async Task The_server_runs_the_nomad_engine_with_its_secrets_from_a_variable()
    {
        var task = ServerTask(await Hcl("polydev-server.nomad.hcl"));
        var config = Single(task["config"]);
        Assert.Equal(["server"], config["args"]!.AsArray().Select(a => (string?)a));

        var settings = Settings(task);
        Assert.Equal("nomad", settings["POLYDEV_SANDBOXES__ENGINE"]);
        Assert.Equal("nomad", Bind<SandboxesOptions>(settings, SandboxesOptions.Section).Engine);
        var nomad = Bind<NomadEngineOptions>(settings, NomadEngineOptions.Section);
        Assert.Null(nomad.Token);
        Assert.True(Uri.TryCreate(nomad.Address, UriKind.Absolute, out _));
        Assert.False(string.IsNullOrEmpty(Bind<SandboxesOptions>(settings, SandboxesOptions.Section).ServerId));

        // The proxy listens where the nodes reach it, and believes PROXY v2 headers only from the sandbox nodes.
        var egress = Bind<EgressOptions>(settings, EgressOptions.Section);
        Assert.NotEqual(new EgressOptions().BindAddress, egress.BindAddress);
        Assert.Single(egress.Gateways);

        // No secret in the file: the token and the database come from the Variable, rendered into the environment.
        string[] secrets = ["TOKEN", "SECRET", "PASSWORD", "DATABASE"];
        Assert.DoesNotContain(settings.Keys, k => secrets.Any(s => k.Contains(s, StringComparison.OrdinalIgnoreCase)));
        Assert.DoesNotContain(settings.Values, v => v.Contains("Password=", StringComparison.OrdinalIgnoreCase));
        var template = Assert.Single(Templates(task), t => (bool?)t["env"] == true);
        var data = (string)template["data"]!;
        Assert.Contains("nomadVar", data, StringComparison.Ordinal);
        Assert.Contains("POLYDEV_SANDBOXES__NOMAD__TOKEN=", data, StringComparison.Ordinal);
        Assert.Contains("POLYDEV_DATABASE=", data, StringComparison.Ordinal);
        Assert.StartsWith("secrets/", (string?)template["destination"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_servers_check_asks_for_a_path_the_server_maps()
    {
        var file = await Hcl("polydev-server.nomad.hcl");
        var (_, job) = Labeled(file["job"], "job");
        Assert.Equal("service", (string?)job["type"]);
        var (_, group) = Labeled(job["group"], "group");
        var task = ServerTask(file);
        var service = Single(task["service"]);
        Assert.True(Single(group["network"])["port"]!.AsObject().ContainsKey((string)service["port"]!));
        var check = Single(service["check"]);
        Assert.Equal("http", (string?)check["type"]);

        var data = Directory.CreateTempSubdirectory("polydev-deploy-test-").FullName;
        try
        {
            var app = PolydevServer.Build(new Dictionary<string, string?>
            {
                ["Urls"] = "http://127.0.0.1:0",
                ["Data"] = data,
                ["Sandboxes:Engine"] = SandboxesOptions.NoEngine,
                ["Login:Turn:Mode"] = "off",
            });
            await using (app)
            {
                Assert.Contains((string)check["path"]!, Routes(app));
            }
        }
        finally
        {
            Directory.Delete(data, recursive: true);
        }
    }

    // ------------------------------------------------------------------ coturn.nomad.hcl

    [Fact]
    public async Task Coturn_runs_turnserver_with_the_config_a_template_renders()
    {
        var (_, job) = Labeled((await Hcl("coturn.nomad.hcl"))["job"], "job");
        var (_, task) = Labeled(Labeled(job["group"], "group").Body["task"], "task");
        var config = Single(task["config"]);
        Assert.EndsWith("turnserver", (string?)config["command"], StringComparison.Ordinal);
        var args = config["args"]!.AsArray().Select(a => (string)a!).ToList();
        var path = args[args.IndexOf("-c") + 1];
        var template = Assert.Single(Templates(task), t => (string?)t["destination"] == path);
        Assert.Contains("nomadVar", (string?)template["data"], StringComparison.Ordinal);
        Assert.DoesNotContain("static-auth-secret", System.IO.File.ReadAllText(Path.Combine(DeployDirectory, "coturn.nomad.hcl")), StringComparison.Ordinal);
    }

    // ------------------------------------------------------------------ Nomad's own option names and types

    /// <summary>
    /// Every docker driver option the engine submits (and so sandbox.nomad.hcl) and every option of client.hcl's
    /// docker plugin and agent blocks is one Nomad has, with the value's type Nomad decodes: a misspelt option is
    /// refused by the agent, or silently ignored, only on a real cluster.
    /// </summary>
    [Fact]
    public async Task Every_option_is_one_Nomad_has_with_the_type_it_decodes()
    {
        var (spec, options) = SandboxInputs("sandboxes");
        var config = NomadJobSpec.Job(spec, options, CpuMhzPerCore)["TaskGroups"]![0]!["Tasks"]![0]!["Config"]!.AsObject();
        AssertSchema(config, DockerTaskSchema, "the engine's docker config");
        var withCommand = NomadJobSpec.Job(spec with { Command = ["/usr/local/bin/polydev-agent", "idle"] }, options, CpuMhzPerCore);
        AssertSchema(withCommand["TaskGroups"]![0]!["Tasks"]![0]!["Config"]!.AsObject(), DockerTaskSchema, "the engine's docker config (with a command)");

        var client = await Hcl("client.hcl");
        AssertSchema(Single(Labeled(client["plugin"], "plugin", "docker")["config"]), DockerPluginSchema, "client.hcl: plugin \"docker\"");
        AssertSchema(Single(Labeled(client["plugin"], "plugin", "raw_exec")["config"]), RawExecPluginSchema, "client.hcl: plugin \"raw_exec\"");
        Assert.All(client.Select(p => p.Key), key => Assert.Contains(key, AgentOptions));
        Assert.All(Single(client["client"]).Select(p => p.Key), key => Assert.Contains(key, ClientOptions));
        Assert.All(Single(client["telemetry"]).Select(p => p.Key), key => Assert.Contains(key, TelemetryOptions));
    }

    // From hashicorp/nomad drivers/docker/config.go (taskConfigSpec, configSpec, mountBodySpec) and
    // command/agent/config.go (hcl tags) at commit aa026cc99cfb74a77e519a1c1f0c78ba1b452705 (August 2026).
    // A nested dictionary is a block (written once, or repeated for mount/devices).
    private static readonly Dictionary<string, object> DockerMountSchema = new()
    {
        ["type"] = "string", ["target"] = "string", ["source"] = "string", ["readonly"] = "bool",
        ["bind_options"] = new Dictionary<string, object> { ["propagation"] = "string" },
        ["tmpfs_options"] = new Dictionary<string, object> { ["size"] = "number", ["mode"] = "number" },
        ["volume_options"] = new Dictionary<string, object>
        {
            ["no_copy"] = "bool", ["labels"] = "list(map(string))",
            ["driver_config"] = new Dictionary<string, object> { ["name"] = "string", ["options"] = "list(map(string))" },
        },
    };

    private static readonly Dictionary<string, object> DockerTaskSchema = new()
    {
        ["image"] = "string", ["advertise_ipv6_address"] = "bool", ["args"] = "list(string)",
        ["auth"] = new Dictionary<string, object> { ["username"] = "string", ["password"] = "string", ["email"] = "string", ["server_address"] = "string" },
        ["auth_soft_fail"] = "bool", ["cap_add"] = "list(string)", ["cap_drop"] = "list(string)", ["cgroupns"] = "string",
        ["command"] = "string", ["cpuset_cpus"] = "string", ["cpu_hard_limit"] = "bool", ["cpu_cfs_period"] = "number",
        ["container_exists_attempts"] = "number",
        ["devices"] = new Dictionary<string, object> { ["host_path"] = "string", ["container_path"] = "string", ["cgroup_permissions"] = "string" },
        ["dns_search_domains"] = "list(string)", ["dns_options"] = "list(string)", ["dns_servers"] = "list(string)",
        ["entrypoint"] = "list(string)", ["extra_hosts"] = "list(string)", ["force_pull"] = "bool", ["group_add"] = "list(string)",
        ["healthchecks"] = new Dictionary<string, object> { ["disable"] = "bool" },
        ["hostname"] = "string", ["init"] = "bool", ["interactive"] = "bool", ["ipc_mode"] = "string", ["ipv4_address"] = "string",
        ["ipv6_address"] = "string", ["isolation"] = "string", ["labels"] = "list(map(string))", ["load"] = "string",
        ["logging"] = new Dictionary<string, object> { ["type"] = "string", ["driver"] = "string", ["config"] = "list(map(string))" },
        ["mac_address"] = "string", ["memory_hard_limit"] = "number", ["mount"] = DockerMountSchema, ["mounts"] = DockerMountSchema,
        ["network_aliases"] = "list(string)", ["network_mode"] = "string", ["oom_score_adj"] = "number", ["runtime"] = "string",
        ["pids_limit"] = "number", ["pid_mode"] = "string", ["ports"] = "list(string)", ["port_map"] = "list(map(number))",
        ["privileged"] = "bool", ["image_pull_timeout"] = "string", ["readonly_rootfs"] = "bool", ["security_opt"] = "list(string)",
        ["shm_size"] = "number", ["storage_opt"] = "map", ["sysctl"] = "list(map(string))", ["tty"] = "bool",
        ["ulimit"] = "list(map(string))", ["uts_mode"] = "string", ["userns_mode"] = "string", ["volumes"] = "list(string)",
        ["volume_driver"] = "string", ["work_dir"] = "string",
    };

    private static readonly Dictionary<string, object> DockerPluginSchema = new()
    {
        ["endpoint"] = "string",
        ["auth"] = new Dictionary<string, object> { ["config"] = "string", ["helper"] = "string" },
        ["tls"] = new Dictionary<string, object> { ["cert"] = "string", ["key"] = "string", ["ca"] = "string" },
        ["extra_labels"] = "list(string)",
        ["logging"] = new Dictionary<string, object> { ["type"] = "string", ["config"] = "map" },
        ["gc"] = new Dictionary<string, object>
        {
            ["image"] = "bool", ["image_delay"] = "string", ["container"] = "bool",
            ["dangling_containers"] = new Dictionary<string, object> { ["enabled"] = "bool", ["period"] = "string", ["creation_grace"] = "string", ["dry_run"] = "bool" },
        },
        ["volumes"] = new Dictionary<string, object> { ["enabled"] = "bool", ["selinuxlabel"] = "string" },
        ["allow_privileged"] = "bool", ["allow_caps"] = "list(string)", ["nvidia_runtime"] = "string", ["allow_runtimes"] = "list(string)",
        ["infra_image"] = "string", ["infra_image_pull_timeout"] = "string", ["image_pull_timeout"] = "string",
        ["container_exists_attempts"] = "number", ["oom_score_adj"] = "number", ["pull_activity_timeout"] = "string",
        ["pids_limit"] = "number", ["disable_log_collection"] = "bool", ["windows_allow_insecure_container_admin"] = "bool",
        ["allowed_modes"] = new Dictionary<string, object> { ["pid"] = "list(string)", ["ipc"] = "list(string)", ["userns"] = "list(string)", ["uts"] = "list(string)" },
    };

    private static readonly Dictionary<string, object> RawExecPluginSchema = new()
    {
        ["enabled"] = "bool", ["denied_host_uids"] = "string", ["denied_host_gids"] = "string", ["denied_envvars"] = "list(string)",
    };

    private static readonly string[] AgentOptions =
    [
        "region", "datacenter", "name", "data_dir", "plugin_dir", "log_level", "log_json", "log_file", "log_include_location",
        "log_rotate_duration", "log_rotate_bytes", "log_rotate_max_files", "bind_addr", "enable_debug", "ports", "addresses",
        "advertise", "client", "server", "rpc", "acl", "telemetry", "leave_on_interrupt", "leave_on_terminate", "enable_syslog",
        "syslog_facility", "disable_update_check", "disable_anonymous_signature", "consul", "vault", "ui", "tls",
        "http_api_response_headers", "sentinel", "autopilot", "plugin", "limits", "audit", "reporting", "keyring", "eventlog",
    ];

    private static readonly string[] ClientOptions =
    [
        "enabled", "state_dir", "alloc_dir", "alloc_mounts_dir", "host_volumes_dir", "host_volume_plugin_dir", "common_plugin_dir",
        "servers", "node_class", "node_pool", "options", "meta", "chroot_env", "network_interface", "preferred_address_family",
        "network_speed", "cpu_disable_dmidecode", "cpu_total_compute", "memory_total_mb", "disk_total_mb", "disk_free_mb",
        "reservable_cores", "max_kill_timeout", "client_max_port", "client_min_port", "max_dynamic_port", "min_dynamic_port",
        "reserved", "gc_interval", "gc_parallel_destroys", "gc_disk_usage_threshold", "gc_inode_usage_threshold", "gc_max_allocs",
        "gc_volumes_on_node_gc", "no_host_uuid", "disable_remote_exec", "template", "server_join", "host_volume", "cni_path",
        "cni_config_dir", "bridge_network_name", "bridge_network_subnet", "bridge_network_subnet_ipv6", "bridge_network_hairpin_mode",
        "host_network", "bind_wildcard_default_host_network", "cgroup_parent", "nomad_service_discovery", "artifact",
        "drain_on_shutdown", "users", "node_max_allocs", "log_file", "fingerprint", "default_ineligible",
    ];

    private static readonly string[] TelemetryOptions =
    [
        "in_memory_collection_interval", "in_memory_retention_period", "statsite_address", "statsd_address", "datadog_address",
        "datadog_tags", "prometheus_metrics", "disable_hostname", "use_node_name", "collection_interval", "publish_allocation_metrics",
        "publish_node_metrics", "include_alloc_metadata_in_metrics", "allowed_metadata_keys_in_metrics", "prefix_filter",
        "filter_default", "disable_dispatched_job_summary_metrics", "disable_quota_utilization_metrics",
        "disable_rpc_rate_metrics_labels", "disable_allocation_hook_metrics",
    ];

    private static void AssertSchema(JsonObject body, Dictionary<string, object> schema, string where)
    {
        foreach (var (key, value) in body)
        {
            Assert.True(schema.TryGetValue(key, out var type), $"{where}: {key} is no option of Nomad's");
            switch (type)
            {
                case Dictionary<string, object> block:
                    // A block: one object (API JSON), or hcl2json's array of bodies (also a repeated block).
                    var bodies = value is JsonArray array ? array.Select(b => b!.AsObject()) : [value!.AsObject()];
                    foreach (var nested in bodies)
                    {
                        AssertSchema(nested, block, $"{where}: {key}");
                    }

                    break;
                case string kind:
                    Assert.True(HasType(value, kind), $"{where}: {key} is a {kind} to Nomad, not {value?.ToJsonString()}");
                    break;
            }
        }
    }

    private static bool HasType(JsonNode? value, string kind) => kind switch
    {
        "string" => value?.GetValueKind() == System.Text.Json.JsonValueKind.String,
        "bool" => value?.GetValueKind() is System.Text.Json.JsonValueKind.True or System.Text.Json.JsonValueKind.False,
        "number" => value?.GetValueKind() == System.Text.Json.JsonValueKind.Number,
        "list(string)" => value is JsonArray list && list.All(i => i?.GetValueKind() == System.Text.Json.JsonValueKind.String),
        "list(map(string))" or "list(map(number))" => value is JsonArray maps && maps.All(i => i is JsonObject),
        "map" => value is JsonObject or JsonArray,
        _ => false,
    };

    // ------------------------------------------------------------------ the parser itself

    [Fact]
    public async Task Every_file_in_deploy_nomad_parses()
    {
        var files = await Files.Value;
        Assert.Equal(
            ["client.hcl", "coturn.nomad.hcl", "polydev-egress.nomad.hcl", "polydev-server.nomad.hcl", "sandbox.nomad.hcl"],
            files.Keys.Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.All(files.Values, json => Assert.NotEmpty(json));
    }

    [Fact]
    public async Task A_broken_file_does_not_parse()
    {
        var directory = Directory.CreateTempSubdirectory("polydev-hcl-test-").FullName;
        try
        {
            var broken = Path.Combine(directory, "broken.nomad.hcl");
            await System.IO.File.WriteAllTextAsync(broken, "job \"x\" {\n  group \"y\" {\n    count = \n  }\n");
            var result = await RunParserAsync([broken]);
            Assert.NotEqual(0, result.ExitCode);
            Assert.Contains("broken.nomad.hcl", result.Errors, StringComparison.Ordinal);

            // And a well-formed one does, through the same path.
            var good = Path.Combine(directory, "good.nomad.hcl");
            await System.IO.File.WriteAllTextAsync(good, "job \"x\" {\n  group \"y\" {\n    count = 1\n  }\n}\n");
            var parsed = await ParseAsync([good]);
            Assert.Equal(1, (int)Single(Labeled(parsed[good]["job"], "job").Body["group"]!["y"])["count"]!);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public void The_test_and_scripts_lib_hcl_sh_install_the_same_parser()
    {
        var script = System.IO.File.ReadAllText(Path.Combine(Repository, "scripts", "lib", "hcl.sh"));
        Assert.Contains($"HCL2JSON_VERSION=\"{Hcl2JsonVersion}\"", script, StringComparison.Ordinal);
    }

    // ------------------------------------------------------------------ the engine's job ↔ the jobspec

    private enum Kind
    {
        /// <summary>An attribute: the same JSON value.</summary>
        Value,
        /// <summary>An attribute holding a Go duration ("2s"); the API's value is in nanoseconds.</summary>
        Duration,
        /// <summary>The block's own label.</summary>
        Label,
        /// <summary>One unlabelled block whose fields map by <see cref="Field.Fields"/>.</summary>
        Block,
        /// <summary>Repeated unlabelled blocks, in order, each mapping by <see cref="Field.Fields"/>.</summary>
        Blocks,
        /// <summary>An API array of one object, written as one labelled block.</summary>
        Labeled,
        /// <summary>A string map, as a block or an attribute.</summary>
        Map,
        /// <summary>The driver's config, key for key, nested blocks written as blocks.</summary>
        DriverConfig,
    }

    private sealed record Field(string Hcl, Kind Kind = Kind.Value, IReadOnlyDictionary<string, Field>? Fields = null);

    private static readonly IReadOnlyDictionary<string, Field> TaskFields = new Dictionary<string, Field>
    {
        ["Name"] = new("", Kind.Label),
        ["Driver"] = new("driver"),
        ["User"] = new("user"),
        ["Config"] = new("config", Kind.DriverConfig),
        ["Env"] = new("env", Kind.Map),
        ["Resources"] = new("resources", Kind.Block, new Dictionary<string, Field>
        {
            ["CPU"] = new("cpu"),
            ["MemoryMB"] = new("memory"),
            ["MemoryMaxMB"] = new("memory_max"),
        }),
        ["KillTimeout"] = new("kill_timeout", Kind.Duration),
        ["LogConfig"] = new("logs", Kind.Block, new Dictionary<string, Field>
        {
            ["Disabled"] = new("disabled"),
            ["MaxFiles"] = new("max_files"),
            ["MaxFileSizeMB"] = new("max_file_size"),
        }),
        ["Services"] = new("service", Kind.Blocks, new Dictionary<string, Field>
        {
            ["Name"] = new("name"),
            ["Provider"] = new("provider"),
            ["AddressMode"] = new("address_mode"),
            ["Tags"] = new("tags"),
        }),
    };

    private static readonly IReadOnlyDictionary<string, Field> GroupFields = new Dictionary<string, Field>
    {
        ["Name"] = new("", Kind.Label),
        ["Count"] = new("count"),
        ["RestartPolicy"] = new("restart", Kind.Block, new Dictionary<string, Field>
        {
            ["Attempts"] = new("attempts"),
            ["Mode"] = new("mode"),
            ["Interval"] = new("interval", Kind.Duration),
            ["Delay"] = new("delay", Kind.Duration),
        }),
        ["ReschedulePolicy"] = new("reschedule", Kind.Block, new Dictionary<string, Field>
        {
            ["Attempts"] = new("attempts"),
            ["Unlimited"] = new("unlimited"),
        }),
        ["EphemeralDisk"] = new("ephemeral_disk", Kind.Block, new Dictionary<string, Field>
        {
            ["SizeMB"] = new("size"),
            ["Sticky"] = new("sticky"),
            ["Migrate"] = new("migrate"),
        }),
        ["Tasks"] = new("task", Kind.Labeled, TaskFields),
    };

    private static readonly IReadOnlyDictionary<string, Field> JobFields = new Dictionary<string, Field>
    {
        ["ID"] = new("", Kind.Label),
        ["Name"] = new("", Kind.Label),
        ["Type"] = new("type"),
        ["Namespace"] = new("namespace"),
        ["Priority"] = new("priority"),
        ["Datacenters"] = new("datacenters"),
        ["Region"] = new("region"),
        ["NodePool"] = new("node_pool"),
        ["Meta"] = new("meta", Kind.Map),
        ["Constraints"] = new("constraint", Kind.Blocks, new Dictionary<string, Field>
        {
            ["LTarget"] = new("attribute"),
            ["Operand"] = new("operator"),
            ["RTarget"] = new("value"),
        }),
        ["TaskGroups"] = new("group", Kind.Labeled, GroupFields),
    };

    /// <summary>
    /// Every field of the engine's <paramref name="expected"/> object must be mapped and equal in the jobspec's
    /// <paramref name="actual"/> body, and the body may hold nothing the engine does not submit.
    /// </summary>
    private static void Match(JsonObject expected, JsonObject actual, string? label, IReadOnlyDictionary<string, Field> fields, string path)
    {
        var written = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (key, value) in expected)
        {
            Assert.True(fields.TryGetValue(key, out var field),
                $"the engine's job has {path}.{key}, which sandbox.nomad.hcl does not show: write it there and map it in {nameof(NomadDeploymentFilesTests)}");
            var where = $"{path}.{key} ({(field.Kind == Kind.Label ? "label" : field.Hcl)})";
            if (field.Kind == Kind.Label)
            {
                Assert.True((string?)value == label, $"{where}: the engine submits \"{value}\", sandbox.nomad.hcl says \"{label}\"");
                continue;
            }

            written.Add(field.Hcl);
            var node = actual[field.Hcl];
            Assert.True(node is not null, $"{where}: the engine submits {value?.ToJsonString()}, sandbox.nomad.hcl has nothing");
            switch (field.Kind)
            {
                case Kind.Value:
                    Assert.True(SameJson(value, node), $"{where}: the engine submits {value?.ToJsonString()}, sandbox.nomad.hcl says {node.ToJsonString()}");
                    break;
                case Kind.Duration:
                    Assert.True((long)value! == GoDuration((string)node!), $"{where}: the engine submits {value} ns, sandbox.nomad.hcl says {node.ToJsonString()}");
                    break;
                case Kind.Map:
                    var map = node is JsonArray ? Single(node) : node.AsObject();
                    Assert.True(SameJson(value, map), $"{where}: the engine submits {value?.ToJsonString()}, sandbox.nomad.hcl says {map.ToJsonString()}");
                    break;
                case Kind.DriverConfig:
                    // Key for key, so a difference names the driver option.
                    var config = Single(node);
                    foreach (var (option, submitted) in value!.AsObject())
                    {
                        var file = config[option];
                        Assert.True(SameJson(submitted, file),
                            $"{where}.{option}: the engine submits {submitted?.ToJsonString()}, sandbox.nomad.hcl says {file?.ToJsonString() ?? "nothing"}");
                    }

                    var unknown = config.Select(p => p.Key).Where(k => !value.AsObject().ContainsKey(k)).ToList();
                    Assert.True(unknown.Count == 0, $"{where}: sandbox.nomad.hcl sets {string.Join(", ", unknown)}, which the engine does not submit");
                    break;
                case Kind.Block:
                    Match(value!.AsObject(), Single(node), null, field.Fields!, $"{path}.{key}");
                    break;
                case Kind.Blocks:
                    var items = value!.AsArray();
                    var blocks = node.AsArray();
                    Assert.True(items.Count == blocks.Count, $"{where}: the engine submits {items.Count}, sandbox.nomad.hcl has {blocks.Count}");
                    for (var i = 0; i < items.Count; i++)
                    {
                        Match(items[i]!.AsObject(), blocks[i]!.AsObject(), null, field.Fields!, $"{path}.{key}[{i}]");
                    }

                    break;
                case Kind.Labeled:
                    var only = Assert.Single(value!.AsArray())!.AsObject();
                    var (name, body) = Labeled(node, field.Hcl);
                    Match(only, body, name, field.Fields!, $"{path}.{key}[0]");
                    break;
            }
        }

        var extra = actual.Select(p => p.Key).Where(k => !written.Contains(k)).ToList();
        Assert.True(extra.Count == 0, $"{path}: sandbox.nomad.hcl has {string.Join(", ", extra)}, which the engine does not submit");
    }

    /// <summary>
    /// Equal JSON, where the jobspec may write an object of the API as a block (an array of one body), as HCL's
    /// JSON form and Nomad's driver config decoder both accept.
    /// </summary>
    private static bool SameJson(JsonNode? expected, JsonNode? actual)
    {
        switch (expected)
        {
            case null:
                return actual is null;
            case JsonObject expectedObject:
                if (actual is JsonArray { Count: 1 } block && block[0] is JsonObject)
                {
                    actual = block[0];
                }

                return actual is JsonObject actualObject
                    && expectedObject.Count == actualObject.Count
                    && expectedObject.All(p => actualObject.TryGetPropertyValue(p.Key, out var v) && SameJson(p.Value, v));
            case JsonArray expectedArray:
                return actual is JsonArray actualArray
                    && expectedArray.Count == actualArray.Count
                    && expectedArray.Zip(actualArray).All(pair => SameJson(pair.First, pair.Second));
            default:
                // Scalars: the same JSON text (numbers as written, strings and booleans exactly).
                return actual is JsonValue && expected.ToJsonString() == actual.ToJsonString();
        }
    }

    /// <summary>A Go duration ("1m", "2s", "1h30m", "500ms") in nanoseconds.</summary>
    private static long GoDuration(string text)
    {
        var units = new Dictionary<string, decimal> { ["ns"] = 1, ["us"] = 1e3m, ["µs"] = 1e3m, ["ms"] = 1e6m, ["s"] = 1e9m, ["m"] = 60e9m, ["h"] = 3600e9m };
        var parts = DurationPart().Matches(text);
        Assert.True(parts.Count > 0 && string.Concat(parts.Select(p => p.Value)) == text, $"'{text}' is not a Go duration");
        return (long)parts.Sum(p => decimal.Parse(p.Groups[1].Value, CultureInfo.InvariantCulture) * units[p.Groups[2].Value]);
    }

    [GeneratedRegex(@"(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)")]
    private static partial Regex DurationPart();

    [GeneratedRegex(@"^\| `NodePool` \| `([^`]+)` \|", RegexOptions.Multiline)]
    private static partial Regex NodePoolRow();

    // ------------------------------------------------------------------ reading hcl2json's output

    /// <summary>A block written once: hcl2json's array of one body.</summary>
    private static JsonObject Single(JsonNode? node)
    {
        var array = Assert.IsType<JsonArray>(node);
        return Assert.Single(array)!.AsObject();
    }

    /// <summary>A labelled block written once: hcl2json's <c>{"label": [body]}</c>.</summary>
    private static (string Label, JsonObject Body) Labeled(JsonNode? node, string type)
    {
        var labels = Assert.IsType<JsonObject>(node);
        Assert.True(labels.Count == 1, $"expected one {type} block, found {labels.Count}");
        var (label, bodies) = labels.First();
        return (label, Single(bodies));
    }

    /// <summary>The body of the <paramref name="type"/> block labelled <paramref name="label"/>.</summary>
    private static JsonObject Labeled(JsonNode? node, string type, string label)
    {
        var labels = Assert.IsType<JsonObject>(node);
        Assert.True(labels.ContainsKey(label), $"no {type} \"{label}\" block");
        return Single(labels[label]);
    }

    private static JsonObject ServerTask(JsonObject file)
    {
        var (_, job) = Labeled(file["job"], "job");
        var (_, group) = Labeled(job["group"], "group");
        return Labeled(group["task"], "task").Body;
    }

    private static IReadOnlyList<JsonObject> Templates(JsonObject task) =>
        task["template"] is JsonArray templates ? [.. templates.Select(t => t!.AsObject())] : [];

    /// <summary>A task's <c>env</c> block.</summary>
    private static Dictionary<string, string> Settings(JsonObject task) =>
        Single(task["env"]).ToDictionary(p => p.Key, p => (string)p.Value!, StringComparer.Ordinal);

    /// <summary>
    /// The section the server or gateway would read from these <c>POLYDEV_</c> variables (prefix off, <c>__</c> a
    /// section separator, as <c>AddEnvironmentVariables("POLYDEV_")</c> reads them).
    /// </summary>
    private static T Bind<T>(IReadOnlyDictionary<string, string> environment, string section) where T : new()
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(environment
                .Where(p => p.Key.StartsWith(PolydevServer.EnvironmentPrefix, StringComparison.Ordinal))
                .Select(p => KeyValuePair.Create(p.Key[PolydevServer.EnvironmentPrefix.Length..].Replace("__", ":", StringComparison.Ordinal), (string?)p.Value)))
            .Build();
        return configuration.GetSection(section).Get<T>() ?? new T();
    }

    private static List<string> Routes(WebApplication app) =>
        [.. ((IEndpointRouteBuilder)app).DataSources.SelectMany(s => s.Endpoints).OfType<RouteEndpoint>().Select(e => e.RoutePattern.RawText ?? "")];

    // ------------------------------------------------------------------ running the parser

    private static string Repository { get; } = FindRepository();

    private static string DeployDirectory => Path.Combine(Repository, "deploy", "nomad");

    private static string[] DeployFiles() => [.. Directory.GetFiles(DeployDirectory, "*.hcl").Order(StringComparer.Ordinal)];

    private static async Task<JsonObject> Hcl(string name)
    {
        var files = await Files.Value;
        return files[Path.Combine(DeployDirectory, name)];
    }

    private static async Task<IReadOnlyDictionary<string, JsonObject>> ParseAsync(string[] files)
    {
        var result = await RunParserAsync(files);
        Assert.True(result.ExitCode == 0, $"HashiCorp's HCL parser refused a file: {result.Errors}");
        var parsed = JsonNode.Parse(result.Output)!.AsObject();
        return parsed.ToDictionary(p => p.Key, p => p.Value!.AsObject(), StringComparer.Ordinal);
    }

    private static Task<ChildProcess.Result> RunParserAsync(string[] files) =>
        ChildProcess.RunAsync(Node(), [Path.Combine(AppContext.BaseDirectory, "Sandboxes", "Nomad", "hcl2json.cjs"), Hcl2JsonPrefix(), .. files]);

    /// <summary>The pinned Node (images/runtime/clis.tsv) as scripts/lib/clis.sh installs it.</summary>
    private static string Node()
    {
        var pin = CliPins.Load(Path.Combine(Repository, "images", "runtime", "clis.tsv")).Node
            ?? throw new InvalidOperationException("images/runtime/clis.tsv pins no node");
        var clis = Environment.GetEnvironmentVariable("POLYDEV_CLIS_DIR") is { Length: > 0 } directory ? directory : Path.Combine(Repository, ".polydev", "clis");
        var node = Path.Combine(clis, pin.PrefixName, "node_modules", ".bin", pin.Executable);
        Assert.True(System.IO.File.Exists(node), $"the pinned Node is not installed at {node}: run the tests through scripts/test (ensure_clis installs it)");
        return node;
    }

    /// <summary>The npm prefix of @cdktf/hcl2json: <c>$POLYDEV_HCL2JSON_DIR</c>, else where scripts/lib/hcl.sh puts it.</summary>
    private static string Hcl2JsonPrefix()
    {
        var prefix = Environment.GetEnvironmentVariable("POLYDEV_HCL2JSON_DIR") is { Length: > 0 } directory
            ? directory
            : Path.Combine(Repository, ".polydev", "tools", $"hcl2json-{Hcl2JsonVersion}");
        Assert.True(System.IO.File.Exists(Path.Combine(prefix, "node_modules", "@cdktf", "hcl2json", "package.json")),
            $"@cdktf/hcl2json@{Hcl2JsonVersion} is not installed under {prefix}: run the tests through scripts/test (ensure_hcl2json in scripts/lib/hcl.sh installs it)");
        return prefix;
    }

    private static string FindRepository()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (System.IO.File.Exists(Path.Combine(directory.FullName, "Polydev.slnx")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException("Could not find the repository root (Polydev.slnx).");
    }
}
