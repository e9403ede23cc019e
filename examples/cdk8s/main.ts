/**
 * The docs' "highly available router and geo-cache" walkthrough as a cdk8s app: two failover
 * instances on the same five labelled nodes, each with its own VIPs; the planner gives them
 * non-overlapping VRRP IDs. `npx cdk8s synth` writes dist/ipfailover-example.k8s.yaml.
 */
import { App, Chart, type ChartProps } from 'cdk8s';
import type { Construct } from 'constructs';
import { IpFailover } from '../../lib/cdk8s';

const usWestNodes = { 'ha-svc-nodes': 'geo-us-west' };

/** Router and geo-cache VIPs for the us-west nodes. */
export class GeoUsWestChart extends Chart {
  /** Failover for the router, watching port 80 on each node. */
  public readonly router: IpFailover;
  /** Failover for the geo-cache, watching it with a check script. */
  public readonly geoCache: IpFailover;

  constructor(scope: Construct, id: string, props: ChartProps = {}) {
    super(scope, id, props);
    this.router = new IpFailover(this, 'ipf-ha-router-us-west', {
      virtualIps: '203.0.113.101-105',
      monitorPort: 80,
      replicas: 5,
      nodeSelector: usWestNodes,
    });
    this.geoCache = new IpFailover(this, 'ipf-ha-geo-cache', {
      virtualIps: ['198.51.100.101-103', '198.51.100.104', '198.51.100.105'],
      vipGroups: 2,
      monitorPort: 9736,
      replicas: 5,
      nodeSelector: usWestNodes,
      checkScript: { inline: '#!/bin/sh\n# healthy when the geo-cache answers on its port\nexec nc -z 127.0.0.1 9736\n' },
      preemption: 'nopreempt',
      strategy: 'RollingUpdate',
    });
  }
}

/** Builds the example app; tests synthesize it with `Testing.app()`. */
export function buildApp(app: App = new App()): App {
  new GeoUsWestChart(app, 'ipfailover-example', { namespace: 'ipfailover' });
  return app;
}

if (require.main === module) {
  buildApp().synth();
}
