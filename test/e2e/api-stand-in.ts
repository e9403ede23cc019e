/**
 * The STAND-IN API server (test/support/kube-api-stand-in.ts) for the e2e clusters: run inside
 * the switch's network namespace, on an address of the bridge the nodes reach, and driven over
 * IPC. No real API server can run here; the stand-in speaks its list and watch wire format.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { makeStandInFiles, type PodSpec, type StandInCommand, type StandInStats } from '../support/kube-api-stand-in';
import { sh, type Agent, type Cluster } from './cluster';

const ROOT = join(__dirname, '..', '..');

/** Where the nodes reach the stand-in. */
export const API_ADDRESS = '192.0.2.254';
export const API_PORT = 6443;
export const NAMESPACE = 'ipfailover';

/** A running stand-in and the variables an agent needs to find it. */
export class ApiStandIn {
  private next = 1;
  private readonly pending = new Map<number, (reply: { ok: boolean; error?: string; result?: unknown }) => void>();

  private constructor(
    private readonly child: ChildProcess,
    /** The service account directory to give the agents. */
    readonly serviceAccountDir: string,
  ) {
    child.on('message', (m: { id: number; ok: boolean; error?: string; result?: unknown }) => {
      this.pending.get(m.id)?.(m);
      this.pending.delete(m.id);
    });
  }

  /** Starts it in the cluster's switch namespace, with a CA made now; resolves once it listens. */
  static async start(cluster: Cluster): Promise<ApiStandIn> {
    sh('ip', '-n', cluster.switchNs, 'addr', 'add', `${API_ADDRESS}/24`, 'dev', 'br0');
    const files = makeStandInFiles(join(cluster.stateRoot, 'api'), [API_ADDRESS], NAMESPACE, 'e2e-token');
    const config = {
      host: API_ADDRESS,
      port: API_PORT,
      namespace: NAMESPACE,
      token: 'e2e-token',
      keyFile: files.keyFile,
      certFile: files.certFile,
    };
    const child = spawn(
      'ip',
      [
        'netns',
        'exec',
        cluster.switchNs,
        process.execPath,
        '--import',
        'tsx',
        join(ROOT, 'test/support/kube-api-stand-in.ts'),
      ],
      {
        cwd: ROOT,
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
        env: { ...process.env, KUBE_STAND_IN: JSON.stringify(config) },
      },
    );
    const standIn = new ApiStandIn(child, files.serviceAccountDir);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('the API stand-in did not start')), 30_000);
      standIn.pending.set(0, () => {
        clearTimeout(timer);
        resolve();
      });
      child.once('exit', (code) => reject(new Error(`the API stand-in exited (${code})`)));
    });
    return standIn;
  }

  /** Sends one command and waits for its answer. */
  async send(command: StandInCommand): Promise<unknown> {
    const id = this.next++;
    const reply = await new Promise<{ ok: boolean; error?: string; result?: unknown }>((resolve) => {
      this.pending.set(id, resolve);
      this.child.send({ id, command });
    });
    if (!reply.ok) throw new Error(`stand-in ${command.op}: ${reply.error}`);
    return reply.result;
  }

  addPod(spec: PodSpec): Promise<unknown> {
    return this.send({ op: 'addPod', spec });
  }

  async stats(): Promise<StandInStats> {
    return (await this.send({ op: 'stats' })) as StandInStats;
  }

  /** The variables an agent needs beside its instance's: where the API server is. */
  static env(): Record<string, string> {
    return { KUBERNETES_SERVICE_HOST: API_ADDRESS, KUBERNETES_SERVICE_PORT: String(API_PORT) };
  }

  stop(): void {
    if (this.child.exitCode === null) this.child.kill('SIGKILL');
  }
}

/**
 * Starts node i's agent under the given node name, reading the stand-in's service account. The
 * cluster's own start passes `--node-name node-<i>`; a later `--node-name` wins.
 */
export function startAgentNamed(
  cluster: Cluster,
  i: number,
  env: Record<string, string>,
  nodeName: string,
  serviceAccountDir: string,
  stateName = `n${i}`,
): Agent {
  const wrapper = ['sh', '-c', `exec "$@" --node-name ${nodeName} --service-account-dir ${serviceAccountDir}`, 'sh'];
  return cluster.startAgentAs(i, env, wrapper, join(cluster.stateRoot, stateName));
}
