/** The limits ipfailover enforces, each from the protocol, the docs or the API server it names. */

/** VRRP IDs keepalived accepts (RFC 5798 VRID). */
export const VRRP_ID_MIN = 1;
/** Highest VRRP ID. */
export const VRRP_ID_MAX = 255;
/** The docs' cluster limit on VRRP groups ("limited to 254 groups of VIP addresses"). */
export const MAX_CLUSTER_GROUPS = 254;
/** Longest range one VIP item may expand to (an IPv4 last-octet range is at most 256). */
export const MAX_RANGE_ADDRESSES = 256;
/** Longest data a ConfigMap may hold, all keys together (the API server's limit, 1 MiB). */
export const MAX_CONFIGMAP_BYTES = 1024 * 1024;
