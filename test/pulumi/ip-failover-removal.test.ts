import { Chart, Testing } from 'cdk8s';
import { IpFailoverRemoval as Cdk8sRemoval } from '../../lib/cdk8s';
import { DEFAULT_IMAGE } from '../../lib/core/model/defaults';
import { Planner } from '../../lib/core/plan/planner';
import { IpFailoverRemoval } from '../../lib/pulumi';
import { recordResources, registered, thrown, type Recorder } from './mocks';

let rec: Recorder;
beforeAll(async () => {
  rec = await recordResources();
});
beforeEach(() => {
  rec.resources.length = 0;
});

const props = {
  virtualIps: '192.0.2.10-12',
  networkInterface: 'ens3',
  namespace: 'edge',
  nodes: ['worker-0', 'worker-1'],
};

describe('IpFailoverRemoval (Pulumi)', () => {
  test('registers the account and one Job per node, parented to the component', async () => {
    const removal = new IpFailoverRemoval('router', { ...props, planner: new Planner() });
    await registered(removal, ...removal.jobs);
    const children = rec.resources.filter((r) => r.custom);
    expect(children.map((r) => [r.type, r.name])).toEqual([
      ['kubernetes:core/v1:ServiceAccount', 'router-serviceaccount-ipfailover'],
      ['kubernetes:rbac.authorization.k8s.io/v1:RoleBinding', 'router-rolebinding-ipfailover-scc-privileged'],
      ['kubernetes:rbac.authorization.k8s.io/v1:RoleBinding', 'router-rolebinding-ipfailover-scc-hostnetwork'],
      ['kubernetes:batch/v1:Job', 'router-job-router-remove-worker-0'],
      ['kubernetes:batch/v1:Job', 'router-job-router-remove-worker-1'],
    ]);
    expect(rec.resources.find((r) => !r.custom)?.type).toBe('ipfailover:index:IpFailoverRemoval');
  });

  const redHat = 'registry.redhat.io/openshift4/ose-keepalived-ipfailover-rhel9:v4.17';
  test.each([
    ['the defaults', props],
    ["Red Hat's image: the Jobs get ipfailover's", { ...props, image: redHat }],
    ['an explicit removal image', { ...props, image: redHat, removalImage: 'quay.example/ipfailover:1.2.3' }],
  ])('registers exactly the Jobs the cdk8s construct synthesizes: %s', async (_name, given) => {
    const removal = new IpFailoverRemoval('router', { ...given, planner: new Planner() });
    await registered(removal, ...removal.jobs);
    const pulumiJobs = rec.resources.filter((r) => r.type === 'kubernetes:batch/v1:Job').map((r) => r.inputs);
    const chart = new Chart(Testing.app(), 'c');
    new Cdk8sRemoval(chart, 'router', given);
    const cdk8sJobs = (Testing.synth(chart) as Array<Record<string, any>>).filter((o) => o.kind === 'Job'); // eslint-disable-line @typescript-eslint/no-explicit-any
    expect(pulumiJobs).toEqual(cdk8sJobs);
    const container = cdk8sJobs[0]!.spec.template.spec.containers[0];
    expect(container.securityContext).toEqual({ privileged: true, runAsUser: 0 });
    expect(container.image).toBe('removalImage' in given ? given.removalImage : DEFAULT_IMAGE);
  });

  test('throws every problem as one error naming the component', () => {
    const error = thrown(
      () => new IpFailoverRemoval('router', { virtualIps: 'nope', nodes: [], planner: new Planner() }),
    );
    expect(error.message).toBe(
      [
        'router: \'virtualIps\' "nope" is not an IP address; write a dotted IPv4 address without leading zeros (192.0.2.10) or an IPv6 address',
        "router: 'nodes' [] lists no node; list the hostnames of the nodes the failover pods ran on",
      ].join('\n'),
    );
    const image = thrown(
      () => new IpFailoverRemoval('router', { ...props, removalImage: 'a b', planner: new Planner() }),
    );
    expect(image.message).toBe(
      'router: \'removalImage\' "a b" is not an image reference; use registry/name:tag or name@sha256:digest',
    );
  });
});
