/**
 * The load generator of bench/http.ts, in a process of its own (as autocannon would be), so the
 * clients' own work does not slow the server it measures. Reads its settings from the JSON file
 * named on the command line; prints one JSON line with the measurements.
 */
import { readFileSync } from 'node:fs';
import { io as connect } from 'socket.io-client';

interface Settings {
  base: string;
  workerToken: string;
  watcherToken: string;
  keys: string[];
  clients: number;
}

const s = JSON.parse(readFileSync(process.argv[2], 'utf8')) as Settings;
const socket = connect(s.base, {
  auth: { token: s.watcherToken },
  transports: ['websocket'],
  reconnection: false,
});
await new Promise<void>((resolve, reject) => {
  socket.once('connect', () => resolve());
  socket.once('connect_error', reject);
});
const notificationLatencies: number[] = [];
socket.on('notification', (n: { event: string; createdAt: string }) => {
  if (n.event === 'TASK_ASSIGNED') notificationLatencies.push(Date.now() - Date.parse(n.createdAt));
});

const latencies: number[] = [];
let failures = 0;
let next = 0;
const started = performance.now();
await Promise.all(
  Array.from({ length: s.clients }, async () => {
    for (;;) {
      const i = next++;
      if (i >= s.keys.length) return;
      const t0 = performance.now();
      const res = await fetch(`${s.base}/v2/user-tasks/${s.keys[i]}/completion`, {
        method: 'POST',
        headers: { authorization: `Bearer ${s.workerToken}`, 'content-type': 'application/json' },
        body: JSON.stringify({ variables: { result: 'ok', round: i } }),
      });
      await res.arrayBuffer();
      latencies.push(performance.now() - t0);
      if (res.status !== 204) failures++;
    }
  }),
);
const seconds = (performance.now() - started) / 1000;
for (let waited = 0; notificationLatencies.length < s.keys.length && waited < 10_000; waited += 50)
  await new Promise((r) => setTimeout(r, 50));
socket.close();
console.log(JSON.stringify({ seconds, latencies, failures, notificationLatencies }));
