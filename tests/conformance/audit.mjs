// Audits a running lmsdr against the GraphQL over HTTP spec with graphql-http's auditServer.
// Usage: node audit.mjs http://127.0.0.1:8000/graphql
// Prints every audit's result and the score; exits 1 unless every audit is ok.
import { auditServer } from 'graphql-http';

const url = process.argv[2] ?? 'http://127.0.0.1:8000/graphql';
const results = await auditServer({ url });
let ok = 0;
for (const result of results) {
  if (result.status === 'ok') {
    ok += 1;
  } else {
    const response = result.response ? ` (HTTP ${result.response.status})` : '';
    console.log(`${result.status.toUpperCase()} ${result.id} ${result.name}: ${result.reason}${response}`);
  }
}
console.log(`graphql-http audit: ${ok}/${results.length} ok`);
process.exit(ok === results.length ? 0 : 1);
