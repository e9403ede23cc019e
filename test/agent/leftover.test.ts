import { clearLeftovers } from '../../lib/agent/leftover';
import { statePaths } from '../../lib/agent/paths';
import { FakeProcesses } from './fakes';

const paths = statePaths('/s');
const OURS = 'keepalived --dont-fork -f /s/keepalived.conf';

describe('leftovers of an earlier run', () => {
  test('nothing there: nothing done', async () => {
    const procs = new FakeProcesses();
    expect(await clearLeftovers(paths, procs)).toEqual({ stopped: [], killed: [], staleFiles: [] });
    expect(procs.signals).toEqual([]);
  });

  test('a keepalived of our config that ignores SIGTERM is killed after the grace period', async () => {
    const procs = new FakeProcesses();
    procs.files.set('/s/keepalived.pid', 10);
    procs.commands.set(10, OURS);
    procs.stubborn.add(10);
    expect(await clearLeftovers(paths, procs, 200)).toEqual({ stopped: [10], killed: [10], staleFiles: [] });
    expect(procs.signals).toEqual([
      [10, 'SIGTERM'],
      [10, 'SIGKILL'],
    ]);
    expect(procs.files.size).toBe(0);
  });

  test("another config's keepalived, or a dead pid, is never signalled; its pid file is ours and stale", async () => {
    const procs = new FakeProcesses();
    procs.files.set('/s/keepalived.pid', 10).set('/s/vrrp.pid', 99);
    procs.commands.set(10, 'keepalived --dont-fork -f /other/keepalived.conf');
    expect(await clearLeftovers(paths, procs)).toEqual({
      stopped: [],
      killed: [],
      staleFiles: ['/s/keepalived.pid', '/s/vrrp.pid'],
    });
    expect(procs.signals).toEqual([]);
    expect(procs.files.size).toBe(0);
  });
});
