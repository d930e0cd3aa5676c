// Dedicated worker: UMAP of the results' latent spaces (src/app/embedding-worker-api.ts).
import { createEmbeddingWorkerApi } from '../src/app/embedding-worker-api.ts';
import { exposeWorkerApi } from '../src/rpc/expose.ts';

exposeWorkerApi(createEmbeddingWorkerApi());
