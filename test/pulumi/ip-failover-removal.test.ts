import { Chart, Testing } from 'cdk8s';
import { IpFailoverRemoval as Cdk8sRemoval } from '../../lib/cdk8s';
import { Planner } from '../../lib/core/planner';
import { IpFailoverRemoval } from '../../lib/pulumi';
import { recordResources, registered, thrown, type Recorder } from './mocks';

let rec: Recorder;
beforeAll(async () => {
  rec = await recordResources();
});
beforeEach(() => {
  rec.resources.length = 0;
});

const props = { virtualIps: '192.0.2.10-12', networkInterface: 'ens3', namespace: 'edge', nodes: ['worker-0', 'worker-1'] };

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

  test('registers exactly the Jobs the cdk8s construct synthesizes', async () => {
    const removal = new IpFailoverRemoval('router', { ...props, planner: new Planner() });
    await registered(removal, ...removal.jobs);
    const pulumiJobs = rec.resources.filter((r) => r.type === 'kubernetes:batch/v1:Job').map((r) => r.inputs);
    const chart = new Chart(Testing.app(), 'c');
    new Cdk8sRemoval(chart, 'router', props);
    const cdk8sJobs = (Testing.synth(chart) as Array<Record<string, unknown>>).filter((o) => o.kind === 'Job');
    expect(pulumiJobs).toEqual(cdk8sJobs);
  });

  test('throws every problem as one error naming the component', () => {
    const error = thrown(() => new IpFailoverRemoval('router', { virtualIps: 'nope', nodes: [], planner: new Planner() }));
    expect(error.message).toBe(
      [
        'router: \'virtualIps\' "nope" is not an IP address; write a dotted IPv4 address without leading zeros (192.0.2.10) or an IPv6 address',
        "router: 'nodes' [] lists no node; list the hostnames of the nodes the failover pods ran on",
      ].join('\n'),
    );
  });
});
