import type { StageResponse } from '../decision/request-decision';
import type { ExchangeState } from '../guard/exchange';

/** Returned by a stage to end the pipeline and let the request through untouched. */
export const passThrough: unique symbol = Symbol('sideguard.pass-through');

/** What a stage returns: nothing to go on, a response to send, or {@link passThrough}. */
export type StageResult = StageResponse | typeof passThrough | undefined;

/** One step of the request pipeline. Stages read compiled config from the exchange, never parse. */
export interface RequestStage {
  /** Name used in logs and failure causes. */
  readonly name: string;
  /** Runs the step; may be synchronous to spare a promise on the hot path. */
  run(exchange: ExchangeState): StageResult | Promise<StageResult>;
}
