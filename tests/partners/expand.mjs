// Expands a JSON-LD document with jsonld.js, refusing every remote document: the export must
// carry its own context. Prints the expanded form on standard output; exits 1 on any failure.
import { readFileSync } from 'node:fs';
import jsonld from 'jsonld';

const [path] = process.argv.slice(2);
const document = JSON.parse(readFileSync(path, 'utf8'));
const documentLoader = async (url) => {
  throw new Error(`no network: the export asked to load ${url}`);
};
try {
  const expanded = await jsonld.expand(document, { documentLoader, safe: true });
  process.stdout.write(JSON.stringify(expanded));
} catch (error) {
  console.error(`expansion failed: ${error.message}`);
  if (error.details) console.error(JSON.stringify(error.details).slice(0, 2000));
  process.exit(1);
}
