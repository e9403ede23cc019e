/**
 * Every default value of ipfailover, written once. `normalize()` applies {@link DEFAULTS} to
 * props; the env reader applies {@link ENV_DEFAULTS} where an unset variable means something
 * other than the props default (OpenShift's image and docs disagree there).
 */

/** The agent image this version of the library synthesizes by default. */
export const DEFAULT_IMAGE = 'ghcr.io/ipfailover/ipfailover:0.1.0';

/** Defaults of {@link IpFailoverProps}; the TSDoc `@default` of each prop states the same value. */
export const DEFAULTS = {
  networkInterface: 'eth0',
  monitorPort: 80,
  replicas: 2,
  nodeSelector: { 'node-role.kubernetes.io/worker': '' } as Readonly<Record<string, string>>,
  iptablesChain: 'INPUT',
  preemptDelaySeconds: 300,
  checkIntervalSeconds: 2,
  advertIntervalSeconds: 1,
  image: DEFAULT_IMAGE,
  serviceAccountName: 'ipfailover',
  strategy: 'Recreate',
  namespace: 'default',
} as const;

/**
 * What an unset (or empty) `OPENSHIFT_HA_*` variable means to the agent, where that differs from
 * the props default. The docs say "if the value is not set, an iptables rule is not added", and
 * Red Hat's image names an unnamed config `OpenShift-IPFailover`.
 */
export const ENV_DEFAULTS = {
  configName: 'OpenShift-IPFailover',
  iptablesChain: '',
  vrrpIdOffset: 0,
} as const;

/** Where inline check/notify scripts are mounted: the docs' `/etc/keepalive`. */
export const SCRIPTS_MOUNT_PATH = '/etc/keepalive';
/** File name of an inline check script inside {@link SCRIPTS_MOUNT_PATH}. */
export const CHECK_SCRIPT_FILE = 'check.sh';
/** File name of an inline notify script inside {@link SCRIPTS_MOUNT_PATH}. */
export const NOTIFY_SCRIPT_FILE = 'notify.sh';
/** The hostPort base; each instance uses `63000 + vrrpIdOffset`, as `oc adm ipfailover` did. */
export const HOST_PORT_BASE = 63000;

/** VRRP IDs keepalived accepts (RFC 5798 VRID). */
export const VRRP_ID_MIN = 1;
/** Highest VRRP ID. */
export const VRRP_ID_MAX = 255;
/** The docs' cluster limit on VRRP groups ("limited to 254 groups of VIP addresses"). */
export const MAX_CLUSTER_GROUPS = 254;
/** Longest range one VIP item may expand to (an IPv4 last-octet range is at most 256). */
export const MAX_RANGE_ADDRESSES = 256;
