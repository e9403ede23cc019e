/**
 * The image users get, used the way a cluster uses it: built from the Dockerfile with buildah,
 * then the pods a synthesized Deployment and removal Job describe, run from the image's own
 * filesystem on three "nodes" (network namespaces on a bridge, TEST-NET-1 addresses), each pod
 * as its spec says: the image's entrypoint and user (nobody, no capabilities of its own), the
 * Deployment's environment and volumes. See image.ts for what stands in for the kubelet.
 *
 * `npm run test:image` (not part of `npm test`: the build takes minutes). In CI a missing tool
 * fails the run instead of skipping it: the shipped image is not optional.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Chart, Testing } from 'cdk8s';
import { IpFailover, IpFailoverRemoval } from '../../lib/cdk8s';
import type { IpFailoverOptions } from '../../lib/core/model/props';
import { buildApp } from '../../examples/cdk8s/main';
import { Cluster, waitFor } from '../e2e/cluster';
import {
  Pod,
  buildImage,
  imageConfig,
  imageSkipReason,
  processStatus,
  type BuiltImage,
  type ImageConfig,
} from './image';

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const ROOT = join(__dirname, '..', '..');
const reason = imageSkipReason();
if (reason !== undefined && process.env.CI) throw new Error(`the image test cannot run in CI: ${reason}`);
const suite = reason === undefined ? describe : describe.skip;
if (reason !== undefined) console.warn(`image test skipped: ${reason}`);

const NODES = ['worker-0', 'worker-1', 'worker-2'];
const VIPS = ['192.0.2.100', '192.0.2.101'];
const PORT = 18080;
const NOBODY = 65534;
/** CAP_SETGID (6), CAP_SETUID (7), CAP_NET_ADMIN (12), CAP_NET_RAW (13): the Dockerfile's setcap. */
const KEEPALIVED_CAPS = (1n << 6n) | (1n << 7n) | (1n << 12n) | (1n << 13n);

/** Objects of one synthesized chart, by kind. */
function synth(build: (chart: Chart) => void): Obj[] {
  const chart = new Chart(Testing.app(), 'image', { namespace: 'ipfailover' });
  build(chart);
  return Testing.synth(chart) as Obj[];
}

function configMapsOf(objects: readonly Obj[]): Record<string, Obj> {
  return Object.fromEntries(objects.filter((o) => o.kind === 'ConfigMap').map((o) => [o.metadata.name, o]));
}

/** Fraction of time, over `ms`, that `check` held, sampled every 20 ms; throws at the first miss. */
async function holdsFor(what: string, ms: number, check: () => boolean): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (!check()) throw new Error(`${what} did not hold`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

suite(
  `the agent image, built from the Dockerfile and run as pods run it${reason ? ` (skipped: ${reason})` : ''}`,
  () => {
    let built: BuiltImage;
    let config: ImageConfig;
    let cluster: Cluster;
    const pods: Pod[] = [];

    /** A pod of the given pod spec on node i. */
    function pod(i: number, podSpec: Obj, configMaps: Record<string, Obj>): Pod {
      const p = new Pod({
        image: built.name,
        config,
        container: podSpec.containers[0],
        volumes: podSpec.volumes ?? [],
        configMaps,
        netns: cluster.nodes[i]!,
        nodeName: NODES[i]!,
      });
      pods.push(p);
      return p;
    }

    beforeAll(() => {
      built = buildImage();
      config = imageConfig(built.name);
      console.log(
        `image ${built.name}: base stand-in ${built.baseSeconds.toFixed(1)} s, build ${built.buildSeconds.toFixed(1)} s, ${(config.sizeBytes / 2 ** 20).toFixed(0)} MiB`,
      );
      cluster = new Cluster('ipfimg', 3, '');
      cluster.up();
    }, 20 * 60_000);

    afterAll(async () => {
      for (const p of pods) await p.destroy();
      cluster?.destroy();
    }, 120_000);

    test('runs as nobody with tini as PID 1, and keeps no build secret', () => {
      expect(config.user).toBe(`${NOBODY}:${NOBODY}`);
      expect(config.entrypoint).toEqual([
        '/usr/bin/tini',
        '--',
        'ipfailover',
        'agent',
        '--state-dir',
        '/var/lib/ipfailover',
      ]);
      expect(config.env.some((e) => e.startsWith('NODE_EXTRA_CA_CERTS='))).toBe(false);
    });

    test('three pods of a synthesized Deployment: one holder per VIP, one rule per node, check, handover, crash, removal Job', async () => {
      const props: IpFailoverOptions = {
        virtualIps: VIPS,
        replicas: 3,
        monitorPort: PORT,
        checkIntervalSeconds: 1,
        advertIntervalSeconds: 0.1,
        // The check from the user's own ConfigMap, as the docs provide it (`oc create configmap
        // mycustomcheck --from-file=mycheckscript.sh`), beside an inline notify script: one
        // projected volume holds both.
        checkScript: { configMap: 'mycustomcheck', key: 'mycheckscript.sh' },
        notifyScript: { inline: '#!/bin/sh\necho "$2 $3" >> /tmp/notify.log\n' },
        image: built.name,
      };
      const objects = synth((chart) => new IpFailover(chart, 'ipf-image', props));
      const deployment = objects.find((o) => o.kind === 'Deployment')!;
      const podSpec = deployment.spec.template.spec as Obj;
      const configMaps = {
        ...configMapsOf(objects),
        mycustomcheck: {
          data: {
            'mycheckscript.sh': `#!/bin/bash\n# the docs' form: exit 0 for OK, 1 for fail\nnc -z 127.0.0.1 ${PORT} || exit 1\nexit 0\n`,
          },
        },
      };
      expect(
        podSpec.volumes
          .find((v: Obj) => v.name === 'config-volume')
          .projected.sources.map((s: Obj) => s.configMap.name),
      ).toEqual(['ipf-image-scripts', 'mycustomcheck']);
      const name = deployment.metadata.name as string;
      expect(podSpec.containers[0].image).toBe(built.name);

      const services = NODES.map((_, i) => cluster.startService(i, PORT));
      for (let i = 0; i < NODES.length; i++) await waitFor(`service on node ${i}`, () => cluster.listening(i, PORT));

      const started = Date.now();
      const running = NODES.map((_, i) => pod(i, podSpec, configMaps).start());
      const said = (): string => running.map((p, i) => `--- ${NODES[i]}:\n${p.lines.join('\n')}`).join('\n');
      await waitFor('each VIP on exactly one node', () => cluster.oneOwnerEach(VIPS), 30_000).catch((e: Error) => {
        throw new Error(`${e.message}; the pods said:\n${said()}`);
      });
      console.log(`pods started to every VIP held once: ${((Date.now() - started) / 1000).toFixed(2)} s`);
      await holdsFor('one holder per VIP', 1500, () => cluster.oneOwnerEach(VIPS));

      for (let i = 0; i < NODES.length; i++) {
        expect(cluster.vrrpRules(i, 'INPUT', name)).toHaveLength(1);
        // The Deployment's own liveness probe, run inside the pod as the kubelet runs it.
        const probe = running[i]!.exec(podSpec.containers[0].livenessProbe.exec.command);
        expect(probe).toMatchObject({ code: 0 });
        // The readiness probe as the kubelet sends it: GET on the pod's IP (the node's, with
        // hostNetwork) and the probe's port; the agent, as nobody, answers it.
        const { path, port: probePort } = podSpec.containers[0].readinessProbe.httpGet;
        const url = `http://${cluster.address(i)}:${probePort}${path}`;
        const ready = running[i]!.exec(['curl', '-s', '-w', ' %{http_code}', url]);
        expect(ready.stdout).toMatch(/^ready: \d MASTER, \d BACKUP of 2 group\(s\)\n 200$/);
        // Every process is nobody; PID 1 and the agent have no capabilities of their own, only
        // keepalived (file capabilities) has effective ones.
        const statuses = running[i]!.pids().map((pid) => ({ pid, status: processStatus(pid) }));
        expect(statuses.length).toBeGreaterThanOrEqual(4); // tini, the agent, keepalived and its VRRP child
        for (const { status } of statuses) expect(status.Uid).toBe(`${NOBODY}\t${NOBODY}\t${NOBODY}\t${NOBODY}`);
        const [tini, ...rest] = statuses.sort((a, b) => a.pid - b.pid);
        expect(tini!.status.Name).toBe('tini');
        expect(tini!.status.CapEff).toBe('0000000000000000');
        const agents = rest.filter((s) => s.status.Name === 'node');
        expect(agents.map((s) => s.status.CapEff)).toEqual(['0000000000000000']);
        // keepalived never holds more than its file capabilities: NET_ADMIN, NET_RAW, SETUID, SETGID.
        const keepalived = rest.filter((s) => s.status.Name === 'keepalived');
        expect(keepalived.length).toBeGreaterThanOrEqual(2);
        for (const { status } of keepalived) expect(BigInt(`0x${status.CapPrm}`) & ~KEEPALIVED_CAPS).toBe(0n);
      }
      expect(
        running
          .flatMap((p) => p.lines)
          .filter((l) => /Couldn't|WARNING|Unsafe|not permitted|denied|Disabling track script/i.test(l)),
      ).toEqual([]);
      // The notify script ran, as nobody, on every state change: the holder of a VIP logged MASTER.
      const holder = cluster.owners([VIPS[0]!]).get(VIPS[0]!)![0]!;
      expect(running[holder]!.exec(['cat', '/tmp/notify.log']).stdout).toMatch(/_VIP_\d MASTER/);

      // A failing check moves the VIP, and no moment has two holders. The nodes are read one
      // after another, so one pass can catch the old holder before it lets go and the new one
      // after it took over; a node counts as holding only when a forward and a backward pass both
      // see it, which brackets the other reads in time.
      const holderOf = (vip: string): number => cluster.owners([vip]).get(vip)![0]!;
      const sick = holderOf(VIPS[0]!);
      services[sick]!.kill('SIGKILL');
      let t = Date.now();
      const doubles: number[][] = [];
      await waitFor('the VIP leaving the node whose check fails', () => {
        const forward = [0, 1, 2].filter((i) => cluster.addresses(i).includes(VIPS[0]!));
        const backward = [2, 1, 0].filter((i) => cluster.addresses(i).includes(VIPS[0]!));
        const held = forward.filter((i) => backward.includes(i));
        if (held.length > 1) doubles.push(held);
        return held.length === 1 && held[0] !== sick;
      });
      expect(doubles).toEqual([]);
      console.log(`failing check to VIP moved: ${((Date.now() - t) / 1000).toFixed(2)} s`);

      // SIGTERM (a drain, a rollout) hands the VIPs over: the pod exits 0 and the last healthy
      // node takes them.
      const stopping = holderOf(VIPS[0]!);
      const last = [0, 1, 2].find((i) => i !== sick && i !== stopping)!;
      t = Date.now();
      const stopped = running[stopping]!.stop();
      await waitFor('every VIP on the last healthy node', () =>
        VIPS.every((v) => cluster.owners([v]).get(v)!.join() === String(last)),
      );
      console.log(`SIGTERM to every VIP on the last healthy node: ${((Date.now() - t) / 1000).toFixed(2)} s`);
      expect(await stopped).toBe(0);
      console.log(`SIGTERM to the pod's exit: ${((Date.now() - t) / 1000).toFixed(2)} s`);

      // A crash leaves the VIPs and the rule behind on that node ...
      running[last]!.kill();
      await running[last]!.exited;
      await holdsFor('the VIPs left behind by the crash', 1000, () =>
        VIPS.every((v) => cluster.addresses(last).includes(v)),
      );
      expect(cluster.vrrpRules(last, 'INPUT', name)).toHaveLength(1);

      // ... and the removal Job, run as the Job runs (its command, user and security context),
      // removes both.
      const removal = synth((chart) => new IpFailoverRemoval(chart, 'ipf-image', { ...props, nodes: NODES }));
      const job = removal.find(
        (o) => o.kind === 'Job' && o.spec.template.spec.nodeSelector['kubernetes.io/hostname'] === NODES[last],
      )!;
      const jobPod = pod(last, job.spec.template.spec, configMapsOf(removal));
      expect({ code: await jobPod.runToCompletion(), said: jobPod.lines }).toMatchObject({ code: 0 });
      expect(jobPod.lines.join('\n')).toMatch(/1 VRRP rule\(s\) deleted.*2 VIP\(s\) released/);
      expect(VIPS.filter((v) => cluster.addresses(last).includes(v))).toEqual([]);
      expect(cluster.vrrpRules(last, 'INPUT', name)).toEqual([]);
      expect(await running[sick]!.stop()).toBe(0);
    }, 180_000);

    test('a check script that is not in the pod stops the agent at once, naming the variable', async () => {
      const objects = synth(
        (chart) =>
          new IpFailover(chart, 'ipf-missing', {
            virtualIps: '192.0.2.110',
            replicas: 1,
            checkScript: { path: '/etc/keepalive/absent.sh' },
            image: built.name,
          }),
      );
      const deployment = objects.find((o) => o.kind === 'Deployment')!;
      const p = pod(0, deployment.spec.template.spec, configMapsOf(objects)).start();
      let timer: NodeJS.Timeout | undefined;
      const running = new Promise<string>(
        (resolve) => (timer = setTimeout(() => resolve('still running after 15 s'), 15_000)),
      );
      const outcome = await Promise.race([p.exited, running]);
      clearTimeout(timer);
      expect(outcome).toBe(2);
      expect(p.lines.join('\n')).toMatch(/OPENSHIFT_HA_CHECK_SCRIPT.*\/etc\/keepalive\/absent\.sh/);
      expect(cluster.addresses(0)).not.toContain('192.0.2.110');
    }, 60_000);

    test('keepalived killed under the agent: the agent, as nobody, releases the VIPs before the pod exits', async () => {
      const vip = '192.0.2.120';
      const props = {
        virtualIps: vip,
        replicas: 1,
        monitorPort: 0,
        advertIntervalSeconds: 0.1,
        vrrpIdOffset: 50,
        image: built.name,
      };
      const objects = synth((chart) => new IpFailover(chart, 'ipf-killed', props));
      const deployment = objects.find((o) => o.kind === 'Deployment')!;
      const p = pod(2, deployment.spec.template.spec, configMapsOf(objects)).start();
      await waitFor('the VIP on node 2', () => cluster.addresses(2).includes(vip)).catch((e: Error) => {
        throw new Error(`${e.message}; the pod said:\n${p.lines.join('\n')}`);
      });
      const keepalived = p.pids().filter((pid) => processStatus(pid).Name === 'keepalived');
      expect(keepalived.length).toBeGreaterThanOrEqual(2);
      const t = Date.now();
      for (const pid of keepalived) process.kill(pid, 'SIGKILL');
      await waitFor('the VIP released', () => !cluster.addresses(2).includes(vip));
      console.log(
        `keepalived killed to VIP released, as nobody in the image: ${((Date.now() - t) / 1000).toFixed(3)} s`,
      );
      expect(await p.exited).toBe(1);
    }, 60_000);

    /** Every inline script in the code blocks of the README and the docs, and in the examples: where it came from, and its text. */
    function inlineScripts(): Array<[string, string]> {
      const found: Array<[string, string]> = [];
      const docs = ['README.md', ...readdirSync(join(ROOT, 'docs')).map((f) => join('docs', f))];
      for (const file of docs) {
        // Code blocks only: prose may show a script's shape with a placeholder (`'#!/bin/sh\n…'`).
        const code = readFileSync(join(ROOT, file), 'utf8')
          .split(/^```.*$/m)
          .filter((_, i) => i % 2 === 1)
          .join('\n');
        for (const m of code.matchAll(/inline: '((?:[^'\\]|\\.)*)'/g))
          found.push([file, JSON.parse(`"${m[1]!.replace(/\\'/g, "'").replace(/"/g, '\\"')}"`) as string]);
      }
      const example = buildApp(Testing.app());
      for (const chart of example.charts) {
        for (const cm of (Testing.synth(chart) as Obj[]).filter(
          (o) => o.kind === 'ConfigMap' && o.metadata.name.endsWith('-scripts'),
        )) {
          for (const [key, text] of Object.entries(cm.data as Record<string, string>))
            found.push([`examples/cdk8s ${cm.metadata.name}/${key}`, text]);
        }
      }
      return found;
    }

    test('every inline check script of the README and the examples runs in the image: passes with its service up, fails with it down', async () => {
      const scripts = inlineScripts();
      expect(scripts.length).toBeGreaterThanOrEqual(2);
      for (const [where, text] of scripts) {
        const ports = [
          ...new Set([...text.matchAll(/\b(\d{2,5})\b/g)].map((m) => Number(m[1])).filter((n) => n > 0 && n < 65536)),
        ];
        const configMaps = { scripts: { data: { 'check.sh': text } } };
        const spec = {
          containers: [
            {
              command: ['/etc/keepalive/check.sh'],
              volumeMounts: [{ name: 'config-volume', mountPath: '/etc/keepalive' }],
            },
          ],
          volumes: [{ name: 'config-volume', configMap: { name: 'scripts', defaultMode: 0o755 } }],
        };
        const listeners = ports.map((port) => cluster.startService(1, port));
        for (const port of ports) await waitFor(`port ${port} on node 1`, () => cluster.listening(1, port));
        const up = pod(1, spec, configMaps);
        expect([where, await up.runToCompletion(), up.lines]).toEqual([where, 0, []]);
        for (const l of listeners) l.kill('SIGKILL');
        for (const port of ports) await waitFor(`port ${port} closed`, () => !cluster.listening(1, port));
        const down = pod(1, spec, configMaps);
        expect([where, await down.runToCompletion()]).not.toEqual([where, 0]);
      }
    }, 120_000);
  },
);
