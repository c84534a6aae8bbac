// Validates a FHIR R4 resource (a Bundle, with every entry) with FHIR.js against the R4
// structure definitions. Prints {"valid", "messages"}; exits 1 unless valid with no errors.
import { readFileSync } from 'node:fs';
import fhirModule from 'fhir';

const { Fhir } = fhirModule;
const [path] = process.argv.slice(2);
const resource = JSON.parse(readFileSync(path, 'utf8'));
const result = new Fhir().validate(resource, { errorOnUnexpected: true });
const errors = result.messages.filter((m) => m.severity === 'error');
process.stdout.write(JSON.stringify({ valid: result.valid, messages: result.messages }));
process.exit(result.valid && errors.length === 0 ? 0 : 1);
