# The egress gateway on every sandbox node (docs/nomad.md, "Egress on a cluster"): `polydev egress gateway` makes
# the node's sandbox network (the Docker network, bridge, subnet and iptables chain a single host's server makes),
# redirects the egress port range to its relay, relays each connection to the server's egress proxy with a PROXY v2
# header naming the sandbox, and marks the node ready (dynamic node meta polydev_egress = ready) so sandboxes are
# placed there. NomadDeploymentFilesTests parses this file and checks it against the server's defaults.
#
#   nomad var put nomad/jobs/polydev-egress nomad_token=<ACL token secret with node:write>
#   nomad job run polydev-egress.nomad.hcl
#
# The token sets and clears this node's metadata (/v1/client/metadata needs node:write), nothing else.

variable "polydev" {
  type        = string
  description = "The polydev binary on the sandbox nodes."
  default     = "/usr/local/bin/polydev"
}

job "polydev-egress" {
  type      = "system"
  node_pool = "sandboxes" # the sandbox nodes' pool (client.hcl): every one of them, and nothing else
  # Placed ahead of anything else on a node (sandboxes wait for it anyway: they need its ready mark).
  priority = 80

  constraint {
    attribute = "${attr.kernel.name}"
    value     = "linux"
  }

  group "gateway" {
    network {
      # /health and /metrics.
      port "health" {
        static = 9902
      }
      # The relay listens on the sandbox network's gateway address (10.213.0.1), not on the node's; reserved here so
      # that Nomad hands the port to no other task.
      port "relay" {
        static = 9901
      }
    }

    restart {
      attempts = 10
      interval = "5m"
      delay    = "10s"
      mode     = "delay"
    }

    task "gateway" {
      # On the host, as root: it installs the node's iptables rules and creates the Docker network.
      driver = "raw_exec"

      config {
        command = var.polydev
        # The server's address (--upstream, the same as POLYDEV_EGRESS__GATEWAY__UPSTREAM) comes from the template
        # below, so the gateway follows the server when it moves to another host.
        args = ["egress", "gateway", "--nomad", "http://127.0.0.1:4646"]
      }

      env {
        POLYDEV_URLS = "http://${NOMAD_ADDR_health}"

        # The server's egress range and the relay port (Egress:FirstPort/LastPort, Egress:Gateway:RelayPort):
        # the server's defaults; change them here and in the server's settings together.
        POLYDEV_EGRESS__FIRSTPORT          = "10001"
        POLYDEV_EGRESS__LASTPORT           = "19999"
        POLYDEV_EGRESS__GATEWAY__RELAYPORT = "9901"
        # The node meta the server's placement constraint asks for (Sandboxes:Nomad:Egress:ReadyMeta).
        POLYDEV_EGRESS__GATEWAY__READYMETA = "polydev_egress"

        # The node's sandbox network (Sandboxes:Docker:Network:*): its name is the server's
        # Sandboxes:Nomad:Driver:Network, and its gateway, the subnet's first address, Sandboxes:Nomad:Egress:Address.
        POLYDEV_SANDBOXES__DOCKER__NETWORK__NAME       = "polydev-sandboxes"
        POLYDEV_SANDBOXES__DOCKER__NETWORK__BRIDGENAME = "pd-sandbox0"
        POLYDEV_SANDBOXES__DOCKER__NETWORK__SUBNET     = "10.213.0.0/24"
      }

      # The node-meta token, from the Variable, and the server's address, from Nomad's service catalog.
      template {
        destination = "secrets/gateway.env"
        env         = true
        change_mode = "restart"
        perms       = "0400"
        data        = <<-EOT
          {{- with nomadVar "nomad/jobs/polydev-egress" }}
          NOMAD_TOKEN={{ .nomad_token }}
          {{- end }}
          {{- range nomadService "polydev-server" }}
          POLYDEV_EGRESS__GATEWAY__UPSTREAM={{ .Address }}
          {{- end }}
        EOT
      }

      service {
        name     = "polydev-egress"
        provider = "nomad"
        port     = "health"

        check {
          name     = "relaying"
          type     = "http"
          path     = "/health"
          interval = "10s"
          timeout  = "2s"
        }
      }

      resources {
        cpu    = 500
        memory = 256
      }

      # Time to clear the node's ready mark before the relay goes.
      kill_timeout = "10s"
    }
  }
}
