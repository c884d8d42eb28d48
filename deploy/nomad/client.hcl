# Nomad agent configuration of a sandbox node: a client only (the Nomad servers run elsewhere), with Docker, the
# docker task driver locked down for sandboxes, raw_exec for the egress gateway's system job, and telemetry.
# Put it in /etc/nomad.d/ on every sandbox node beside the cluster's own settings (servers, ACL, TLS, gossip key).
# docs/nomad.md describes the topology; tests/Polydev.Server.Tests/Sandboxes/Nomad/NomadDeploymentFilesTests.cs
# parses this file with HashiCorp's HCL parser and checks the settings Polydev relies on.
#
# Every attribute below is one of Nomad's documented agent settings (Nomad 1.6+); the docker plugin's names are
# those of drivers/docker/config.go (configSpec).

# Give data_dir a file system of its own: the task directories of every allocation (/alloc, /local, /secrets of
# each sandbox) live under it, without a quota (docs/nomad.md, "Not yet").
data_dir  = "/opt/nomad/data"
bind_addr = "0.0.0.0"
# datacenter = "dc1"
# region     = "global"

# Leave on SIGTERM, so a node being shut down is drained by Nomad rather than seen as lost.
leave_on_terminate = true
leave_on_interrupt = true

client {
  enabled = true

  # Sandbox nodes form a pool of their own, so that nothing else is placed among the sandboxes and sandboxes are
  # placed nowhere else. The server's Sandboxes:Nomad:NodePool must name this pool (polydev-server.nomad.hcl sets
  # POLYDEV_SANDBOXES__NOMAD__NODEPOOL), and the egress gateway's system job runs in it (polydev-egress.nomad.hcl).
  # Create the pool once: `nomad node pool apply` with node_pool "sandboxes" { }.
  node_pool  = "sandboxes"
  node_class = "polydev-sandbox"

  # servers = ["nomad-1.internal:4647", "nomad-2.internal:4647", "nomad-3.internal:4647"]

  # Allocation exec is the server's channel to each sandbox's agent: it must stay on.
  disable_remote_exec = false

  # Garbage collection tuned for many short batch allocations (one per sandbox, minutes to hours each): collect
  # often, keep few terminal allocations (each holds a task directory and Docker's container record), and start
  # early on disk and inodes. The engine also collects each allocation as soon as its sandbox is destroyed
  # (/v1/client/allocation/:id/gc); these settings catch the rest.
  gc_interval              = "30s"
  gc_max_allocs            = 200
  gc_parallel_destroys     = 4
  gc_disk_usage_threshold  = 70
  gc_inode_usage_threshold = 70

  # Leave room for Docker, the egress gateway and the node itself; the scheduler places sandboxes in the rest.
  reserved {
    cpu    = 500
    memory = 1024
  }

  # Static node metadata for operators and constraints. Never set polydev_egress here: the egress gateway sets it
  # (dynamic node metadata) only once the node's sandbox network, firewall and relay are up, and clears it on stop.
  meta {
    polydev_role = "sandbox"
  }
}

# The docker task driver, as the sandboxes need it and no looser.
plugin "docker" {
  config {
    # No task on a sandbox node may ask for a privileged container.
    allow_privileged = false

    # The capabilities a docker task may keep: Nomad's default list (which already leaves out NET_RAW) further
    # reduced. Sandboxes drop ALL anyway (cap_drop = ["ALL"]); this bounds any other docker task on the node.
    allow_caps = ["CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "SETGID", "SETUID"]

    # No host paths and no named volumes in containers. (tmpfs mounts, which sandboxes use, are always allowed.)
    volumes {
      enabled = false
    }

    # Sandboxes set no ipc/pid/uts/userns mode (Docker's default IPC mode is already private), so no allowed_modes:
    # since hashicorp/nomad#28208 (July 2026) a task may set one only if the plugin allows it here.

    gc {
      # Keep images: the engine never pulls (force_pull = false), the operator ships the runtime images to each
      # node (docs/nomad.md), and an image collected here would be missing at the next sandbox's start.
      image = false
      # Remove each sandbox's container when its task is done.
      container = true
      # And those Nomad lost track of (an agent crash mid-start): removed once unknown for creation_grace.
      dangling_containers {
        enabled        = true
        period         = "5m"
        creation_grace = "5m"
      }
    }

    # The ceiling of any task's pids_limit (a task asking for more fails to start): at least the largest
    # Sandboxes:Runtimes:<kind>:Limits:PidsLimit (256 by default).
    pids_limit = 512

    # Labels on each container, so `docker ps` on a node names the sandbox's job.
    extra_labels = ["job_name", "task_group_name", "task_name", "node_name"]

    # No docker task's output is collected on this node (sandboxes also set logs { disabled = true } and logging
    # type "none"): nothing a sandbox prints is kept by Nomad.
    disable_log_collection = true

    # Nothing is pulled at run time. Sandbox jobs set force_pull = false and declare no group network (so no pause
    # container is made); the images are loaded by the operator. The pause image is named anyway, pinned, for
    # any bridge-mode job: load it beforehand (docker load) like the runtime images, since a pull would be needed
    # otherwise. Pulls that do happen (an image missing on the node) give up quickly instead of holding a slot.
    infra_image              = "registry.k8s.io/pause-amd64:3.3"
    infra_image_pull_timeout = "1m"
    image_pull_timeout       = "1m"
    pull_activity_timeout    = "1m"

    # Note: cpu_hard_limit is a task-level option of the docker driver, set in each sandbox job
    # (sandbox.nomad.hcl); there is nothing to enable for it here.
  }
}

# The egress gateway (polydev-egress.nomad.hcl) runs as root on the host: it installs the node's iptables rules and
# Docker network. Restrict who may submit raw_exec jobs with ACL policies (submit-job in the gateway's namespace
# only for operators); the server's token submits docker jobs only.
plugin "raw_exec" {
  config {
    enabled = true
  }
}

telemetry {
  publish_allocation_metrics = true
  publish_node_metrics       = true
  prometheus_metrics         = true
  collection_interval        = "10s"
  disable_hostname           = true
}

acl {
  enabled = true
}

# TLS for the HTTP API and RPC, with the cluster's certificates (`nomad tls cert create -client`):
# tls {
#   http = true
#   rpc  = true
#
#   ca_file   = "/etc/nomad.d/tls/nomad-agent-ca.pem"
#   cert_file = "/etc/nomad.d/tls/global-client-nomad.pem"
#   key_file  = "/etc/nomad.d/tls/global-client-nomad-key.pem"
#
#   verify_server_hostname = true
#   # The egress gateway's call to this agent (--nomad, to set its node meta) presents no client certificate, and
#   # takes the system's CA store: keep client certificates optional on the HTTP API, and put the cluster's CA in
#   # the node's store; or keep http = false here (TLS on RPC only) and the gateway's --nomad http://127.0.0.1:4646.
#   verify_https_client    = false
# }
