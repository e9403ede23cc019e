/**
 * Who holds each VIP, watched continuously while a test changes the cluster. A bash loop in the
 * root namespace reads `ip -o addr` of every node forward, then backward, and stamps each pass
 * with the wall clock; the test reads its lines as they come, so the sampling goes on at its own
 * pace (a pass of three nodes takes about 10 ms) whatever the test is awaiting meanwhile.
 *
 * The nodes are read one after another, so a single read order can see the old holder before it
 * let go and the new one after it took over. A node counts as holding a VIP for the double-holder
 * check only when both the forward and the backward read see it (the two brackets the other
 * reads in time); a VIP counts as unserved only when neither read saw it on any node.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

/** One forward-and-backward pass over the nodes. */
export interface HolderSample {
  /** Wall clock (ms) when the pass started and ended. */
  readonly start: number;
  readonly end: number;
  /** For each node (by index), the addresses the forward read saw, then the backward read. */
  readonly forward: ReadonlyArray<ReadonlySet<string>>;
  readonly backward: ReadonlyArray<ReadonlySet<string>>;
}

/** The nodes both reads of a sample saw holding the VIP. */
export function heldBoth(sample: HolderSample, vip: string): number[] {
  return sample.forward.flatMap((set, i) => (set.has(vip) && sample.backward[i]!.has(vip) ? [i] : []));
}

/** Whether either read of a sample saw the VIP on some node. */
export function servedIn(sample: HolderSample, vip: string): boolean {
  return [...sample.forward, ...sample.backward].some((set) => set.has(vip));
}

/** What the samples of a time window say about one VIP. */
export interface VipWindow {
  /**
   * The longest stretch of samples in which no node held the VIP, in ms: from the start of its
   * first unserved sample to the start of the next served one (so within one pass, about 10 ms,
   * of the truth). 0 when every sample saw it held.
   */
  readonly longestUnservedMs: number;
  /** Samples in which no node held it. */
  readonly unservedSamples: number;
  /** Samples in which two or more nodes held it (seen by both reads), with the nodes. */
  readonly doubles: ReadonlyArray<{ readonly at: number; readonly nodes: readonly number[] }>;
}

/** Reads one VIP's holders over the samples that started in `[from, to]`. */
export function vipWindow(samples: readonly HolderSample[], vip: string, from: number, to: number): VipWindow {
  const inWindow = samples.filter((s) => s.start >= from && s.start <= to);
  let longest = 0;
  let unserved = 0;
  let stretchStart: number | undefined;
  const doubles: Array<{ at: number; nodes: number[] }> = [];
  for (const sample of inWindow) {
    const both = heldBoth(sample, vip);
    if (both.length > 1) doubles.push({ at: sample.start, nodes: both });
    if (!servedIn(sample, vip)) {
      unserved++;
      stretchStart ??= sample.start;
    } else if (stretchStart !== undefined) {
      longest = Math.max(longest, sample.start - stretchStart);
      stretchStart = undefined;
    }
  }
  // Still unserved when the window closed: count it up to the last sample's end.
  if (stretchStart !== undefined) longest = Math.max(longest, inWindow.at(-1)!.end - stretchStart);
  return { longestUnservedMs: longest, unservedSamples: unserved, doubles };
}

/** The loop: `S <time>`, then `N <index>` and the `ip -o addr` lines of each read, then `E <time>`. */
const SAMPLER = `
nodes=("$@"); n=\${#nodes[@]}; order=()
for ((i = 0; i < n; i++)); do order+=("$i"); done
for ((i = n - 1; i >= 0; i--)); do order+=("$i"); done
while :; do
  printf 'S %s\\n' "$EPOCHREALTIME"
  for i in "\${order[@]}"; do
    printf 'N %s\\n' "$i"
    ip -n "\${nodes[$i]}" -o addr show dev eth0 2>/dev/null
  done
  printf 'E %s\\n' "$EPOCHREALTIME"
done
`;

/** A running sampler of the given network namespaces (the nodes, in index order). */
export class HolderWatch {
  readonly samples: HolderSample[] = [];
  private readonly child: ChildProcess;

  constructor(namespaces: readonly string[]) {
    this.child = spawn('bash', ['-c', SAMPLER, 'bash', ...namespaces], { stdio: ['ignore', 'pipe', 'ignore'] });
    const n = namespaces.length;
    let start = 0;
    let reads: Array<Set<string>> = [];
    createInterface({ input: this.child.stdout! }).on('line', (line) => {
      if (line.startsWith('S ')) {
        start = Number(line.slice(2)) * 1000;
        reads = [];
      } else if (line.startsWith('N ')) {
        reads.push(new Set());
      } else if (line.startsWith('E ')) {
        if (reads.length !== 2 * n) return; // a pass cut short when the loop started or stopped
        // The backward reads came in reverse node order.
        this.samples.push({
          start,
          end: Number(line.slice(2)) * 1000,
          forward: reads.slice(0, n),
          backward: reads.slice(n).reverse(),
        });
      } else {
        const address = /\sinet6? ([^/\s]+)\//.exec(line)?.[1];
        if (address !== undefined) reads.at(-1)?.add(address);
      }
    });
  }

  /** Resolves once a pass that started at or after `time` (wall clock, ms) has been read. */
  async passAfter(time: number): Promise<void> {
    while (!this.samples.some((s) => s.start >= time)) await new Promise((r) => setTimeout(r, 10));
  }

  /** The median time one pass took, in ms. */
  medianPassMs(): number {
    const passes = this.samples.map((s) => s.end - s.start).sort((a, b) => a - b);
    return passes[Math.floor(passes.length / 2)] ?? 0;
  }

  /** Stops the loop (its own process only). */
  stop(): void {
    if (this.child.exitCode === null) this.child.kill('SIGKILL');
  }
}
