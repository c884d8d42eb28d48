# coturn, the TURN server that relays login sessions' media (docs/login-sessions.md, "TURN"), as the operator's own
# coturn (Login:Turn:Mode external) on a control host. Its whole configuration is the output of
# `polydev turn config`, kept in a Nomad Variable (it holds the shared secret) and rendered into the task's
# secrets/ directory, which only this task sees:
#
#   openssl rand -hex 32 > turn-secret
#   POLYDEV_LOGIN__TURN__MODE=external POLYDEV_LOGIN__TURN__PUBLICHOST=turn.example.com \
#     polydev turn config --secret-file turn-secret > turnserver.conf
#   nomad var put nomad/jobs/coturn turnserver_conf=@turnserver.conf
#   nomad job run -var turn_uid=$(id -u turnserver) -var turn_gid=$(id -g turnserver) coturn.nomad.hcl
#
# and give the server the same secret and the URLs (POLYDEV_LOGIN__TURN__SECRET, …__URLS__0, …__SANDBOXURLS__0).
# On Nomad, sandboxes reach no TURN server yet (the egress gateway does not relay it: docs/nomad.md, "Not yet"), so
# this serves viewers and login sandboxes on a Docker host.

variable "turn_uid" {
  type        = number
  description = "uid of the turnserver account (Debian's coturn package makes it), which owns the rendered config."
}

variable "turn_gid" {
  type        = number
  description = "gid of the turnserver account."
}

job "coturn" {
  type      = "service"
  node_pool = "default"

  group "turn" {
    count = 1

    # coturn runs on the host's network (raw_exec has no other): its listening port and its relay range
    # (Login:Turn:MinRelayPort–MaxRelayPort, UDP 49160–49260 by default) are the host's own. The listening port is
    # reserved here; keep the relay range out of Nomad's dynamic ports on this host (client { max_dynamic_port }).
    network {
      port "turn" {
        static = 3478
      }
    }

    restart {
      attempts = 10
      interval = "5m"
      delay    = "5s"
      mode     = "delay"
    }

    task "coturn" {
      driver = "raw_exec"
      user   = "turnserver"

      config {
        command = "/usr/bin/turnserver"
        args    = ["-c", "secrets/turnserver.conf"]
      }

      template {
        destination = "secrets/turnserver.conf"
        perms       = "0400"
        uid         = var.turn_uid
        gid         = var.turn_gid
        change_mode = "restart"
        data        = <<-EOT
          {{- with nomadVar "nomad/jobs/coturn" }}{{ .turnserver_conf }}{{ end }}
        EOT
      }

      service {
        name     = "coturn"
        provider = "nomad"
        port     = "turn"

        check {
          name     = "listening"
          type     = "tcp"
          interval = "10s"
          timeout  = "2s"
        }
      }

      resources {
        cpu    = 1000
        memory = 256
      }
    }
  }
}
