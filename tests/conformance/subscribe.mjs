// Subscribes to lmsdr's `contentChanged` with graphql-ws (the graphql-transport-ws protocol) and
// prints one JSON line per event: {"connected":true} once acknowledged, then each payload, then
// {"complete":true} when the server completes the subscription. Exits after COUNT payloads, on
// completion, or with status 1 on an error or after TIMEOUT_MS.
//
// usage: node subscribe.mjs WS_URL COUNT [TIMEOUT_MS] [QUERY]
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';

const [url, countArg, timeoutArg, queryArg] = process.argv.slice(2);
const count = Number(countArg ?? 1);
const timeout = Number(timeoutArg ?? 30000);
const query =
  queryArg ??
  'subscription { contentChanged { run { id kind } pages { kind committedAt page { url } revision { number } summary { drugs { added removed } } } } }';
const print = (value) => process.stdout.write(`${JSON.stringify(value)}\n`);

const client = createClient({
  url,
  webSocketImpl: WebSocket,
  lazy: false,
  retryAttempts: 0,
  on: { connected: () => print({ connected: true }) },
});
const timer = setTimeout(() => {
  print({ timeout: true });
  process.exit(1);
}, timeout);
let seen = 0;
client.subscribe(
  { query },
  {
    next: (payload) => {
      print(payload);
      seen += 1;
      if (seen >= count) {
        clearTimeout(timer);
        client.dispose().then(() => process.exit(0));
      }
    },
    error: (error) => {
      print({ error: String(error?.message ?? JSON.stringify(error)) });
      clearTimeout(timer);
      process.exit(1);
    },
    complete: () => {
      print({ complete: true });
      clearTimeout(timer);
      client.dispose().then(() => process.exit(0));
    },
  },
);
