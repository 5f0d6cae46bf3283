/**
 * The part of an ioredis client (`Redis` or `Cluster`, v5 and v6) that Sideguard uses: `call` sends any
 * command by name. Declared here so the core never loads ioredis.
 */
export interface IoRedisClientLike {
  /** Sends `command` with `args` and resolves with the decoded reply. */
  call(command: string, ...args: string[]): Promise<unknown>;
}

/**
 * The part of a node-redis client (`createClient()`, v4 to v6) that Sideguard uses: `sendCommand` sends a
 * raw command. node-redis cluster clients take different arguments and are not supported; use ioredis's
 * `Cluster` instead.
 */
export interface NodeRedisClientLike {
  /** Sends the command name and arguments in `args` and resolves with the decoded reply. */
  sendCommand(args: readonly string[]): Promise<unknown>;
}

/** A connected Redis client of either library. */
export type RedisClientLike = IoRedisClientLike | NodeRedisClientLike;

/** Sends one raw command, e.g. `['EVALSHA', sha, '1', key]`, and resolves with the reply as the client decodes it. */
export type RedisCommandSender = (args: readonly string[]) => Promise<unknown>;

/**
 * Adapts a client of either library to one way of sending raw commands.
 * @param client - an ioredis or node-redis client
 * @throws TypeError when the value has neither `call` (ioredis) nor `sendCommand` (node-redis)
 */
export function redisCommandSender(client: RedisClientLike): RedisCommandSender {
  const candidate: unknown = client;
  if (typeof candidate !== 'object' || candidate === null) {
    throw new TypeError('Redis store needs an ioredis or node-redis client object');
  }
  // ioredis clients also have a `sendCommand`, but it takes a Command object, so `call` must win.
  if ('call' in candidate && typeof candidate.call === 'function') {
    const io = client as IoRedisClientLike;
    // async turns a synchronous throw of the client into a rejection.
    return async ([command, ...rest]) => {
      if (command === undefined) throw new TypeError('Redis command is empty');
      return io.call(command, ...rest);
    };
  }
  if ('sendCommand' in candidate && typeof candidate.sendCommand === 'function') {
    const node = client as NodeRedisClientLike;
    return async (args) => {
      if (args.length === 0) throw new TypeError('Redis command is empty');
      return node.sendCommand(args);
    };
  }
  throw new TypeError(
    'Redis store needs an ioredis client (with `call`) or a node-redis client (with `sendCommand`); got neither',
  );
}
