/** Fakes of the outside world for the agent's unit tests. */
import { EventEmitter } from 'node:events';
import { PassThrough } from 'node:stream';
import type { Runner, RunResult } from '../../lib/agent/exec';
import type { ChildLike } from '../../lib/agent/supervisor';

/** An `iptables` and `ip` with state: chains of rules, and addresses on interfaces. */
export class FakeHost {
  readonly chains = new Map<string, string[][]>([['INPUT', []], ['FORWARD', []]]);
  readonly addresses = new Map<string, Array<{ local: string; prefixlen: number; family: string }>>([
    ['eth0', [{ local: '192.0.2.1', prefixlen: 24, family: 'inet' }]],
  ]);
  readonly calls: string[][] = [];

  readonly run: Runner = async (program, args) => {
    this.calls.push([program, ...args]);
    return program === 'iptables' ? this.iptables(args.slice(2).filter((a) => a !== '-n')) : this.ip([...args]);
  };

  private iptables(args: readonly string[]): RunResult {
    const [op, chain, ...rest] = args;
    const rules = this.chains.get(chain!);
    if (!rules) return { code: 1, stdout: '', stderr: `iptables: No chain/target/match by that name.` };
    const same = (r: string[]): boolean => r.join(' ') === rest.join(' ');
    switch (op) {
      case '-L':
        return { code: 0, stdout: '', stderr: '' };
      case '-C':
        return { code: rules.some(same) ? 0 : 1, stdout: '', stderr: '' };
      case '-I':
        rules.unshift(rest.slice(1));
        return { code: 0, stdout: '', stderr: '' };
      case '-D': {
        const i = rules.findIndex(same);
        if (i < 0) return { code: 1, stdout: '', stderr: 'Bad rule' };
        rules.splice(i, 1);
        return { code: 0, stdout: '', stderr: '' };
      }
      default:
        return { code: 2, stdout: '', stderr: `unknown ${op}` };
    }
  }

  private ip(args: string[]): RunResult {
    if (args[0] === '-j') {
      const iface = args[4]!;
      const list = this.addresses.get(iface);
      if (!list) return { code: 1, stdout: '', stderr: `Device "${iface}" does not exist.` };
      return { code: 0, stdout: JSON.stringify([{ ifname: iface, addr_info: list.map((a) => ({ ...a, scope: 'global' })) }]), stderr: '' };
    }
    if (args[0] === 'addr' && args[1] === 'del') {
      const [address] = args[2]!.split('/');
      const list = this.addresses.get(args[4]!) ?? [];
      const i = list.findIndex((a) => a.local === address);
      if (i < 0) return { code: 2, stdout: '', stderr: 'RTNETLINK answers: Cannot assign requested address' };
      list.splice(i, 1);
      return { code: 0, stdout: '', stderr: '' };
    }
    return { code: 1, stdout: '', stderr: 'unexpected' };
  }
}

/** A child process that prints what the test says and exits when told (or when signalled). */
export class FakeChild extends EventEmitter implements ChildLike {
  readonly pid = 4242;
  readonly stdout = new PassThrough();
  readonly stderr = new PassThrough();
  readonly signals: NodeJS.Signals[] = [];
  /** What the fake keepalived does on SIGTERM: release and exit 0, as the real one does. */
  onTerm: () => void = () => {
    this.print('(ipf_VIP_1) sent 0 priority');
    this.exit(0);
  };

  kill(signal: NodeJS.Signals): boolean {
    this.signals.push(signal);
    if (signal === 'SIGTERM') setImmediate(() => this.onTerm());
    return true;
  }

  print(line: string): void {
    this.stderr.write(`${line}\n`);
  }

  exit(code: number | null, signal: NodeJS.Signals | null = null): void {
    this.stdout.end();
    this.stderr.end();
    this.emit('exit', code, signal);
  }
}
