# syntax=docker/dockerfile:1
# The ipfailover agent image: `ipfailover agent` supervising keepalived, for the Deployment the
# constructs synthesize (and for the hand-written Deployment of the OpenShift docs).
#
# Build:   docker build -t registry.example.com/ipfailover:0.1.0 .
#          (or `buildah bud` / `podman build`; CI builds it with `buildah bud --isolation chroot`)
# Behind a TLS-intercepting proxy, hand the build your CA bundle as a secret: it is mounted only
# while `npm ci` runs and never stored in a layer:
#          docker build --secret id=ca,src=/etc/ssl/certs/ca-certificates.crt -t … .
# Privileges and why: docs/agent.md, "The image".

# Both stages on the same pinned Debian 12 (bookworm) Node.js 20 base. Pin the digest too when
# you publish (docker buildx imagetools inspect node:20.20.2-bookworm-slim).
ARG NODE_IMAGE=node:20.20.2-bookworm-slim

# --- build: compile TypeScript, keep only the runtime dependencies -----------------------------
FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
# The optional `ca` secret: extra CA certificates for npm (a corporate proxy), used for this step only.
RUN --mount=type=secret,id=ca,required=false \
    if [ -s /run/secrets/ca ]; then export NODE_EXTRA_CA_CERTS=/run/secrets/ca; fi \
 && npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY lib ./lib
RUN npx tsc -p tsconfig.build.json \
 && npm prune --omit=dev --ignore-scripts --no-audit --no-fund \
 # The agent needs only its own modules: the CLI, the agent and the pure core.
 && mkdir -p /out/dist \
 && cp -r dist/cli.js dist/cli dist/agent dist/core /out/dist/ \
 && cp -r node_modules package.json /out/

# --- runtime -------------------------------------------------------------------------------------
FROM ${NODE_IMAGE}
# keepalived; iptables (the VRRP rule); iproute2 (`ip`, for `remove`); procps (pgrep, the liveness
# probe); tini (PID 1); libcap2-bin (setcap here, and a dependency of iproute2: never purge it);
# curl and netcat-openbsd for check scripts (bash, with /dev/tcp, is already in the base).
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      keepalived iptables iproute2 procps tini libcap2-bin curl netcat-openbsd ca-certificates \
 && apt-get clean && rm -rf /var/lib/apt/lists/* \
 # Debian's iptables defaults to the nft backend, the one RHCOS and RHEL 8/9 hosts use, so the
 # rule lands in the same tables the host's own iptables shows.
 && update-alternatives --set iptables /usr/sbin/iptables-nft \
 # Smoke check: a dependency cascade (as once, when purging libcap2-bin took iproute2 and
 # keepalived with it) fails the build here instead of shipping an image that cannot run. It
 # runs before setcap: a binary whose file capabilities exceed the bounding set (a build
 # container's) cannot be executed at all.
 && keepalived --version \
 && ip -V \
 && iptables -V | grep -q nf_tables \
 && pgrep -V && tini --version && curl --version | head -n 1 && nc -h 2>&1 | head -n 1 \
 # Non-root: the agent runs as nobody; only these binaries carry the privileges they need
 # (docs/agent.md, "Privileges, and why"). keepalived: addresses and multicast membership
 # (NET_ADMIN), raw VRRP packets (NET_RAW), and switching to the script user (SETUID, SETGID;
 # without them keepalived 2.2.7 cannot drop supplementary groups and counts every check as
 # passed). iptables: the VRRP rule (NET_ADMIN, NET_RAW). Not `ip`: it drops every capability
 # when a non-root user runs it, so the removal Job runs as root instead.
 && setcap cap_net_admin,cap_net_raw,cap_setuid,cap_setgid+ep /usr/sbin/keepalived \
 && setcap cap_net_admin,cap_net_raw+ep /usr/sbin/xtables-nft-multi \
 && setcap -v cap_net_admin,cap_net_raw,cap_setuid,cap_setgid+ep /usr/sbin/keepalived \
 && setcap -v cap_net_admin,cap_net_raw+ep /usr/sbin/xtables-nft-multi \
 && mkdir -p /var/lib/ipfailover /etc/keepalive \
 && chown 65534:65534 /var/lib/ipfailover
COPY --from=build /out /opt/ipfailover
RUN chmod 0755 /opt/ipfailover/dist/cli.js \
 && ln -s /opt/ipfailover/dist/cli.js /usr/local/bin/ipfailover \
 && ipfailover --version

# nobody. File capabilities need the pod to allow them: privileged (as OpenShift documents), or
# capabilities.add [NET_ADMIN, NET_RAW] with hostNetwork and the runtime's default SETUID and SETGID
# kept (a file capability missing from the bounding set makes keepalived unexecutable), and never
# allowPrivilegeEscalation: false.
# Check and notify scripts run as nobody too, with no capabilities.
USER 65534:65534
# tini as PID 1 reaps keepalived's script children and passes SIGTERM to the agent, which
# forwards it to keepalived so the VIPs are released at once (graceful handover).
ENTRYPOINT ["/usr/bin/tini", "--", "ipfailover", "agent", "--state-dir", "/var/lib/ipfailover"]
