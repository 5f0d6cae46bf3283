/** One section of `docs/benchmarks.md`. */
export interface BenchSuite {
  /** Short id, used to pick suites on the command line (`npm run bench -- ip-ranges`). */
  id: string;
  /** Section heading. */
  title: string;
  /** Runs the measurements and returns the section body as Markdown (tables, notes). */
  run(): Promise<string>;
}
