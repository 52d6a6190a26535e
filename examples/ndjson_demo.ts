/**
 * Filters and reshapes an NDJSON file of orders with `pipeline()`, printing
 * live progress once a second and a summary at the end.
 *
 * ```sh
 * deno run -A examples/ndjson_demo.ts            # 200,000 generated orders
 * deno run -A examples/ndjson_demo.ts 2000000    # or any other count
 * deno run -A examples/ndjson_demo.ts --input orders.ndjson
 * ```
 *
 * With no `--input`, it first writes the orders to a temporary directory
 * (itself with a pipeline), then reads them back, keeps the paid ones, turns
 * each into a small invoice line and writes those to `paid_orders.ndjson`
 * beside the input.
 *
 * @module
 */

import {
  decodeNdjson,
  encodeNdjson,
  filter,
  map,
  pipeline,
  type RunningPipeline,
  tap,
} from "@ca/streams";

/** One line of the input file. */
interface Order {
  id: number;
  customer: string;
  sku: string;
  quantity: number;
  unitPriceCents: number;
  currency: "EUR" | "USD" | "GBP";
  status: "paid" | "pending" | "refunded";
  createdAt: string;
}

/** One line of the output file. */
interface Invoice {
  order: number;
  customer: string;
  totalCents: number;
  currency: string;
  day: string;
}

/** Yields `count` orders, the same ones on every run. */
function* generateOrders(count: number): Generator<Order> {
  let seed = 0x2f6b_1d3c;
  const next = () => {
    seed = (Math.imul(seed, 1_103_515_245) + 12_345) >>> 0;
    return seed / 2 ** 32;
  };
  const currencies = ["EUR", "USD", "GBP"] as const;
  const statuses = ["paid", "paid", "paid", "pending", "refunded"] as const;
  const start = Date.UTC(2026, 0, 1);
  for (let id = 1; id <= count; id++) {
    yield {
      id,
      customer: `c-${Math.floor(next() * 5_000).toString().padStart(4, "0")}`,
      sku: `sku-${Math.floor(next() * 800)}`,
      quantity: 1 + Math.floor(next() * 9),
      unitPriceCents: 199 + Math.floor(next() * 50_000),
      currency: currencies[Math.floor(next() * currencies.length)],
      status: statuses[Math.floor(next() * statuses.length)],
      createdAt: new Date(start + id * 60_000).toISOString(),
    };
  }
}

/** Checks the shape of a parsed line; a bad line fails the run with its index. */
function toOrder(value: unknown): Order {
  const order = value as Partial<Order> | null;
  if (
    typeof order?.id !== "number" || typeof order.quantity !== "number" ||
    typeof order.unitPriceCents !== "number" || typeof order.status !== "string"
  ) {
    throw new TypeError(
      `Cannot read order: unexpected line ${JSON.stringify(value)}`,
    );
  }
  return order as Order;
}

function toInvoice(order: Order): Invoice {
  return {
    order: order.id,
    customer: order.customer,
    totalCents: order.quantity * order.unitPriceCents,
    currency: order.currency,
    day: order.createdAt.slice(0, 10),
  };
}

/** Records counted at the edges of the pipeline, updated as batches pass. */
interface Counts {
  orders: number;
  invoices: number;
}

/** Prints the counts and the rate once a second while `running` runs. */
function reportProgress(running: RunningPipeline, counts: Counts): () => void {
  let last = { at: performance.now(), orders: 0 };
  const timer = setInterval(() => {
    const now = performance.now();
    const rate = (counts.orders - last.orders) / ((now - last.at) / 1000);
    console.log(
      `  ${running.state}: ${fmt(counts.orders)} orders read, ` +
        `${fmt(counts.invoices)} invoices written, ${fmt(rate)} orders/s`,
    );
    last = { at: now, orders: counts.orders };
  }, 1000);
  return () => clearInterval(timer);
}

function fmt(n: number): string {
  return Math.round(n).toLocaleString("en-US");
}

/** Writes `count` generated orders to `path` as NDJSON. */
async function writeOrders(path: string, count: number): Promise<void> {
  const file = await Deno.open(path, {
    write: true,
    create: true,
    truncate: true,
  });
  const started = performance.now();
  await pipeline(generateOrders(count), encodeNdjson(), file.writable);
  const { size } = await Deno.stat(path);
  console.log(
    `Generated ${fmt(count)} orders (${(size / 1e6).toFixed(1)} MB) in ` +
      `${fmt(performance.now() - started)} ms: ${path}`,
  );
}

/** Reads orders from `input`, writes an invoice per paid order to `output`. */
async function invoicePaidOrders(input: string, output: string): Promise<void> {
  const source = await Deno.open(input, { read: true });
  const target = await Deno.open(output, {
    write: true,
    create: true,
    truncate: true,
  });
  console.log(`Reading ${input}`);

  // The file is bytes at both ends, so records are counted where they are
  // records: after parsing and before encoding. tap() fuses with its
  // neighbours, so counting costs a loop iteration, not a stream hop.
  const counts: Counts = { orders: 0, invoices: 0 };
  const running = pipeline(
    source.readable,
    decodeNdjson(),
    map(toOrder),
    tap(() => void counts.orders++),
    filter((order: Order) => order.status === "paid"),
    map(toInvoice),
    tap(() => void counts.invoices++),
    encodeNdjson(),
    target.writable,
  );
  const stopReporting = reportProgress(running, counts);
  try {
    const summary = await running;
    const seconds = summary.durationMs / 1000;
    console.log(
      [
        `Done (${summary.ended}):`,
        `  orders read       ${fmt(counts.orders)}`,
        `  invoices written  ${fmt(counts.invoices)} (paid orders)`,
        `  duration          ${fmt(summary.durationMs)} ms`,
        `  throughput        ${fmt(counts.orders / seconds)} orders/s`,
        `  output            ${output}`,
      ].join("\n"),
    );
  } finally {
    stopReporting();
  }
}

async function main(args: string[]): Promise<void> {
  const inputFlag = args.indexOf("--input");
  const given = inputFlag >= 0 ? args[inputFlag + 1] : undefined;
  const count = Number(args.find((arg) => /^\d+$/.test(arg)) ?? 200_000);
  const dir = await Deno.makeTempDir({ prefix: "ca_streams_demo_" });
  const input = given ?? `${dir}/orders.ndjson`;
  try {
    if (given === undefined) await writeOrders(input, count);
    await invoicePaidOrders(input, `${dir}/paid_orders.ndjson`);
  } catch (error) {
    await Deno.remove(dir, { recursive: true });
    throw error;
  }
  // Keep the output for a look; the generated input is only scaffolding.
  if (given === undefined) await Deno.remove(input);
}

if (import.meta.main) {
  await main(Deno.args);
}
