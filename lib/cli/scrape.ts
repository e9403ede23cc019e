/**
 * One HTTP GET of an agent's endpoint for `ipfailover status`, bounded: a deadline for the
 * whole answer (not only for silence, so a slow drip cannot hold the command), and a size past
 * which the answer is dropped. It resolves with the body or a short reason, never rejects.
 */
import { request } from 'node:http';
import type { Target } from './agent-targets';

/** The status and body of an answer, or why there is none. */
export type ScrapeResult =
  | { readonly ok: true; readonly status: number; readonly body: string }
  | { readonly ok: false; readonly reason: string };

/** GETs `path` of an agent within `timeoutMs`. */
export type ScrapeFn = (target: Target, path: string, timeoutMs: number) => Promise<ScrapeResult>;

/** The most read of one answer: an agent with 255 groups writes about 300 KiB. */
export const MAX_SCRAPE_BYTES = 4 * 2 ** 20;

/** The real GET, with `node:http` (no proxy, no redirects, no keep-alive). */
export const httpScrape: ScrapeFn = (target, path, timeoutMs) =>
  new Promise((resolve) => {
    let settled = false;
    const done = (result: ScrapeResult): void => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      resolve(result);
    };
    const req = request(
      {
        hostname: target.host,
        port: target.port,
        path,
        method: 'GET',
        agent: false,
        headers: { Accept: 'text/plain' },
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_SCRAPE_BYTES) {
            done({ ok: false, reason: `answer larger than ${MAX_SCRAPE_BYTES / 2 ** 20} MiB` });
            req.destroy();
          } else chunks.push(chunk);
        });
        res.on('end', () =>
          done({ ok: true, status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
        );
        res.on('error', (error: NodeJS.ErrnoException) => done({ ok: false, reason: error.code ?? error.message }));
      },
    );
    const deadline = setTimeout(() => {
      done({ ok: false, reason: `no answer within ${timeoutMs / 1000} s` });
      req.destroy();
    }, timeoutMs);
    req.on('error', (error: NodeJS.ErrnoException) => done({ ok: false, reason: error.code ?? error.message }));
    req.end();
  });
