/** Where things are inside a failover pod: the scripts mount and its files, and the host port. */

/** Where inline check/notify scripts are mounted: the docs' `/etc/keepalive`. */
export const SCRIPTS_MOUNT_PATH = '/etc/keepalive';
/** File name of an inline check script inside {@link SCRIPTS_MOUNT_PATH}. */
export const CHECK_SCRIPT_FILE = 'check.sh';
/** File name of an inline notify script inside {@link SCRIPTS_MOUNT_PATH}. */
export const NOTIFY_SCRIPT_FILE = 'notify.sh';
/**
 * The image's state directory (its entrypoint's `--state-dir`): the config, the pid files and the
 * nodes last listed, which an `emptyDir` there keeps across a container's restarts.
 */
export const STATE_DIR = '/var/lib/ipfailover';
/** The hostPort base; each instance uses `63000 + vrrpIdOffset`, as `oc adm ipfailover` did. */
export const HOST_PORT_BASE = 63000;
/**
 * The node's name, from the downward API's `spec.nodeName`: what the pods the agent lists say
 * their node is (a host name can differ from it). Set when the instance reads its nodes from the
 * cluster; unset, the agent takes the host name.
 */
export const NODE_NAME_ENV = 'IPFAILOVER_NODE_NAME';
