# One sandbox, as the Nomad engine submits it (POST /v1/jobs): a documentation copy for operators, never submitted
# by anyone. The engine builds this job itself, per sandbox, from the SandboxSpec the pool asks for
# (src/Polydev.Server/Sandboxes/Nomad/NomadJobSpec.cs); docs/nomad.md, "A sandbox is a job", explains each field.
#
# Written out for the default runtime kind `claude` (image polydev/runtime-anthropic:latest) with the default
# SandboxLimits, the egress network, the default Sandboxes:Nomad settings plus the node pool that client.hcl and
# polydev-server.nomad.hcl set (Sandboxes:Nomad:NodePool = "sandboxes"), and nodes of 2000 MHz per core.
# Placeholders stand where the engine fills in a value per sandbox:
#   SANDBOX_ID       Polydev's sandbox id (32 hex digits)
#   OWNER_SERVER_ID  the server that created it (Sandboxes:ServerId)
#   IMAGE_VERSION    the image version the pool serves (the image's dev.polydev.image-version label)
#
# tests/Polydev.Server.Tests/Sandboxes/Nomad/NomadDeploymentFilesTests.cs parses this file with HashiCorp's HCL
# parser and compares it field by field with NomadJobSpec.Job for the same inputs: change both together.

job "polydev-sandbox-SANDBOX_ID" {
  # A sandbox is never restarted or rescheduled by Nomad: its key lived only in the dead agent's memory. The pool
  # replaces it.
  type        = "batch"
  namespace   = "default"
  priority    = 50
  datacenters = ["*"]
  node_pool   = "sandboxes"

  # The sandbox's labels (SandboxLabels), as a Docker sandbox's container labels. Attribute syntax, since the keys
  # hold dots.
  meta = {
    "dev.polydev.sandbox"               = "1"
    "dev.polydev.sandbox.id"            = "SANDBOX_ID"
    "dev.polydev.owner"                 = "OWNER_SERVER_ID"
    "dev.polydev.runtime"               = "claude"
    "dev.polydev.image-version"         = "IMAGE_VERSION"
    "dev.polydev.state"                 = "warming"
  }

  constraint {
    attribute = "${attr.kernel.name}"
    operator  = "="
    value     = "linux"
  }

  # Only where the node's egress gateway runs (polydev-egress.nomad.hcl sets this dynamic node meta once the node's
  # sandbox network, firewall and relay are up): a networked sandbox never lands where it could not get out, or
  # could get out unfiltered.
  constraint {
    attribute = "${meta.polydev_egress}"
    operator  = "="
    value     = "ready"
  }

  group "sandbox" {
    count = 1

    restart {
      attempts = 0
      mode     = "fail"
      interval = "1m"
      delay    = "1s"
    }

    reschedule {
      attempts  = 0
      unlimited = false
    }

    # Nomad's minimum. Nothing of the sandbox's is kept here: its home and scratch are tmpfs.
    ephemeral_disk {
      size    = 10
      sticky  = false
      migrate = false
    }

    task "sandbox" {
      driver = "docker"
      user   = "1900000000:1900000000"

      config {
        # A runtime kind's image (polydev/runtime-anthropic:latest by default) by the version the pool serves: a tag of
        # `latest` (or none) would make Nomad's Docker driver pull on every start, whatever force_pull says
        # (drivers/docker/driver.go, createImage), and `polydev images build` tags every image with its version.
        image           = "polydev/runtime-anthropic:IMAGE_VERSION"
        force_pull      = false
        readonly_rootfs = true
        cap_drop        = ["ALL"]
        security_opt    = ["no-new-privileges:true"]
        pids_limit      = 256                  # at most the docker plugin's pids_limit (client.hcl)
        network_mode    = "polydev-sandboxes"  # made on every node by the egress gateway; "none" without egress
        shm_size        = 16777216             # 16 MiB
        init            = true
        privileged      = false
        work_dir        = "/home/sandbox"
        cpu_hard_limit  = true                 # a task-level option: a CFS quota of exactly `cpu` below
        cpu_cfs_period  = 100000

        logging {
          type = "none"
        }

        # The home and the scratch space, in memory (counted against the memory limit). Docker's mount API cannot
        # give a tmpfs an owner, so both are sticky and world-writable, as /tmp is: mode 1023 is octal 1777.
        mount {
          type     = "tmpfs"
          target   = "/home/sandbox"
          readonly = false
          tmpfs_options {
            size = 1073741824
            mode = 1023
          }
        }

        mount {
          type     = "tmpfs"
          target   = "/tmp"
          readonly = false
          tmpfs_options {
            size = 1073741824
            mode = 1023
          }
        }
      }

      # The runtime kind's environment (none for the default kind) plus HOME. Never a secret: credentials arrive
      # sealed at execution time.
      env {
        HOME = "/home/sandbox"
      }

      resources {
        cpu        = 1000 # 0.5 cores at 2000 MHz per core (Sandboxes:Nomad:Driver:CpuMhzPerCore, else read from nodes)
        memory     = 512  # MiB
        memory_max = 512  # equal: the reservation is the hard limit, no oversubscription
      }

      kill_timeout = "2s"

      # What the main process prints may be a user's data: Nomad keeps no log of it.
      logs {
        disabled      = true
        max_files     = 1
        max_file_size = 1
      }

      # Nomad's native service discovery: its one way to report the task's address on a Docker network, to which
      # the execution's egress token is bound. Only for a networked sandbox.
      service {
        name         = "polydev-sandbox-SANDBOX_ID"
        provider     = "nomad"
        address_mode = "driver"
        tags         = ["polydev-sandbox", "claude"]
      }
    }
  }
}
