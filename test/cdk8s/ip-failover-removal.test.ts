import { App, Chart, Testing } from 'cdk8s';
import { IpFailover, IpFailoverRemoval } from '../../lib/cdk8s';
import { DEFAULT_IMAGE } from '../../lib/core/model/defaults';
import { removalJobName } from '../../lib/core/emit/removal-jobs';
import { validateAgainstSchema } from '../support/schema';

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const props = { virtualIps: '192.0.2.10-12', networkInterface: 'ens3', checkScript: { inline: '#!/bin/sh\nexit 0\n' } };

describe('IpFailoverRemoval', () => {
  const chart = new Chart(Testing.app(), 'edge', { namespace: 'ipfailover' });
  const removal = new IpFailoverRemoval(chart, 'router', { ...props, nodes: ['worker-0.example.com', 'worker-1'] });
  const objects = Testing.synth(chart) as Obj[];

  test('synthesizes one Job per node, pinned by hostname, running the agent remove with the env', () => {
    const jobs = objects.filter((o) => o.kind === 'Job');
    expect(jobs.map((j) => [j.metadata.name, j.spec.template.spec.nodeSelector])).toEqual([
      ['router-remove-worker-0-example-com', { 'kubernetes.io/hostname': 'worker-0.example.com' }],
      ['router-remove-worker-1', { 'kubernetes.io/hostname': 'worker-1' }],
    ]);
    const pod = jobs[0]!.spec.template.spec;
    expect(pod).toMatchObject({ hostNetwork: true, restartPolicy: 'Never', serviceAccountName: 'ipfailover' });
    expect(pod.containers[0].command).toEqual(['ipfailover', 'remove']);
    // Root: iproute2's ip drops every capability for a non-root user, so only root releases VIPs.
    expect(pod.containers[0].securityContext).toEqual({ privileged: true, runAsUser: 0 });
    expect(pod.containers[0].image).toBe(DEFAULT_IMAGE);
    const env = Object.fromEntries(pod.containers[0].env.map((e: Obj) => [e.name, e.value]));
    expect(env).toMatchObject({
      OPENSHIFT_HA_VIRTUAL_IPS: '192.0.2.10-12',
      OPENSHIFT_HA_NETWORK_INTERFACE: 'ens3',
      OPENSHIFT_HA_IPTABLES_CHAIN: 'INPUT',
    });
  });

  test('keeps the service account the Jobs need and lists the ConfigMaps left to delete', () => {
    expect(objects.filter((o) => o.kind !== 'Job').map((o) => `${o.kind}/${o.metadata.name}`)).toEqual([
      'ServiceAccount/ipfailover',
      'RoleBinding/ipfailover-scc-privileged',
      'RoleBinding/ipfailover-scc-hostnetwork',
    ]);
    expect(removal.configMapsToDelete).toEqual(['router-scripts']);
    for (const obj of objects) expect(() => validateAgainstSchema(obj as never)).not.toThrow();
  });

  test('shares the service account with failovers still in the app', () => {
    const c = Testing.chart();
    new IpFailover(c, 'cache', { virtualIps: '192.0.2.20' });
    new IpFailoverRemoval(c, 'router', { ...props, nodes: ['worker-0'] });
    expect((Testing.synth(c) as Obj[]).filter((o) => o.kind === 'ServiceAccount')).toHaveLength(1);
  });

  test('keeps Job names within 63 characters', () => {
    const long = `node-${'x'.repeat(70)}.example.com`;
    expect(removalJobName('router', long)).toMatch(/^router-remove-[0-9a-f]{8}$/);
    expect(removalJobName('router', long)).not.toBe(removalJobName('router', `${long}x`));
  });

  describe('the image of the Jobs: always one with ipfailover remove', () => {
    const imageOf = (extra: Record<string, string>): string => {
      const c = Testing.chart();
      new IpFailoverRemoval(c, 'router', { ...props, nodes: ['worker-0'], ...extra });
      return (Testing.synth(c) as Obj[]).find((o) => o.kind === 'Job')!.spec.template.spec.containers[0].image;
    };

    test.each([
      ["ipfailover's own image, at another registry", 'quay.example/ipfailover:1.2.3', 'quay.example/ipfailover:1.2.3'],
      [
        'ours at a registry with a port, untagged',
        'registry.example:5000/ipfailover',
        'registry.example:5000/ipfailover',
      ],
      [
        'ours, whatever its tag says',
        'quay.example/ipfailover:keepalived-ipfailover-compat',
        'quay.example/ipfailover:keepalived-ipfailover-compat',
      ],
      ["Red Hat's image", 'registry.redhat.io/openshift4/ose-keepalived-ipfailover-rhel9:v4.17', DEFAULT_IMAGE],
      [
        "Red Hat's image by digest",
        `registry.redhat.io/openshift4/ose-keepalived-ipfailover@sha256:${'a'.repeat(64)}`,
        DEFAULT_IMAGE,
      ],
      [
        'a mirror of it on a registry with a port',
        'mirror.example:5000/ocp/ose-keepalived-ipfailover:v4.16',
        DEFAULT_IMAGE,
      ],
    ])("by default, for %s: the instance's image unless it is Red Hat's", (_name, image, expected) => {
      expect(imageOf({ image })).toBe(expected);
    });

    test('removalImage wins', () => {
      expect(
        imageOf({
          image: 'registry.redhat.io/openshift4/ose-keepalived-ipfailover-rhel9:v4.17',
          removalImage: 'quay.example/ipfailover:1.2.3',
        }),
      ).toBe('quay.example/ipfailover:1.2.3');
    });

    test.each([
      [
        'nginx latest',
        `[c/router] 'removalImage' "nginx latest" is not an image reference; use registry/name:tag or name@sha256:digest`,
      ],
      [
        'registry.redhat.io/openshift4/ose-keepalived-ipfailover-rhel9:v4.17',
        `[c/router] 'removalImage' "registry.redhat.io/openshift4/ose-keepalived-ipfailover-rhel9:v4.17" is Red Hat's keepalived-ipfailover image, which has no ipfailover remove command; use ipfailover's image (${DEFAULT_IMAGE}), or leave it out`,
      ],
    ])('refuses removalImage %j, naming the prop', (removalImage, message) => {
      const app = new App({ outdir: Testing.app().outdir });
      new IpFailoverRemoval(new Chart(app, 'c'), 'router', { ...props, nodes: ['worker-0'], removalImage });
      expect(() => app.synth()).toThrow(message);
    });
  });

  test('refuses a removal without nodes, naming the prop', () => {
    const app = new App({ outdir: Testing.app().outdir });
    new IpFailoverRemoval(new Chart(app, 'c'), 'router', { ...props, nodes: [] });
    expect(() => app.synth()).toThrow(
      "[c/router] 'nodes' [] lists no node; list the hostnames of the nodes the failover pods ran on",
    );
  });
});
