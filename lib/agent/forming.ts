/**
 * An instance still forming: every pod it has was created moments ago (a first deployment, a
 * `Recreate` roll), so no node has held a VIP long enough for a move to be churn. The preempt
 * delay exists for a node that returns to a running instance (let it settle before it takes its
 * groups back); at a first start it is what keeps the balance away. Agents of one deployment
 * start seconds apart (image pulls, scheduling), and every group is first taken by whichever
 * node's keepalived is up first: its first choice overtakes it only by the skew in the
 * priorities (about 0.18 s at the default spacing), so the earliest node masters the groups of
 * every later one, and a delay of 300 s keeps them there.
 *
 * So while the instance is younger than {@link FORMING_WINDOW_MS}, a `cluster` agent runs
 * keepalived with no preempt delay, and each node takes its own groups as soon as it is up; when
 * the window ends, it reloads with the delay it was given (a reload keeps the VIPs: see
 * `reloader.ts`). A node that starts later, or returns to an instance older than that, keeps the
 * delay from its start. The age is read on the API server's clock (pod creation times against
 * the list's `Date`), so a node whose clock is off does not misjudge it.
 */
import type { AgentSettings } from '../core/env/setting-rules';
import type { PodSummary } from './kube-api';
import { counts } from './membership';

/** How long after its oldest pod was created an instance counts as forming. */
export const FORMING_WINDOW_MS = 120_000;

/**
 * When the instance stops forming, on the local clock, or `undefined` when it has already (or
 * a pod's creation time is unknown: then the delay is kept, as before). From the pods of a list
 * and the API server's time of that list; pods being deleted and pods not bound to a node are
 * not the instance's.
 */
export function formingEnd(
  pods: readonly PodSummary[],
  serverTime: number | undefined,
  localNow: number,
  windowMs = FORMING_WINDOW_MS,
): number | undefined {
  const live = pods.filter((p) => counts(p) && !p.deleting);
  const created = live.flatMap((p) => (p.created !== undefined ? [p.created] : []));
  if (created.length === 0 || created.length < live.length) return undefined;
  const age = (serverTime ?? localNow) - Math.min(...created);
  const left = windowMs - Math.max(0, age);
  return left > 0 ? localNow + left : undefined;
}

/**
 * The settings keepalived runs with while the instance forms: no preempt delay. `undefined` when
 * there is no delay to lift (`nopreempt` is the user's word that a master keeps its groups).
 */
export function formingSettings(settings: AgentSettings): AgentSettings | undefined {
  const { preemption } = settings;
  if (preemption === 'nopreempt' || preemption.delaySeconds === 0) return undefined;
  return { ...settings, preemption: { delaySeconds: 0 } };
}
