/**
 * The API latency of a running host, from another process over HTTP (a
 * keep-alive `fetch`, as a dashboard or a script calls it): each request
 * timed from `fetch()` to the last byte of the body, its status checked.
 *
 * @module
 */

/** One endpoint's requests: what is sent, and what must come back. */
export interface Endpoint {
  /** `GET /connectors`, as printed. */
  name: string;
  method: "GET" | "POST";
  /** The path for worker `worker` (0 sequentially) and its `n`th request. */
  path(worker: number, n: number): string;
  status: number;
}

/** How one endpoint was measured, and the latencies in ms. */
export interface Latencies {
  endpoint: string;
  /** `sequential`, or `concurrency N`. */
  mode: string;
  ms: number[];
}

/**
 * Nearest-rank percentile `p` (0-100) of some numbers.
 *
 * @param values the numbers, at least one
 * @param p the percentile, such as 99
 * @returns the smallest value with at least `p` % of the values at or below it
 */
export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1]!;
}

/** A client of one host's API. */
export class ApiClient {
  #base: string;
  #headers: Record<string, string>;

  constructor(url: string, token: string) {
    this.#base = url.replace(/\/$/, "");
    this.#headers = { authorization: `Bearer ${token}` };
  }

  /** One request, timed; throws on an unexpected status. */
  async timed(endpoint: Endpoint, worker: number, n: number): Promise<number> {
    const path = endpoint.path(worker, n);
    const start = performance.now();
    const response = await fetch(`${this.#base}${path}`, {
      method: endpoint.method,
      headers: this.#headers,
    });
    const body = await response.arrayBuffer();
    const ms = performance.now() - start;
    if (response.status !== endpoint.status) {
      throw new Error(
        `Cannot measure ${endpoint.method} ${path}: ${response.status} ${
          new TextDecoder().decode(body).slice(0, 300)
        }`,
      );
    }
    return ms;
  }

  /** `count` requests one after the other. */
  async sequential(endpoint: Endpoint, count: number): Promise<Latencies> {
    const ms: number[] = [];
    for (let n = 0; n < count; n++) ms.push(await this.timed(endpoint, 0, n));
    return { endpoint: endpoint.name, mode: "sequential", ms };
  }

  /** `count` requests from `workers` loops at once (1..workers). */
  async concurrent(
    endpoint: Endpoint,
    count: number,
    workers: number,
  ): Promise<Latencies> {
    const ms: number[] = [];
    const each = Math.ceil(count / workers);
    await Promise.all(
      Array.from({ length: workers }, async (_, w) => {
        for (let n = 0; n < each; n++) {
          ms.push(await this.timed(endpoint, w + 1, n));
        }
      }),
    );
    return { endpoint: endpoint.name, mode: `concurrency ${workers}`, ms };
  }

  /**
   * `pairs` stops, each followed by a start, of one connector per worker
   * (`stop` and `start` name it by worker): with `workers` 1, of worker 0's
   * connector one after the other; else from that many loops at once, each
   * on its own connector (commands on one connector run one at a time).
   */
  async stopStart(
    stop: Endpoint,
    start: Endpoint,
    pairs: number,
    workers: number,
  ): Promise<[Latencies, Latencies]> {
    const stops: number[] = [];
    const starts: number[] = [];
    const each = Math.ceil(pairs / workers);
    const first = workers === 1 ? 0 : 1;
    await Promise.all(
      Array.from({ length: workers }, async (_, w) => {
        for (let n = 0; n < each; n++) {
          stops.push(await this.timed(stop, first + w, n));
          starts.push(await this.timed(start, first + w, n));
        }
      }),
    );
    const mode = workers === 1 ? "sequential" : `concurrency ${workers}`;
    return [
      { endpoint: stop.name, mode, ms: stops },
      { endpoint: start.name, mode, ms: starts },
    ];
  }
}
