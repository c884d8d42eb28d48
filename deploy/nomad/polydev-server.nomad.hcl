# The Polydev server on a Nomad cluster, with the Nomad engine: one allocation on a control host (a Nomad client
# outside the sandbox node pool), running `polydev server` from the host's binary. docs/nomad.md, "Switching
# engines", lists the settings; NomadDeploymentFilesTests parses this file and checks them against the server.
#
#   nomad var put nomad/jobs/polydev-server nomad_token=<ACL token secret> database='Host=…;Username=…;Password=…'
#   nomad job run -var sandbox_cidr=10.20.0.0/16 polydev-server.nomad.hcl
#
# The Variable nomad/jobs/polydev-server is readable by this job's tasks only (Nomad's workload identity). Its
# nomad_token needs submit-job, read-job, list-jobs and alloc-exec in the namespace and node:read
# (Sandboxes:Nomad:Token); database is the PostgreSQL connection string (Database), so the server keeps no state on
# the host it happens to run on.

variable "sandbox_cidr" {
  type        = string
  description = "The sandbox nodes' addresses (CIDR): only connections from them may carry a PROXY v2 header (Egress:Gateways)."
}

variable "polydev" {
  type        = string
  description = "The polydev binary on the control hosts."
  default     = "/usr/local/bin/polydev"
}

job "polydev-server" {
  type      = "service"
  node_pool = "default"

  group "server" {
    count = 1

    network {
      port "http" {
        static = 8080
      }
    }

    # One server owns the sandboxes it made (Sandboxes:ServerId below): never two at once.
    update {
      max_parallel = 1
    }

    restart {
      attempts = 3
      interval = "5m"
      delay    = "15s"
      mode     = "delay"
    }

    task "server" {
      driver = "raw_exec"
      user   = "polydev"

      config {
        command = var.polydev
        args    = ["server"]
      }

      env {
        POLYDEV_URLS = "http://${NOMAD_ADDR_http}"
        # The TURN secret the embedded coturn would make, and nothing else, lives here: give the directory to the
        # polydev account on every control host.
        POLYDEV_DATA = "/var/lib/polydev"

        POLYDEV_SANDBOXES__ENGINE = "nomad"
        # The owner in every sandbox job's meta: the same whichever host the server runs on, so that after a move
        # it still finds (and removes) the sandboxes of its previous run.
        POLYDEV_SANDBOXES__SERVERID = "polydev-server"
        # This host's Nomad agent, which forwards to the servers. With TLS on the agents: https://, and
        # POLYDEV_SANDBOXES__NOMAD__CACERTIFICATE (and client certificate and key for mutual TLS).
        POLYDEV_SANDBOXES__NOMAD__ADDRESS  = "http://127.0.0.1:4646"
        # The sandbox nodes' pool (client.hcl): the engine's default is Nomad's `default` pool.
        POLYDEV_SANDBOXES__NOMAD__NODEPOOL = "sandboxes"

        # The egress proxy's ports listen on this host's address, which the sandbox nodes' gateways reach
        # (Egress:FirstPort–LastPort, 10001–19999 by default: open them to the sandbox nodes, and keep them out of
        # Nomad's dynamic port range on this host). Only the gateways may speak PROXY v2 to them.
        POLYDEV_EGRESS__BINDADDRESS = "${attr.unique.network.ip-address}"
        POLYDEV_EGRESS__GATEWAYS__0 = var.sandbox_cidr

        # Login sessions need coturn reachable from the login sandbox, which the gateway does not relay yet
        # (docs/nomad.md, "Not yet"): no login sandboxes on the cluster. coturn.nomad.hcl is ready for when it does.
        POLYDEV_LOGIN__TURN__MODE = "off"
        POLYDEV_SANDBOXES__RUNTIMES__login__ENABLED = "false"
      }

      # The secrets, from the Variable, into the task's environment only (secrets/ is a tmpfs no other task sees).
      template {
        destination = "secrets/polydev.env"
        env         = true
        change_mode = "restart"
        perms       = "0400"
        data        = <<-EOT
          {{- with nomadVar "nomad/jobs/polydev-server" }}
          POLYDEV_SANDBOXES__NOMAD__TOKEN={{ .nomad_token }}
          POLYDEV_DATABASE="{{ .database }}"
          {{- end }}
        EOT
      }

      service {
        name     = "polydev-server"
        provider = "nomad"
        port     = "http"

        check {
          name     = "ready"
          type     = "http"
          path     = "/health/ready"
          interval = "10s"
          timeout  = "3s"
        }
      }

      resources {
        cpu    = 2000
        memory = 2048
      }

      kill_timeout = "30s"
    }
  }
}
