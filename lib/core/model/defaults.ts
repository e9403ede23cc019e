/**
 * Every default value of ipfailover, written once. `normalize()` applies {@link DEFAULTS} to
 * props; the env reader applies {@link ENV_DEFAULTS} where an unset variable means something
 * other than the props default (OpenShift's image and docs disagree there).
 */

/** The agent image this version of the library synthesizes by default. */
export const DEFAULT_IMAGE = 'ghcr.io/ipfailover/ipfailover:0.1.0';

/** Defaults of {@link IpFailoverOptions}; the TSDoc `@default` of each prop states the same value. */
export const DEFAULTS = {
  networkInterface: 'eth0',
  monitorPort: 80,
  replicas: 2,
  nodeSelector: { 'node-role.kubernetes.io/worker': '' } as Readonly<Record<string, string>>,
  iptablesChain: 'INPUT',
  preemptDelaySeconds: 300,
  checkIntervalSeconds: 2,
  advertIntervalSeconds: 1,
  garpRefreshIntervalSeconds: 60,
  image: DEFAULT_IMAGE,
  serviceAccountName: 'ipfailover',
  strategy: 'RollingUpdate',
  peers: 'cluster',
  monitoring: false,
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
