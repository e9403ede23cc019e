/**
 * The props of ipfailover's constructs, written once: cdk8s uses them as they are and the Pulumi
 * args extend them, so the documentation is inherited rather than copied.
 *
 * Plan-affecting fields (`virtualIps`, `vipGroups`, `vrrpIdOffset`, `replicas`, `name`,
 * `namespace`) are plain values, not tokens or outputs: the planner must see them while the
 * stack is being built to allocate VRRP IDs and check them against every other instance.
 */

/** A script given inline (stored in a ConfigMap mounted at `/etc/keepalive`, mode 0755). */
export interface InlineScript {
  /** The script text; must start with a `#!` line because keepalived executes it directly. */
  readonly inline: string;
}

/**
 * A script already present in the failover pod's file system, such as a program in the image.
 * The agent refuses to start when it is missing or cannot be run by the script user `nobody`.
 */
export interface ScriptPath {
  /** Absolute path inside the failover pod. */
  readonly path: string;
}

/**
 * A script from a ConfigMap of your own in the instance's namespace, as the docs provide one
 * (`oc create configmap mycustomcheck --from-file=mycheckscript.sh`): the key is mounted as
 * `/etc/keepalive/<key>` with mode 0755, and that path is the script. The ConfigMap is yours:
 * it is neither created nor deleted here, and the pods do not start until it exists.
 */
export interface ConfigMapScript {
  /** Name of the ConfigMap, in the failover instance's namespace. */
  readonly configMap: string;
  /** The key holding the script; also its file name in `/etc/keepalive`. */
  readonly key: string;
}

/** A check or notify script: inline text, a path inside the pod, or a key of your ConfigMap. */
export type ScriptSource = InlineScript | ScriptPath | ConfigMapScript;

/** Preempt after a delay: a recovered higher-priority node takes its VIPs back after this long. */
export interface PreemptDelay {
  /** Seconds to wait before preempting, 0..1000 (keepalived's range). */
  readonly delaySeconds: number;
}

/**
 * What a recovered higher-priority node does: `'nopreempt'` leaves the VIP where it is, a delay
 * takes it back after `delaySeconds`.
 */
export type Preemption = 'nopreempt' | PreemptDelay;

/** The ways the failover Deployment can replace its pods: the values of `strategy`. */
export const DEPLOYMENT_STRATEGIES = ['Recreate', 'RollingUpdate'] as const;

/** How the failover Deployment replaces its pods. */
export type DeploymentStrategy = (typeof DEPLOYMENT_STRATEGIES)[number];

/** Where the agents learn the nodes of their instance: the values of `peers`. */
export const PEER_SOURCES = ['cluster', 'clusterUnicast', 'static'] as const;

/**
 * Where the agents learn the nodes of their instance: `'cluster'` and `'clusterUnicast'` read
 * them from the Kubernetes API (VRRP multicast or unicast to them); `'static'` reads nothing,
 * and takes the `unicastPeers` list, or without one the node name's hash.
 */
export type PeerSource = (typeof PEER_SOURCES)[number];

/** Props of `IpFailover`: one keepalived Deployment serving a set of virtual IPs. */
export interface IpFailoverOptions {
  /**
   * The virtual IPs to keep available, `OPENSHIFT_HA_VIRTUAL_IPS`: a string in the documented
   * syntax (`"1.2.3.4-6,1.2.3.9"`, last-octet ranges, IPv6 last-group ranges) or a list of such
   * items. Duplicates are dropped; a CIDR is refused (use `ExternalIpPool`). Plain value.
   */
  readonly virtualIps: string | readonly string[];

  /**
   * Number of VRRP groups the VIPs are packed into, `OPENSHIFT_HA_VIP_GROUPS`. The VIPs of one
   * group move together. 7 VIPs in 3 groups are grouped 3, 2, 2. Plain value.
   * @default - one group per VIP
   */
  readonly vipGroups?: number;

  /**
   * Host interface that carries VRRP and the VIPs, `OPENSHIFT_HA_NETWORK_INTERFACE`. Use `br-ex`
   * on OVN-Kubernetes.
   * @default 'eth0'
   */
  readonly networkInterface?: string;

  /**
   * TCP port checked on the node, `OPENSHIFT_HA_MONITOR_PORT`; a node whose port does not answer
   * gives up its VIPs. `0` disables the check.
   * @default 80
   */
  readonly monitorPort?: number;

  /**
   * First VRRP ID minus one, `OPENSHIFT_HA_VRRP_ID_OFFSET`, 0..255: the groups get IDs
   * `offset + 1 … offset + groups`, which must stay within 255 and not overlap any other
   * instance. Plain value.
   * @default - the offset the VRRP ID lock file records for the instance, else the lowest free
   * offset, assigned by the stack's planner in declaration order
   */
  readonly vrrpIdOffset?: number;

  /**
   * Failover pods, `spec.replicas` and `OPENSHIFT_HA_REPLICA_COUNT`; set it to the number of
   * nodes the node selector picks. Plain value.
   * @default 2
   */
  readonly replicas?: number;

  /**
   * Nodes the failover pods run on.
   * @default { 'node-role.kubernetes.io/worker': '' }
   */
  readonly nodeSelector?: Readonly<Record<string, string>>;

  /**
   * Addresses of every failover node, for clouds without multicast. Setting them turns unicast
   * on (`OPENSHIFT_HA_USE_UNICAST=true`, `OPENSHIFT_HA_UNICAST_PEERS`); list at least `replicas`
   * addresses.
   * @default - multicast to 224.0.0.18
   */
  readonly unicastPeers?: readonly string[];

  /**
   * Where the agents learn the nodes of their instance, `IPFAILOVER_PEERS` (ours). Knowing them,
   * each node takes exact VRRP priorities: with N nodes up, none masters more than
   * `ceil(groups / N)` groups, whatever the node names.
   * - `'cluster'`: from the Kubernetes API, the nodes the instance's pods run on (a Role allows the
   *   pods' service account to get, list and watch pods in the namespace, nothing else);
   *   VRRP stays multicast.
   * - `'clusterUnicast'`: the same, and VRRP runs unicast to those nodes' addresses: for networks
   *   without multicast, with no list to keep.
   * - `'static'`: no API access: `unicastPeers` when given, else multicast with ranks from a hash
   *   of each node's name (two nodes can then share a rank), as OpenShift's image does.
   *
   * When the API cannot be reached, the agent keeps the nodes it last listed (at start, `'cluster'`
   * uses the name's hash until the API answers, and `'clusterUnicast'` waits for it). Red Hat's
   * image ignores this variable.
   * @default - 'cluster', or 'static' when `unicastPeers` is given
   */
  readonly peers?: PeerSource;

  /**
   * iptables chain that gets the rule accepting VRRP, `OPENSHIFT_HA_IPTABLES_CHAIN`; `''` adds no
   * rule.
   * @default 'INPUT'
   */
  readonly iptablesChain?: string;

  /**
   * Script run every `checkIntervalSeconds`, `OPENSHIFT_HA_CHECK_SCRIPT`; exit 0 means healthy.
   * It replaces the port check. `{ inline }` runs as `/etc/keepalive/check.sh`,
   * `{ configMap, key }` as `/etc/keepalive/<key>`, `{ path }` as that path.
   * @default - a TCP connect to `monitorPort` on the node (none when the port is 0)
   */
  readonly checkScript?: ScriptSource;

  /**
   * Script called on every state change with `GROUP|INSTANCE`, the name and the new state
   * (`MASTER`, `BACKUP`, `FAULT`), `OPENSHIFT_HA_NOTIFY_SCRIPT`. `{ inline }` runs as
   * `/etc/keepalive/notify.sh`, `{ configMap, key }` as `/etc/keepalive/<key>`, `{ path }` as
   * that path.
   * @default - none
   */
  readonly notifyScript?: ScriptSource;

  /**
   * Preemption strategy, `OPENSHIFT_HA_PREEMPTION`. With `peers` from the cluster, a delay is
   * lifted while the instance forms (all its pods under 2 minutes old), so a new deployment's
   * nodes take their own groups as they come up; a node that returns later waits the delay.
   * @default { delaySeconds: 300 } (`preempt_delay 300`)
   */
  readonly preemption?: Preemption;

  /**
   * Seconds between two runs of the check, `OPENSHIFT_HA_CHECK_INTERVAL`; an integer ≥ 1.
   * @default 2
   */
  readonly checkIntervalSeconds?: number;

  /**
   * VRRP advertisement interval in seconds, `IPFAILOVER_ADVERT_INTERVAL` (ours). Whole seconds
   * 1..255 run VRRPv2, as OpenShift's image does; a fraction (0.01..40.95, in hundredths) runs
   * VRRPv3 for sub-second failover (the fast profile). Red Hat's image ignores this variable.
   * @default 1
   */
  readonly advertIntervalSeconds?: number;

  /**
   * Seconds between the gratuitous ARPs (unsolicited neighbour advertisements for IPv6 VIPs) the
   * holder of a VIP repeats while it holds it, `IPFAILOVER_GARP_REFRESH_INTERVAL` (ours,
   * keepalived's `vrrp_garp_master_refresh`); whole seconds 0..3600, 0 for none. A master
   * announces its VIPs when it takes them over; the repeats put them back into switch and
   * neighbour tables that dropped or missed that announcement. OpenShift's own on-premise
   * keepalived repeats every 60 s. Red Hat's image ignores this variable.
   * @default 60
   */
  readonly garpRefreshIntervalSeconds?: number;

  /**
   * Name of the Deployment; also the `ipfailover` label, the config name and the prefix of the
   * other objects' names. Plain value.
   * @default - the construct id, lower-cased, with other characters turned into `-`
   */
  readonly name?: string;

  /**
   * Namespace of the namespaced objects. Plain value.
   * @default - the chart's namespace, else 'default'
   */
  readonly namespace?: string;

  /**
   * Container image of the failover pod.
   * @default 'ghcr.io/ipfailover/ipfailover:0.1.0' (built from this repository's Dockerfile)
   */
  readonly image?: string;

  /**
   * Names of Secrets used to pull the image.
   * @default - none
   */
  readonly imagePullSecrets?: readonly string[];

  /**
   * Service account of the failover pods; it is bound to the `privileged` and `hostnetwork` SCCs.
   * Instances sharing a namespace and account name share one account, created by the first.
   * @default 'ipfailover'
   */
  readonly serviceAccountName?: string;

  /**
   * How the failover Deployment replaces its pods on a change. `RollingUpdate` replaces one pod
   * at a time (`maxUnavailable: 1`, `maxSurge: 0`): each old pod hands its VIPs over as it stops,
   * so a VIP the change leaves alone is unserved for one graceful handover (about 0.2 s with 1 s
   * adverts). `Recreate`, the docs' example, stops every pod before starting new ones: every VIP
   * is unserved for the pod start and the master-down interval. A change old and new pods
   * cannot agree on (the VRRP IDs, which VIPs a group holds, the advert interval, unicast or
   * multicast) puts VIPs on two nodes while it rolls: apply it with `Recreate` (see
   * docs/rolling-changes.md).
   * @default 'RollingUpdate'
   */
  readonly strategy?: DeploymentStrategy;

  /**
   * Emit a PodMonitor and a PrometheusRule (`monitoring.coreos.com/v1`) for OpenShift's
   * user-workload monitoring: Prometheus scrapes every failover pod's `/metrics` on its host port,
   * and alerts fire for a VIP no node holds, a VIP two nodes hold, a VIP that keeps changing
   * nodes, and no agent running (docs/agent.md). Off by default: the objects need the
   * prometheus-operator's CRDs (OpenShift has them; MicroShift and plain Kubernetes may not), and
   * they do nothing until a cluster admin enables user-workload monitoring. The readiness probe
   * and `ipfailover status` work without them. Plain value.
   * @default false
   */
  readonly monitoring?: boolean;
}

/** Props of `ExternalIpPool`: the cluster's ExternalIP range, served by one failover instance. */
export interface ExternalIpPoolProps extends Omit<IpFailoverOptions, 'virtualIps'> {
  /**
   * The range, written to the cluster `Network`'s `spec.externalIP.autoAssignCIDRs` and
   * `policy.allowedCIDRs`; IPv4 /24 or smaller (IPv6 /120), because the cluster serves at most
   * 254 VRRP groups. Its host addresses are the VIPs. Plain value.
   */
  readonly cidr: string;
}

/** The docs' three ways to reach a highly available service: the values of `exposure`. */
export const EXPOSURES = ['externalIp', 'nodePort', 'hostNetwork'] as const;

/** How clients reach a highly available service (the docs' three ways). */
export type Exposure = (typeof EXPOSURES)[number];

/** One port of the Service an `HaService` creates. */
export interface HaServicePort {
  /** The Service port; with `exposure: 'externalIp'` clients use VIP:port. */
  readonly port: number;
  /**
   * Port on the pods.
   * @default - the same as `port`
   */
  readonly targetPort?: number;
  /**
   * The node port; required with `exposure: 'nodePort'`, since the failover pods must know the
   * port they check when they start, before Kubernetes would allocate one.
   * @default - none (required for nodePort)
   */
  readonly nodePort?: number;
  /**
   * Protocol.
   * @default 'TCP'
   */
  readonly protocol?: 'TCP' | 'UDP' | 'SCTP';
  /**
   * Port name; required by Kubernetes when there are several ports.
   * @default - none
   */
  readonly name?: string;
}

/**
 * Props of `HaService`, shared by both front ends; the front ends add the framework-specific
 * `pool` (an `ExternalIpPool`) and `workload` (for `exposure: 'hostNetwork'`).
 */
export interface HaServiceOptions extends Omit<IpFailoverOptions, 'virtualIps'> {
  /**
   * How clients reach the service: `'externalIp'` (a Service whose external IPs are the VIPs;
   * the failover checks the service port), `'nodePort'` (a NodePort Service reached at
   * VIP:nodePort; the failover checks the node port), or `'hostNetwork'` (no Service: a
   * host-networked workload such as a router; the failover runs with the workload's node
   * selector and replica count).
   */
  readonly exposure: Exposure;

  /**
   * The VIPs. With an ExternalIP pool they may be left out (addresses are allocated) or must lie
   * inside the pool. Plain value.
   * @default - allocated from `pool` (required without a pool)
   */
  readonly virtualIps?: string | readonly string[];

  /**
   * How many addresses to allocate from the pool when `virtualIps` is not given.
   * @default 1
   */
  readonly addressCount?: number;

  /**
   * Ports of the Service (`externalIp` and `nodePort` exposures).
   * @default - none (required unless `exposure` is 'hostNetwork')
   */
  readonly ports?: readonly HaServicePort[];

  /**
   * Labels of the pods the Service routes to (`externalIp` and `nodePort` exposures).
   * @default - none (required unless `exposure` is 'hostNetwork')
   */
  readonly selector?: Readonly<Record<string, string>>;

  /**
   * The port the failover checks on each node.
   * @default - the first service port (`externalIp`), its node port (`nodePort`), or the
   * workload's first container port (`hostNetwork`)
   */
  readonly monitorPort?: number;
}
