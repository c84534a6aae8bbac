// The lmsdr Playground: GraphiQL, bundled with its editor workers so it runs with no internet.
import { GraphiQL } from 'graphiql';
import { createRoot } from 'react-dom/client';
import 'graphiql/style.css';

const BASE = '/playground';
const ENDPOINT = '/graphql';

const EXAMPLE = `# lmsdr serves what the LeioMyoSarcoma Direct Research Foundation publishes
# about LMS treatments. Run this query (the play button, or Ctrl-Enter) to see
# the treatments of each category with their drugs; the Docs panel lists the rest.
query TreatmentsByCategory {
  treatmentCategories {
    name
    description
    treatments {
      name
      status
      firstLine
      drugs {
        genericName
        brandNames
        atcCode
        routes
      }
      source {
        excerpt
      }
    }
  }
}
`;

globalThis.MonacoEnvironment = {
  getWorker(_workerId, label) {
    const name = label === 'json' || label === 'graphql' ? label : 'editor';
    return new Worker(`${BASE}/${name}.worker.js`);
  },
};

async function fetcher(params, options) {
  const response = await fetch(ENDPOINT, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/graphql-response+json, application/json;q=0.9',
      ...(options?.headers ?? {}),
    },
    body: JSON.stringify(params),
  });
  return response.json();
}

createRoot(document.getElementById('graphiql')).render(
  <GraphiQL fetcher={fetcher} defaultQuery={EXAMPLE} initialQuery={EXAMPLE} />,
);
