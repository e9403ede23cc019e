/**
 * One planner per program run: the Automation API runs an inline program several times in one
 * process, and each run is a stack of its own.
 */
import * as pulumi from '@pulumi/pulumi';
import { IpFailover } from '../../lib/pulumi';
import { recordResources } from './mocks';

beforeAll(async () => {
  await recordResources();
});

test('each run gets a fresh planner shared by all components of that run', async () => {
  const program = async (): Promise<Record<string, unknown>> => {
    const a = new IpFailover('a', { virtualIps: '192.0.2.1-2' });
    const b = new IpFailover('b', { virtualIps: '192.0.2.3' });
    return { a: a.vrrpIds, b: b.vrrpIds };
  };
  const first = await pulumi.runtime.runInPulumiStack(program);
  const second = await pulumi.runtime.runInPulumiStack(program);
  expect(first).toEqual({ a: [1, 2], b: [3] });
  // Without a planner per run, the second run would find 'a' and 'b' already planned.
  expect(second).toEqual(first);
});
