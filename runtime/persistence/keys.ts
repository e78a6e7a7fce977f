import { randomInt } from 'node:crypto';

/**
 * Keys are 63-bit integers, serialised as decimal strings as in Camunda 8:
 *
 * ```
 *  41 bits milliseconds since KEY_EPOCH_MS | 10 bits node id | 12 bits counter
 * ```
 *
 * The top bit stays 0, so every key fits a signed PostgreSQL `bigint` until 2093. Keys from one
 * process increase strictly; keys from different node ids never collide. Without an explicit node
 * id a random one is chosen once per process, so two processes collide only if they draw the same
 * id (1 in 1024) and then issue keys in the same millisecond: give runtime nodes that share one
 * PostgreSQL distinct node ids (config `NODE_ID`).
 */
export const KEY_EPOCH_MS = Date.UTC(2024, 0, 1);

const NODE_BITS = 10n;
const COUNTER_BITS = 12n;
const MAX_NODE_ID = (1 << Number(NODE_BITS)) - 1;
const MAX_COUNTER = (1 << Number(COUNTER_BITS)) - 1;
const MAX_TIMESTAMP = 2 ** 41 - 1;

interface GeneratorState {
  lastMs: number;
  counter: number;
}

/** Chosen once, so that every generator created without a node id in this process shares it. */
const processNodeId = randomInt(0, MAX_NODE_ID + 1);

/**
 * Sequence state per node id, shared by all generators of this process: two generators with the
 * same node id must not hand out the same (millisecond, counter) pair.
 */
const states = new Map<number, GeneratorState>();

/**
 * Creates a function that returns a new unique key on each call, without a database round trip.
 *
 * @param nodeId 0..1023; defaults to a random id chosen once per process.
 * @returns a generator of decimal strings, strictly increasing for a given node id in a process.
 */
export function createKeyGenerator(nodeId: number = processNodeId): () => string {
  if (!Number.isInteger(nodeId) || nodeId < 0 || nodeId > MAX_NODE_ID) {
    throw new Error(`expected node id to be an integer from 0 to ${MAX_NODE_ID}, got <${nodeId}>`);
  }
  let state = states.get(nodeId);
  if (!state) {
    state = { lastMs: -1, counter: 0 };
    states.set(nodeId, state);
  }
  const s = state;
  const node = BigInt(nodeId) << COUNTER_BITS;

  return () => {
    const now = Date.now() - KEY_EPOCH_MS;
    if (now > s.lastMs) {
      s.lastMs = now;
      s.counter = 0;
    } else if (s.counter < MAX_COUNTER) {
      // Same millisecond, or the clock went backwards: keep counting on the last timestamp.
      s.counter++;
    } else {
      // 4096 keys in one millisecond: borrow the next one; the wall clock catches up.
      s.lastMs++;
      s.counter = 0;
    }
    if (s.lastMs < 0 || s.lastMs > MAX_TIMESTAMP) {
      throw new Error(
        `expected the clock to be between 2024 and 2093, got <${new Date(Date.now()).toISOString()}>`,
      );
    }
    return ((BigInt(s.lastMs) << (NODE_BITS + COUNTER_BITS)) | node | BigInt(s.counter)).toString();
  };
}
