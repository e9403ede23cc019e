/**
 * ipfailover with Pulumi: the three components in one program, so the program's planner gives
 * every failover instance VRRP IDs that never overlap.
 * - `router`: the ingress routers' VIPs on the infra nodes, multicast VRRP (IpFailover);
 * - `database`: a database VIP on an OpenShift cluster on Red Hat OpenStack, made an allowed
 *   address pair on the worker ports (the docs' RHOSP step) and reserved on the network
 *   (IpFailover with `openstack`);
 * - `external-ips` and `web`: the cluster's ExternalIP range made highly available, and a web
 *   service whose external IP is allocated from it (ExternalIpPool, HaService).
 *
 * `pulumi up` in this directory (with a kubeconfig and, for RHOSP, the `openstack` CLI logged in)
 * creates them; the tests run it under mocks.
 */
import * as k8s from '@pulumi/kubernetes';
import * as pulumi from '@pulumi/pulumi';
import { configureFailoverPlanner, ExternalIpPool, HaService, IpFailover } from '../../lib/pulumi';

const config = new pulumi.Config();
const kubeconfig = config.get('kubeconfig') ?? '';
const cluster = new k8s.Provider('cluster', kubeconfig ? { kubeconfig } : {});

// The cluster's own API and ingress VIPs (from install-config.yaml) and the VRRP IDs its
// keepalived uses: no failover instance may take them.
configureFailoverPlanner({ reservedVips: ['192.168.0.5', '192.168.0.7'], reservedVrrpIds: [1, 2, 3] });

export const router = new IpFailover(
  'router',
  {
    virtualIps: '192.168.0.101-103',
    monitorPort: 1936,
    replicas: 3,
    nodeSelector: { 'node-role.kubernetes.io/infra': '' },
    networkInterface: 'br-ex',
  },
  { provider: cluster },
);

const networkId = config.get('rhospNetworkId') ?? '';
const subnetId = config.get('rhospSubnetId') ?? '';
export const database = new IpFailover(
  'database',
  {
    virtualIps: '192.168.0.150',
    monitorPort: 5432,
    namespace: 'databases',
    preemption: 'nopreempt',
    openstack: {
      portIds: config.getObject<string[]>('rhospNodePorts') ?? ['ostest-abcde-worker-0', 'ostest-abcde-worker-1'],
      ...(networkId && subnetId && { reserveOn: { networkId, subnetId } }),
    },
  },
  { provider: cluster },
);

export const pool = new ExternalIpPool(
  'external-ips',
  { cidr: '192.0.2.0/28', vipGroups: 2, monitorPort: 443 },
  { provider: cluster },
);
export const web = new HaService(
  'web',
  {
    exposure: 'externalIp',
    pool,
    selector: { app: 'web' },
    ports: [{ port: 443, targetPort: 8443 }],
    namespace: 'web',
  },
  { provider: cluster },
);

/** VRRP IDs per instance: what each keepalived advertises. */
export const vrrpIds = { router: router.vrrpIds, database: database.vrrpIds, externalIps: pool.failover.vrrpIds };
/** The web service's external IP. */
export const webIp = web.virtualIps;
/** The Deployments to watch. */
export const deployments = [
  router.deployment.metadata.name,
  database.deployment.metadata.name,
  pool.failover.deployment.metadata.name,
];
