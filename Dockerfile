# syntax=docker/dockerfile:1
# The ipfailover agent image: `ipfailover agent` supervising keepalived, for the Deployment the
# constructs synthesize (and for the hand-written Deployment of the OpenShift docs).
# Build: docker build -t ghcr.io/ipfailover/ipfailover:0.1.0 .   (or: buildah bud / podman build)
# Privileges and why: docs/agent.md, "The image".

# Both stages on the same pinned Debian 12 (bookworm) Node.js 20 base. Pin the digest too when
# you publish (docker buildx imagetools inspect node:20.20.2-bookworm-slim).
ARG NODE_IMAGE=node:20.20.2-bookworm-slim

# --- build: compile TypeScript, keep only the runtime dependencies -----------------------------
FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY lib ./lib
RUN npx tsc -p tsconfig.build.json \
 && npm prune --omit=dev --ignore-scripts --no-audit --no-fund \
 # The agent needs only its own modules: the CLI, the agent and the pure core.
 && mkdir -p /out/dist \
 && cp -r dist/cli.js dist/cli dist/agent dist/core /out/dist/ \
 && cp -r node_modules package.json /out/

# --- runtime: keepalived, iptables, procps (pgrep for the liveness probe), iproute2, tini -------
FROM ${NODE_IMAGE}
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      keepalived iptables procps iproute2 tini \
 && rm -rf /var/lib/apt/lists/* \
 # Debian's iptables defaults to the nft backend, the one RHCOS and RHEL 8/9 hosts use, so the
 # rule lands in the same tables the host's own iptables shows.
 && update-alternatives --set iptables /usr/sbin/iptables-nft \
 && mkdir -p /etc/keepalived /etc/keepalive
COPY --from=build /out /opt/ipfailover
RUN chmod 0755 /opt/ipfailover/dist/cli.js \
 && ln -s /opt/ipfailover/dist/cli.js /usr/local/bin/ipfailover

# keepalived must manage addresses and send raw VRRP packets in the host's network namespace
# (CAP_NET_ADMIN, CAP_NET_RAW) and switch to the unprivileged script user `nobody`
# (CAP_SETUID, CAP_SETGID); the pod runs privileged with hostNetwork, as OpenShift documents.
# Check and notify scripts never run as root: keepalived drops to `nobody` for them.
USER 0
# tini as PID 1 reaps keepalived's script children and passes SIGTERM to the agent, which
# forwards it to keepalived so the VIPs are released at once (graceful handover).
ENTRYPOINT ["/usr/bin/tini", "--", "ipfailover", "agent"]
