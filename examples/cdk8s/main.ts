/**
 * The docs' scenarios as one cdk8s app; `npx cdk8s synth` writes one file per chart to dist/:
 * - geo-us-west: the "highly available router and geo-cache" walkthrough, a host-networked
 *   router made highly available with HaService, and the geo-cache with its own IpFailover;
 * - postgresql: PostgreSQL on a NodePort, checked on the node port;
 * - external-ip: an ExternalIP pool serving a web service's external IP.
 * One planner sees all of them, so their VRRP IDs never overlap.
 */
import { App, Chart, type ChartProps } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import type { Construct } from 'constructs';
import { ExternalIpPool, HaService, IpFailover } from '../../lib/cdk8s';

const usWestNodes = { 'ha-svc-nodes': 'geo-us-west' };

/** Router and geo-cache VIPs for the us-west nodes. */
export class GeoUsWestChart extends Chart {
  /** The router's VIPs, following the router's nodes and replica count. */
  public readonly router: HaService;
  /** Failover for the geo-cache, watching it with a check script. */
  public readonly geoCache: IpFailover;

  constructor(scope: Construct, id: string, props: ChartProps = {}) {
    super(scope, id, props);
    const routerPods = new kplus.Deployment(this, 'ha-router-us-west', {
      replicas: 5,
      hostNetwork: true,
      containers: [
        { image: 'registry.example.com/router:1.0', portNumber: 80, securityContext: { ensureNonRoot: false } },
      ],
    });
    routerPods.scheduling.attract(kplus.Node.labeled(kplus.NodeLabelQuery.is('ha-svc-nodes', 'geo-us-west')));
    this.router = new HaService(this, 'router-us-west', {
      exposure: 'hostNetwork',
      workload: routerPods,
      virtualIps: '203.0.113.101-105',
    });
    this.geoCache = new IpFailover(this, 'ipf-ha-geo-cache', {
      virtualIps: ['198.51.100.101-103', '198.51.100.104', '198.51.100.105'],
      vipGroups: 2,
      monitorPort: 9736,
      replicas: 5,
      nodeSelector: usWestNodes,
      checkScript: {
        inline: '#!/bin/sh\n# healthy when the geo-cache answers on its port\nexec nc -z 127.0.0.1 9736\n',
      },
      preemption: 'nopreempt',
      strategy: 'RollingUpdate',
    });
  }
}

/** PostgreSQL reached at VIP:32439 on whichever node holds the VIP (the docs' NodePort example). */
export class PostgresqlChart extends Chart {
  /** The NodePort service and its failover. */
  public readonly postgresql: HaService;

  constructor(scope: Construct, id: string, props: ChartProps = {}) {
    super(scope, id, props);
    this.postgresql = new HaService(this, 'postgresql', {
      exposure: 'nodePort',
      selector: { app: 'postgresql' },
      ports: [{ port: 5432, nodePort: 32439 }],
      virtualIps: '203.0.113.50',
      replicas: 2,
      nodeSelector: { 'app-type': 'postgresql' },
    });
  }
}

/** The ExternalIP range made highly available, and a service taking its external IP from it. */
export class ExternalIpChart extends Chart {
  /** The pool: cluster ExternalIP settings plus the failover serving the range. */
  public readonly pool: ExternalIpPool;
  /** A web service with an external IP allocated from the pool. */
  public readonly web: HaService;

  constructor(scope: Construct, id: string, props: ChartProps = {}) {
    super(scope, id, props);
    this.pool = new ExternalIpPool(this, 'external-ips', { cidr: '192.0.2.0/28', vipGroups: 2, monitorPort: 443 });
    this.web = new HaService(this, 'web', {
      exposure: 'externalIp',
      pool: this.pool,
      selector: { app: 'web' },
      ports: [{ port: 8080 }],
    });
  }
}

/** Builds the example app; tests synthesize it with `Testing.app()`. */
export function buildApp(app: App = new App()): App {
  const props = { namespace: 'ipfailover' };
  new GeoUsWestChart(app, 'geo-us-west', props);
  new PostgresqlChart(app, 'postgresql', props);
  new ExternalIpChart(app, 'external-ip', props);
  return app;
}

if (require.main === module) {
  buildApp().synth();
}
