import { Bench } from 'tinybench';

/** One measured operation. */
export interface MicroTask {
  name: string;
  fn: () => unknown;
}

/**
 * Runs operations with tinybench and returns a Markdown table: operations per second, mean and p99
 * latency per operation, and the number of samples.
 * @param tasks - the operations
 * @param time - milliseconds to sample each
 */
export async function microbench(tasks: MicroTask[], time = 1000): Promise<string> {
  const bench = new Bench({ time, warmupTime: 200 });
  for (const task of tasks) bench.add(task.name, task.fn);
  await bench.run();
  const rows = bench.tasks.map((task) => {
    const result = task.result;
    if (result === undefined || !('latency' in result)) return `| ${task.name} | failed | | | |`;
    const { latency, throughput } = result;
    return `| ${task.name} | ${Math.round(throughput.mean).toLocaleString('en-US')} | ${(latency.mean * 1000).toFixed(2)} | ${((latency.p99 ?? 0) * 1000).toFixed(2)} | ${latency.samplesCount} |`;
  });
  return ['| operation | ops/s | mean µs | p99 µs | samples |', '| --- | ---: | ---: | ---: | ---: |', ...rows].join(
    '\n',
  );
}
